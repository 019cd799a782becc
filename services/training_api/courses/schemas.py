from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, field_validator, model_validator

from services.training_api.org.schemas import Code, RoleFamily
from shared.contracts.base import ReadSchema, Schema, schema_extra
from shared.contracts.fields import decimal, name, text
from shared.contracts.training_events import CourseDifficulty, CourseFormat

Title = Annotated[str, name(200)]
Tag = Annotated[str, text(50)]
CoursePoints = Annotated[int, Field(ge=0, le=100_000)]
ClassHours = Annotated[Decimal, decimal(places=2, gt=0, le=1000)]
SkillLevel = Annotated[int, Field(ge=1, le=5, description="Skill level, 1 (basic) to 5 (expert)")]


class TaughtSkill(Schema):
    skill_code: Code
    level: SkillLevel = 1


class CourseUpsert(Schema):
    # the skills taught come as teaches or as skill_codes, not both (a skill listed
    # twice in a list is 409 skill-listed-twice: the schema cannot say "by code")
    model_config = ConfigDict(json_schema_extra=schema_extra({"not": {
        "required": ["teaches", "skill_codes"],
        "properties": {"teaches": {"minItems": 1}, "skill_codes": {"minItems": 1}}}}))

    title: Title = Field(examples=["设备操作基础"])
    format: CourseFormat
    difficulty: CourseDifficulty
    class_hours: ClassHours = Field(description="Class hours (课时), e.g. 2 or 1.5; at most 1000",
                                    examples=["2"])
    teaches: list[TaughtSkill] = Field(
        default_factory=list, max_length=100,
        description="Skills the course teaches and the level it brings the learner to; a "
                    "passed exam of the course proves them at that level",
        examples=[[{"skill_code": "EQUIP-OP", "level": 2}]])
    skill_codes: list[Code] = Field(
        default_factory=list, max_length=100,
        description="Shorthand for ``teaches`` at level 1 (give one or the other)")
    prerequisites: list[Code] = Field(
        default_factory=list, max_length=20,
        description="Courses to complete before this one (no cycles)")
    prerequisite_skills: list[TaughtSkill] = Field(
        default_factory=list, max_length=20,
        description="Skill levels to have reached before this one",
        examples=[[{"skill_code": "EQUIP-OP", "level": 1}]])
    open_to_job_roles: list[Code] = Field(
        default_factory=list, max_length=200,
        description="Only employees in these job roles may take it (empty: no restriction)")
    open_to_families: list[RoleFamily] = Field(
        default_factory=list,
        description="Only employees whose role is in these families may take it (empty: no "
                    "restriction); with open_to_job_roles, either one admits")
    tags: list[Tag] = Field(default_factory=list, max_length=20, examples=[["安全", "新设备"]])
    points: CoursePoints | None = Field(
        None, description="Explicit points for completing the course (overrides per-hour points)")
    role_points: dict[Code, CoursePoints] = Field(
        default_factory=dict, max_length=200,
        description="Job role code -> points for completing the course in that role")
    family_points: dict[RoleFamily, CoursePoints] = Field(
        default_factory=dict, description="Role family -> points for completing the course")
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @field_validator("skill_codes", "tags", "prerequisites", "open_to_job_roles",
                     "open_to_families")
    @classmethod
    def _distinct(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))

    @model_validator(mode="after")
    def _one_way_to_say_skills(self) -> CourseUpsert:
        if self.teaches and self.skill_codes:
            raise ValueError("give teaches or skill_codes, not both")
        if self.skill_codes:
            self.teaches = [TaughtSkill(skill_code=c) for c in self.skill_codes]
            self.skill_codes = []
        return self


class SkillRef(ReadSchema):
    code: str
    name: str
    level: int = Field(description="The level the course brings the learner to")


class TaughtSkillOut(ReadSchema):
    skill_code: str
    skill_name: str
    level: int


class Course(ReadSchema):
    code: str
    title: str
    format: CourseFormat
    difficulty: CourseDifficulty
    class_hours: Decimal
    skills: list[SkillRef] = Field(description="Skills the course teaches (as ``teaches``)")
    teaches: list[TaughtSkillOut] = Field(description="Skills the course teaches, with levels")
    prerequisites: list[str] = Field(description="Courses to complete first")
    prerequisite_skills: list[TaughtSkillOut] = Field(description="Skill levels to reach first")
    open_to_job_roles: list[str]
    open_to_families: list[str]
    tags: list[str]
    points: int | None
    role_points: dict[str, int]
    family_points: dict[str, int]
    description: str | None
    archived: bool
    archived_at: datetime | None
    archived_by: str | None
    created_at: datetime
    updated_at: datetime


class ExamUpsert(Schema):
    course_code: Code = Field(description="The course the exam belongs to")
    title: Title = Field(examples=["设备操作基础 结业考试"])
    pass_score: int = Field(60, ge=0, le=100, description="Scores at or above this pass")
    pass_level: SkillLevel | None = Field(
        None, description="The level a pass proves for every skill of the course; default: "
                          "the level at which the course teaches each skill")


class Exam(ReadSchema):
    code: str
    course_code: str
    course_title: str
    title: str
    pass_score: int
    pass_level: int | None
    created_at: datetime
    updated_at: datetime

