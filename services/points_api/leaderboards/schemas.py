from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.points_api.ledger.schemas import CategoryPoints
from shared.contracts.base import Schema

PeriodKind = Literal["month", "quarter", "year", "all"]
Scope = Literal["company", "department", "family", "front_line"]
ANONYMOUS = "匿名"


class BoardRow(BaseModel):
    """One employee on a board. Ties share a rank (standard competition ranking:
    1, 2, 2, 4); within a tie rows are ordered by employee number."""

    rank: int = Field(description="1 + the number of employees with more points")
    employee_no: str | None = Field(description="Null when the employee hides their name "
                                                "from you")
    name: str = Field(description=f"{ANONYMOUS} when the employee hides their name from you")
    name_hidden: bool = Field(description="The employee hides their name on public boards")
    points: int = Field(description="Qualifying points earned in the period")
    by_category: CategoryPoints
    is_me: bool = Field(default=False, description="The row of the employee asked about")


class BoardWindow(BaseModel):
    period: PeriodKind
    period_key: str = Field(examples=["M2026-11"])
    starts_on: date | None = Field(description="First day (company time zone); null for all")
    ends_on: date | None = Field(description="Last day, inclusive; null for all time")
    scope: Scope
    scope_value: str | None = Field(description="Department code or role family")


class Leaderboard(BoardWindow):
    items: list[BoardRow]
    next_cursor: str | None = None


class MyRank(BoardWindow):
    employee_no: str
    rank: int = Field(description="The employee's rank; an employee without points in the "
                                  "period ranks after everyone who has some")
    points: int
    items: list[BoardRow] = Field(description="Up to k rows above, the employee, up to k "
                                              "below, in board order")


class PrivacyUpdate(Schema):
    hide_name_on_boards: bool


class Privacy(BaseModel):
    employee_no: str
    hide_name_on_boards: bool
    updated_by: str | None
    updated_at: datetime | None
