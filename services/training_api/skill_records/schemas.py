from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from shared.contracts.base import ReadSchema


class SkillProof(ReadSchema):
    fact_id: uuid.UUID = Field(description="The record that proves the skill")
    proven_by: str = Field(description="exam_attempt or practical_assessment")
    level: int = Field(description="The level this record proves")
    since: datetime


class HeldSkill(ReadSchema):
    skill_code: str
    skill_name: str
    level: int = Field(description="Current level: the highest level a standing record proves")
    since: datetime = Field(description="When it was first proven by a standing record")
    level_since: datetime = Field(description="When the current level was first proven")
    proofs: list[SkillProof]


class SkillStanding(ReadSchema):
    """A skill the employee's role requires, with where the employee stands."""

    skill_code: str
    skill_name: str
    level: int = Field(description="Level the role requires, 1-5")
    current_level: int = Field(description="The employee's current level (0: never proven)")
    held: bool = Field(description="The current level reaches the required level")


class EmployeeSkills(ReadSchema):
    employee_no: str
    job_role_code: str
    job_role_name: str
    skills: list[HeldSkill] = Field(description="Skills held, by code")
    required: list[SkillStanding] = Field(description="The role's competency model")
    gaps: list[SkillStanding] = Field(
        description="Required skills not held at the required level yet (a role requiring "
                    "level 2 is not met by level 1)")
