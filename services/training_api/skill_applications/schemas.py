from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from services.training_api.facts.schemas import (
    FactCreate,
    FactRead,
    OccurredAt,
    Reason,
    WithPoints,
    scaled,
)
from services.training_api.org.schemas import Code
from shared.contracts.base import Schema

MetricValue = Annotated[Decimal, Field(max_digits=18, decimal_places=4, allow_inf_nan=False),
                        scaled(4)]
ApplicationStatus = Literal["submitted", "confirmed", "rejected"]


class SkillApplicationCreate(FactCreate):
    skill_code: Code | None = Field(None, description="The skill applied, when there is one")
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=2000)] = Field(
        description="What was done", examples=["优化焊接夹具定位，减少返工"])
    metric_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=100)] = Field(
        examples=["焊接不良率(%)"])
    metric_before: MetricValue = Field(examples=["3.2"])
    metric_after: MetricValue = Field(examples=["1.1"])
    work_order_ref: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                     max_length=100)] | None = Field(
        None, examples=["WO-2025-0312"])
    submitted_at: OccurredAt | None = Field(
        None, description="When it was submitted on the device; now when omitted")


class SkillApplication(FactRead):
    skill_code: str | None
    summary: str
    metric_name: str
    metric_before: Decimal
    metric_after: Decimal
    work_order_ref: str | None
    submitted_at: datetime
    status: ApplicationStatus
    decided_at: datetime | None
    decided_by: str | None
    confirmed_points: int | None = Field(description="Points chosen by the confirmer")
    rule_id: str | None = Field(description="The rule whose range the points were chosen in")
    rule_set_version: int | None
    reject_reason: str | None


class SkillApplicationRecorded(WithPoints, SkillApplication):
    pass


class SkillApplicationConfirm(Schema):
    points: int = Field(ge=0, le=100_000, examples=[80], description=(
        "Points for this application, within the range of the rule that applies "
        "(by default 50-100)"))


class SkillApplicationReject(Schema):
    reason: Reason = Field(examples=["不良率下降与本人改进无关"])
