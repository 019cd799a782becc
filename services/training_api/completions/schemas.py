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
    scaled,
)
from services.training_api.org.schemas import Code


class CourseCompletionCreate(FactCreate):
    course_code: Code = Field(examples=["EQ-101"])
    completed_at: OccurredAt = Field(examples=["2025-03-12T16:30:00+08:00"])
    hours_attended: Annotated[Decimal, Field(ge=0, le=1000, max_digits=6, decimal_places=2),
                              scaled(2)] | None = Field(
        None, description="Class hours attended; at most the course's class hours")


class CourseCompletion(FactRead):
    course_code: str
    completed_at: datetime
    hours_attended: Decimal | None


class CourseCompletionRecorded(WithPoints, CourseCompletion):
    pass
