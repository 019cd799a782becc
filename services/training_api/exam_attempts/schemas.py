from __future__ import annotations

from datetime import datetime

from pydantic import Field

from services.training_api.facts.schemas import FactCreate, FactRead, OccurredAt, WithPoints
from services.training_api.org.schemas import Code


class ExamAttemptCreate(FactCreate):
    exam_code: Code = Field(examples=["EQ-101-FINAL"])
    score: int = Field(ge=0, le=100, description="Whole-number score, 0-100")
    attempted_at: OccurredAt


class ExamAttempt(FactRead):
    exam_code: str
    score: int
    pass_score: int = Field(description="The exam's pass score when the attempt was made")
    passed: bool
    attempted_at: datetime


class ExamAttemptRecorded(WithPoints, ExamAttempt):
    pass
