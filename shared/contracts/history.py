"""What a history import (training_api) tells points_api and asks it.

An opening balance travels as an event through the outbox: the change of one
employee's opening points in one category (a first import posts the whole
balance, a corrected file the difference). The reconciliation asks what the
ledger holds for the imported records and employees.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

OPENING_BALANCE = "history.opening_balance"
HistoryCategory = Literal["participation", "outcome", "growth"]
MAX_QUERY_ITEMS = 5000


class OpeningBalanceChanged(BaseModel):
    model_config = ConfigDict(extra="ignore")

    employee_no: str = Field(min_length=1)
    category: HistoryCategory
    points: int = Field(description="The change: the new opening balance minus what was "
                                    "posted before (negative for a correction downwards)")
    balance: int = Field(ge=0, description="The opening balance after this change")
    cut_over_on: date
    occurred_at: AwareDatetime = Field(description="The end of the cut-over day")
    import_id: uuid.UUID


class HistoryPointsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fact_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_QUERY_ITEMS)
    employee_nos: list[str] = Field(default_factory=list, max_length=MAX_QUERY_ITEMS)


class FactPoints(BaseModel):
    fact_id: uuid.UUID
    employee_no: str
    category: HistoryCategory | None
    points: int = Field(description="Qualifying points the fact earned, net of reversals")


class OpeningPoints(BaseModel):
    employee_no: str
    category: HistoryCategory
    points: int = Field(description="Opening points the ledger holds, net of corrections")


class HistoryPoints(BaseModel):
    facts: list[FactPoints]
    openings: list[OpeningPoints]
