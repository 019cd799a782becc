from __future__ import annotations

from pydantic import Field

from services.training_api.facts.schemas import FactCreate, OccurredAt
from services.training_api.org.schemas import Code


class SkillLevelCreate(FactCreate):
    skill_code: Code
    level: int = Field(ge=1, le=5, description="The level (1-5) held from held_since on")
    held_since: OccurredAt
