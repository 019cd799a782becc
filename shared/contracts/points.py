"""What points_api answers about points, as other services see it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AwardedEntry(BaseModel):
    entry_id: int
    rule_id: str | None
    rule_set_version: int | None
    points: int
    category: str
    reason: str = Field(description="Human-readable, e.g. 完成课程 设备操作基础 2 课时")


class PointsOutcome(BaseModel):
    """The points result of one training fact: the receipt's ``result`` for a
    training event, and the ``points.outcome`` of training_api's responses."""

    employee_no: str
    awarded: list[AwardedEntry] = Field(default_factory=list)
    total_points: int = Field(0, description="Sum of the awarded (or reversed) entries")
    balance: int = Field(description="Spendable balance after this fact")
    qualifying_points: int
    month_points: int = Field(description="Qualifying points earned this month")
    month_rank: int | None = Field(None, description="Company rank this month (1 = top)")
    month_rank_change: int | None = Field(
        None, description="Places gained (positive) or lost this month by this fact"
    )
    skipped: list[str] = Field(
        default_factory=list, description="Why a matching rule paid nothing (cap reached, ...)"
    )


class ConfirmerRangeQuery(BaseModel):
    event_type: str
    employee_no: str
    payload: dict[str, Any] = Field(default_factory=dict)


class ConfirmerRange(BaseModel):
    min_points: int
    max_points: int
    rule_id: str
    rule_set_version: int
