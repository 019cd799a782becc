from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from services.training_api.recommendations import ranker
from services.training_api.reports.schemas import PeriodOut, ScopeOut
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


class RecommendationReason(ReadSchema):
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
    reasons: list[RecommendationReason]


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
    overdue: bool = Field(description="The due date has passed (company calendar)")


class RecentRecord(ReadSchema):
    id: str = Field(description="The training record's id (as POST /facts/{id}/void takes)")
    fact_type: str = Field(description="course_completion, live_interaction, study_note, "
                                       "exam_attempt, practical_assessment, "
                                       "skill_application, skill_level")
    occurred_at: datetime
    summary: str = Field(examples=["完成课程 设备操作基础",
                                   "考试 设备操作基础 结业考试 92 分（通过）"])


class HomeLinks(ReadSchema):
    """The calls for the rest of the home screen, through the same gateway."""

    points: str = Field(description="我的积分: the points account (points_api)",
                        examples=["/points/v1/accounts/E10001"])
    points_entries: str = Field(description="The account's entries, newest first",
                                examples=["/points/v1/accounts/E10001/entries"])
    mall: str = Field(description="积分兑换商城: the reward catalogue (rewards_api)",
                      examples=["/rewards/v1/items"])
    recommendations: str = Field(description="The full list of recommendations")
    skills: str = Field(description="The employee's skills and gaps")


class Home(ReadSchema):
    employee_no: str
    name: str
    department_code: str
    job_role_code: str
    generated_at: datetime
    model_built_at: datetime | None = Field(
        description="When the colleague signals behind the recommendations were built")
    recommendations: list[Recommendation] = Field(description="The top recommendations "
                                                              "(推荐课程)")
    plan_items: list[PlanItem] = Field(description="Courses of the training plans that apply, "
                                                   "not completed yet, soonest due first "
                                                   "(at most 20)")
    recent_records: list[RecentRecord] = Field(description="The five latest standing "
                                                           "training records")
    links: HomeLinks


class UptakeGroup(ReadSchema):
    key: str = Field(description="Department code, family, role code, front_line / "
                                 "not_front_line, pilot / rest, or all")
    label: str
    employees: int = Field(description="Active employees hired by the period's end")
    employees_shown: int = Field(description="Of them, those first shown a recommendation "
                                             "in the period")
    shown: int = Field(description="Recommendations (employee x course) first shown in the "
                                   "period")
    taken: int = Field(description="Of them, completed between being shown and "
                                   "taken_within_days after the last showing")
    taken_rate: float | None = Field(description="taken / shown")
    employees_took: int = Field(description="Employees who took at least one")
    open: int = Field(description="Not taken yet, still within the window")


class UptakeReason(ReadSchema):
    kind: str = Field(description="gap, progression, colleagues, plan, demand, popular, "
                                  "no_history")
    label: str
    shown: int = Field(description="Recommendations shown with this reason (one with "
                                   "several reasons counts for each)")
    taken: int
    taken_rate: float | None


class UptakeCohort(ReadSchema):
    cohort: str = Field(description="took (took at least one recommendation shown in the "
                                    "period), shown_not_taken, not_shown")
    label: str
    employees: int
    participating: int = Field(description="With at least one standing training record "
                                           "of any kind in the period")
    participation_rate: float | None
    records_per_head: float | None = Field(description="Standing training records in the "
                                                       "period per employee")
    other_records_per_head: float | None = Field(
        description="The same without the completions that took a recommendation")


class UptakeReport(ReadSchema):
    period: PeriodOut
    scope: ScopeOut
    group_by: str | None
    taken_within_days: int = Field(description="HR's setting the report counted with")
    total: UptakeGroup
    groups: list[UptakeGroup]
    by_reason: list[UptakeReason]
    participation: list[UptakeCohort] = Field(
        description="Employees of the scope by what they did with the recommendations "
                    "shown in the period, and how much they trained in it")
