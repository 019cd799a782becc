from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from services.training_api.facts.models import ApplicationStatus
from services.training_api.facts.schemas import (
    FactCreate,
    FactRead,
    OccurredAt,
    Reason,
    WithPoints,
)
from services.training_api.org.schemas import Code
from shared.contracts.base import Schema
from shared.contracts.fields import decimal, text

MetricValue = Annotated[Decimal, decimal(places=4, scaled=True)]


Summary = Annotated[str, text(2000)]
MetricName = Annotated[str, text(100)]
WorkOrderRef = Annotated[str, text(100)]

class SkillApplicationCreate(FactCreate):
    skill_code: Code | None = Field(None, description="The skill applied, when there is one")
    summary: Summary = Field(
        description="What was done", examples=["优化焊接夹具定位，减少返工"])
    metric_name: MetricName = Field(
        examples=["焊接不良率(%)"])
    metric_before: MetricValue = Field(examples=["3.2"])
    metric_after: MetricValue = Field(examples=["1.1"])
    work_order_ref: WorkOrderRef | None = Field(
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
