from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.contracts.base import ReadSchema, Schema
from shared.contracts.fields import name
from shared.contracts.training_events import CourseFormat

CODE_PATTERN = r"^[A-Za-z0-9_.\-]{1,50}$"
Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
Name = Annotated[str, name(200)]
RoleFamily = Literal["production", "technical", "quality", "management", "logistics", "other"]


class DepartmentUpsert(Schema):
    name: Name = Field(examples=["焊装车间"])
    parent_code: Code | None = Field(
        None, description="Code of the parent department; null for a root"
    )
    is_pilot: bool = Field(
        False, description="Pilot (试点) department: rules can be limited to pilots"
    )
    manager_employee_nos: list[Code] | None = Field(
        None, max_length=20, description=(
            "The department's heads (部门负责人) by employee number: they receive its "
            "weekly attrition-risk digest. Left out: unchanged; [] clears them"))


class Department(ReadSchema):
    code: str
    name: str
    parent_code: str | None
    is_pilot: bool
    manager_employee_nos: list[str]
    path: list[str] = Field(description="Department codes from the root down to this one")
    depth: int
    created_at: datetime
    updated_at: datetime


class SkillUpsert(Schema):
    name: Name = Field(examples=["设备操作"])
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None


class Skill(ReadSchema):
    code: str
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime


class RequiredSkill(Schema):
    skill_code: Code
    level: int = Field(ge=1, le=5, description="Required proficiency, 1 (basic) to 5 (expert)")


class JobRoleUpsert(Schema):
    name: Name = Field(examples=["生产操作工"])
    family: RoleFamily
    required_skills: list[RequiredSkill] = Field(
        default_factory=list,
        max_length=200,
        description="The competency model (岗位能力模型): the skills this role requires",
    )
    course_formats: list[CourseFormat] = Field(
        default_factory=list,
        max_length=4,
        description="The course formats this role's people can attend; empty: all. A course "
        "of another format is never recommended to them",
    )


class RequiredSkillOut(ReadSchema):
    skill_code: str
    skill_name: str
    level: int


class JobRole(ReadSchema):
    code: str
    name: str
    family: RoleFamily
    required_skills: list[RequiredSkillOut]
    course_formats: list[CourseFormat]
    created_at: datetime
    updated_at: datetime
