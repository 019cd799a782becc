from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from services.training_api.recommendations import ranker
from shared.contracts.base import ReadSchema, Schema

DEFAULT = ranker.Weights()


class Weights(Schema):
    gap: float = Field(DEFAULT.gap, ge=0, le=10, description=(
        "Competency gap: required minus current level, as a share of required"))
    progression: float = Field(DEFAULT.progression, ge=0, le=10, description=(
        "The next level of the skills the employee's records come from, courses building "
        "on them, successors of completed courses"))
    colleagues: float = Field(DEFAULT.colleagues, ge=0, le=10, description=(
        "What colleagues in the role who reached its levels took; courses completed "
        "together (item-to-item)"))
    plan: float = Field(DEFAULT.plan, ge=0, le=10, description=(
        "Courses of training plans that apply, more as the due date nears"))
    popularity: float = Field(DEFAULT.popularity, ge=0, le=10, description=(
        "Popularity in the role"))
    demand: float = Field(DEFAULT.demand, ge=0, le=10, description=(
        "Forecast skill demand (a hook for the demand forecast; nothing feeds it yet)"))


class RecommendationSettingsUpdate(Schema):
    weights: Weights = Field(default_factory=Weights)
    diversity: float = Field(DEFAULT.diversity, ge=0, le=0.95, description=(
        "A course sharing a skill with n courses ranked above it keeps (1 - diversity)^n "
        "of its score"))
    taken_within_days: int = Field(30, ge=1, le=365, description="A recommendation shown and "
                                   "then completed within this many days counts as taken")


class RecommendationSettings(RecommendationSettingsUpdate, ReadSchema):
    updated_by: str | None = Field(description="Who last changed them (null: the defaults)")
    updated_at: datetime | None


class Reason(ReadSchema):
    kind: str = Field(description="gap, progression, colleagues, plan, demand, popular, "
                                  "no_history")
    text: str = Field(examples=["岗位要求 设备故障排查 2 级，当前 0 级"])


class Recommendation(ReadSchema):
    rank: int
    course_code: str
    title: str
    format: str
    score: float = Field(description="Weighted sum of the factors after the diversity re-rank")
    factors: dict[str, float] = Field(description="Each factor, 0-1, before weighting")
    reasons: list[Reason]


class Recommendations(ReadSchema):
    employee_no: str
    job_role_code: str
    generated_at: datetime
    model_built_at: datetime | None = Field(
        description="When the colleague signals were last built (null: never); everything "
                    "else is read live")
    items: list[Recommendation]


class Dismissal(ReadSchema):
    employee_no: str
    course_code: str
    dismissed: bool


class ModelStatus(ReadSchema):
    status: str = Field(description="The latest build: running, ready, failed, or never "
                                    "(no build yet); a build whose process stopped reads "
                                    "failed")
    started_at: datetime | None = Field(description="When the latest build started")
    progress: float | None = Field(description="0-1 while running, 1 when ready")
    phase: str | None = Field(description="What the running build is doing")
    error: str | None = Field(description="Why the latest build failed")
    built_at: datetime | None = Field(description="When the signals in use were built "
                                                  "(the latest ready build)")
    employees: int | None = Field(description="Active employees in the signals in use")
    completions: int | None = Field(description="Completions the signals in use counted")
    refresh_seconds: float


class PlanItem(ReadSchema):
    plan_name: str
    course_code: str
    course_title: str
    due_on: date
    overdue: bool


class RecentRecord(ReadSchema):
    id: str
    fact_type: str
    occurred_at: datetime
    summary: str


class Home(ReadSchema):
    employee_no: str
    name: str
    department_code: str
    job_role_code: str
    recommendations: list[Recommendation]
    plan_items: list[PlanItem] = Field(description="Plan courses not completed yet, by due date")
    recent_records: list[RecentRecord] = Field(description="The five latest standing records")
    links: dict[str, str] = Field(description="The points and mall calls for the rest of the "
                                              "home screen (through the same gateway)")
