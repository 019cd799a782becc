from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from services.training_api.facts.schemas import (
    FactCreate,
    FactRead,
    OccurredAt,
    WithPoints,
)
from services.training_api.org.schemas import Code
from shared.contracts.fields import decimal

HoursAttended = Annotated[Decimal, decimal(places=2, ge=0, le=1000, scaled=True)]


class CourseCompletionCreate(FactCreate):
    course_code: Code = Field(examples=["EQ-101"])
    completed_at: OccurredAt = Field(examples=["2025-03-12T16:30:00+08:00"])
    hours_attended: HoursAttended | None = Field(
        None, description="Class hours attended; at most the course's class hours")


class CourseCompletion(FactRead):
    course_code: str
    completed_at: datetime
    hours_attended: Decimal | None


class CourseCompletionRecorded(WithPoints, CourseCompletion):
    pass
