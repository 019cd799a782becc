from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from services.points_api.rules.schemas import Category
from shared.contracts.base import Schema
from shared.contracts.fields import text
from shared.contracts.points import AwardedEntry

EntryKind = Literal["earn", "reverse", "adjust", "spend", "opening"]
Reason = Annotated[str, text(500)]
MAX_ADJUSTMENT = 1_000_000


class CategoryPoints(BaseModel):
    participation: int = 0
    outcome: int = 0
    growth: int = 0


class Account(BaseModel):
    """An employee's points. ``balance`` is spent by redemptions (``held`` of it is
    reserved by pending ones, ``spendable`` is the rest); ``qualifying_points`` never
    falls when points are spent and decides ranks, eligibility and certifications."""

    employee_no: str
    balance: int
    held: int
    spendable: int
    qualifying_points: int
    by_category: CategoryPoints = Field(description="Qualifying points by category")
    month: str = Field(description="The current month in the company's time zone",
                       examples=["2026-11"])
    month_points: int = Field(description="Qualifying points earned this month")
    month_by_category: CategoryPoints
    month_rank: int = Field(description="Company rank this month (1 = top)")
    updated_at: datetime | None = Field(description="Last change; null before the first entry")


class Entry(BaseModel):
    """One movement of points. ``points`` changes the spendable balance,
    ``qualifying_points`` the qualifying points (0 for spending)."""

    id: int
    employee_no: str
    kind: EntryKind
    points: int
    qualifying_points: int
    category: Category | None
    reason: str = Field(examples=["完成课程 设备操作基础 2 课时"])
    rule_id: str | None
    rule_set_version: int | None
    source_event_id: uuid.UUID | None
    source_fact_id: str | None
    dedupe_key: str | None
    reverses_entry_id: int | None = Field(description="The entry this one compensates")
    reversed_by_entry_id: int | None = Field(description="The entry that compensated this one")
    actor: str | None = Field(description="Who made a manual change (token subject)")
    base_points: int | None = Field(description="What the rule computed before multipliers, "
                                                "top-up and caps")
    multiplier_rule_ids: list[str]
    details: dict[str, Any]
    occurred_at: datetime = Field(description="When the points were earned; a reversal "
                                              "carries the time of the entry it compensates")
    created_at: datetime


class AdjustmentCreate(Schema):
    points: int = Field(ge=-MAX_ADJUSTMENT, le=MAX_ADJUSTMENT,
                        json_schema_extra={"not": {"const": 0}},
                        description="Points to add (positive) or take away (negative); not 0")
    category: Category
    reason: Reason = Field(description="Why, for the audit trail and the employee",
                           examples=["补录线下培训积分"])

    @field_validator("points")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be 0")
        return value


class ReversalCreate(Schema):
    reason: Reason = Field(examples=["重复录入"])


class FactPoints(BaseModel):
    """What points_api made of one training fact: the outcome URL of a recording that
    answered ``pending``."""

    fact_id: str
    status: Literal["pending", "applied"] = Field(description=(
        "pending: points_api has not taken the fact's event yet (or knows no such fact); "
        "applied: it has, and ``awarded`` lists what it earned (empty when no rule paid)"))
    employee_no: str | None = None
    awarded: list[AwardedEntry] = Field(default_factory=list)
    total_points: int = 0
    reversed_points: int = Field(0, description=(
        "What reversals have taken back of them since (negative): the record voided, "
        "or an entry reversed by HR"))
    balance: int | None = Field(None, description="Spendable balance now")
    qualifying_points: int | None = Field(None, description="Qualifying points now")
    month_points: int | None = Field(None, description="Qualifying points this month, now")
    month_rank: int | None = Field(None, description="Company rank this month, now")
