from __future__ import annotations

from pydantic import BaseModel, Field


class StreakSummary(BaseModel):
    """Who is on a streak rule's streak in a month."""

    rule_id: str
    month: str = Field(description="The month the streak multiplier pays in", examples=["M2026-11"])
    months_counted: list[str] = Field(description="The closed months that decided it")
    qualified: int = Field(description="Employees on the streak")
