from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from services.training_api.facts.schemas import FactCreate, FactRead, OccurredAt, WithPoints
from services.training_api.org.schemas import Code

InteractionKind = Literal["speak", "question"]


class LiveInteractionCreate(FactCreate):
    course_code: Code | None = Field(None, description="The live course, when known")
    kind: InteractionKind = Field(description="speak (发言) or question (提问)")
    occurred_at: OccurredAt


class LiveInteraction(FactRead):
    course_code: str | None
    kind: InteractionKind
    occurred_at: datetime


class LiveInteractionRecorded(WithPoints, LiveInteraction):
    pass
