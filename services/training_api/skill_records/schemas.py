from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from shared.contracts.base import ReadSchema


class SkillProof(ReadSchema):
    fact_id: uuid.UUID = Field(description="The record that proves the skill")
    proven_by: str = Field(description="exam_attempt or practical_assessment")
    since: datetime


class HeldSkill(ReadSchema):
    skill_code: str
    skill_name: str
    since: datetime = Field(description="When it was first proven by a standing record")
    proofs: list[SkillProof]


class RequiredSkill(ReadSchema):
    skill_code: str
    skill_name: str
    level: int = Field(description="Level the role requires, 1-5")
    held: bool


class EmployeeSkills(ReadSchema):
    employee_no: str
    job_role_code: str
    job_role_name: str
    skills: list[HeldSkill] = Field(description="Skills held, by code")
    required: list[RequiredSkill] = Field(description="The role's competency model")
    gaps: list[RequiredSkill] = Field(description="Required skills not held yet")
