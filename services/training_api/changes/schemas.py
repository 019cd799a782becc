from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from services.training_api.org.schemas import Code, Name, RequiredSkill
from shared.contracts.base import ReadSchema, Schema
from shared.contracts.fields import Day, decimal
from shared.periods import MONTH_PATTERN

Share = Annotated[Decimal, decimal(places=4, gt=0, le=1)]
Factor = Annotated[Decimal, decimal(places=2, gt=1, le=5)]
ChangeKind = Literal["equipment", "process", "product_line"]


class ChangeUpsert(Schema):
    name: Name = Field(examples=["五轴加工中心上线"])
    kind: ChangeKind = Field(description="equipment, process or product_line")
    go_live_on: Day
    required_skills: list[RequiredSkill] = Field(min_length=1, max_length=50)
    department_codes: list[Code] = Field(default_factory=list, max_length=100, description=(
        "Affected departments, sub-departments included; empty: every department"))
    job_role_codes: list[Code] = Field(default_factory=list, max_length=100, description=(
        "Affected job roles; empty: every role in the departments"))
    target_share: Share = Field(Decimal("0.9"), description=(
        "Share of the affected who must be ready at go-live (default 0.9)"))
    description: str | None = Field(None, max_length=2000)


class Change(ReadSchema):
    code: str
    name: str
    kind: ChangeKind
    go_live_on: date
    required_skills: list[RequiredSkill]
    department_codes: list[str]
    job_role_codes: list[str]
    target_share: float
    description: str | None
    updated_by: str
    created_at: datetime
    updated_at: datetime


class CourseNeed(ReadSchema):
    course_code: str
    title: str
    format: str
    teaches_level: int
    skill_code: str
    seats: int = Field(description="Employees who still have to start it")
    seats_per_week: int
    sessions_per_week: int | None = Field(description="Classes a week of class_size seats; "
                                                      "null for online, self-paced courses")


class SkillNeed(ReadSchema):
    skill_code: str
    skill_name: str
    level: int
    employees_below: int
    started: int = Field(description="Of those, already in a course teaching it")
    courses: list[str] = Field(description="Courses teaching it at the level, best first")
    history: dict[str, Any] = Field(description=(
        "Where the time to attainment comes from: basis (role_skill, skill, all, none), "
        "learners, proven, median_days"))


class ReadinessPoint(ReadSchema):
    week: int
    on: date
    ready_share: float


class Warning(ReadSchema):
    message: str
    gap_share: float
    gap_employees: int


class Forecast(ReadSchema):
    change: Change
    as_of: date
    weeks_to_go_live: int
    class_size: int
    affected: int
    ready_now: int
    need_training: int
    skills: list[SkillNeed]
    courses: list[CourseNeed]
    readiness: list[ReadinessPoint]
    projected_ready_share: float = Field(description="Expected share ready at go-live")
    target_share: float
    warning: Warning | None
    incentive: dict[str, Any] | None = Field(description=(
        "The proposed time-boxed boost (a rule of the points rule set) for the courses that "
        "close the gap; POST .../incentive-draft puts it in a draft version"))


class NeedingEmployee(ReadSchema):
    employee_no: str
    name: str
    department_code: str
    job_role_code: str
    missing: list[dict[str, Any]] = Field(description="skill_code, level, current_level")


class IncentiveDraftCreate(Schema):
    factor: Factor = Field(Decimal("1.5"), description=(
        "Multiplier of the courses' participation points"))


class IncentiveDraft(ReadSchema):
    rule_set_version: int
    rule: dict[str, Any]
    copied_from: int | None
    simulate: str = Field(description="Where to try it on past events (what-if)")
    publish: str = Field(description="Where HR publishes it, after review")


class DemandSeries(ReadSchema):
    code: str
    name: str
    history: dict[str, int] = Field(description="YYYY-MM -> completions")
    onboarding: dict[str, int] = Field(description=(
        "YYYY-MM -> planned hires starting that month whose job role requires it (by "
        "skill) or who take it for such a skill (by course)"))
    total: dict[str, float] = Field(description="YYYY-MM -> forecast plus onboarding")
    method: str = Field(description=(
        "The method that forecasts the series: holt_winters, simple_smoothing, "
        "seasonal_naive or naive"))
    forecast: dict[str, float]
    backtest: dict[str, Any] = Field(description=(
        "origins, forecasts_checked; candidates: MAPE (%) and MASE of each method tried; "
        "method: the chosen one's; naive: the naive forecast's; chosen_by: backtest or "
        "history_length"))


class DemandReport(ReadSchema):
    by: Literal["course", "skill"]
    department_code: str | None
    months_of_history: int
    horizon_months: int
    series: list[DemandSeries]
    planned_hires: int = Field(description=(
        "Planned hires in the scope starting in the forecast months"))
    overall: dict[str, Any] = Field(description="Mean errors over every series")


HIRE_MONTH_PATTERN = MONTH_PATTERN


class PlannedHireUpsert(Schema):
    department_code: Code
    job_role_code: Code
    month: str = Field(pattern=HIRE_MONTH_PATTERN, examples=["2027-03"],
                       description="The month they start, YYYY-MM")
    headcount: int = Field(ge=0, le=10000, description="How many (0: none any more)")


class PlannedHire(ReadSchema):
    code: str
    department_code: str
    job_role_code: str
    month: str
    headcount: int
    updated_by: str
    created_at: datetime
    updated_at: datetime
