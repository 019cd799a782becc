from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from services.training_api.facts.schemas import FactCreate, FactRead, OccurredAt, WithPoints
from services.training_api.org.schemas import Code
from shared.contracts.fields import text

Remarks = Annotated[str, text(2000, min_length=0)]

class PracticalAssessmentCreate(FactCreate):
    skill_code: Code = Field(description="The skill assessed, e.g. equipment set-up")
    passed: bool
    level: int = Field(1, ge=1, le=5, description="The skill level (1-5) the assessment "
                       "checked; a pass proves the employee has reached it")
    assessed_at: OccurredAt
    remarks: Remarks | None = \
        Field(None, examples=["换模时间 12 分钟，符合标准"])


class PracticalAssessment(FactRead):
    skill_code: str
    passed: bool
    level: int = Field(description="The skill level the assessment checked")
    assessor: str = Field(description="Who assessed: the token subject that recorded it")
    assessed_at: datetime
    remarks: str | None


class PracticalAssessmentRecorded(WithPoints, PracticalAssessment):
    pass
