"""Rules as data: the typed shape of a rule set and of what evaluating it produces.

HR edits rule sets through the API as JSON; these models are that JSON. Nothing in
a rule is ever executed as code: each award kind is one branch of a discriminated
union that the engine knows how to compute.

The models accept rule sets that are well-formed but not sensible (unsorted score
bands, a multiplier pointing at a missing rule...), so that
``engine.validate_rule_set`` can list every problem of a draft at once instead of
stopping at the first.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from services.points_api.models import RuleSetStatus
from shared.contracts.base import Schema, not_together, schema_extra
from shared.contracts.fields import Timestamp, decimal
from shared.contracts.fields import name as visible_name
from shared.contracts.training_events import CourseDifficulty, CourseFormat

RULE_ID_PATTERN = r"^[a-z0-9_.-]{1,64}$"
# signed: validate_rule_set reports a factor that is not positive
Factor = Annotated[Decimal, decimal(places=6)]
RuleName = Annotated[str, visible_name(200)]
TopPercent = Annotated[Decimal, decimal(places=2, gt=0, le=100)]

Category = Literal["participation", "outcome", "growth"]
CapPeriod = Literal["day", "week", "month"]
PayloadValue = bool | int | str


class RuleFilters(Schema):
    """Conditions on the event and the employee; an empty filter restricts nothing."""

    course_codes: list[str] = Field(default_factory=list)
    course_tags: list[str] = Field(default_factory=list, description="Matches any of these tags")
    difficulties: list[CourseDifficulty] = Field(default_factory=list)
    course_formats: list[CourseFormat] = Field(default_factory=list)
    job_role_codes: list[str] = Field(default_factory=list)
    role_families: list[str] = Field(default_factory=list)
    department_codes: list[str] = Field(
        default_factory=list, description="Matches these departments and their sub-departments")
    pilot_only: bool = Field(default=False, description="Only employees of pilot departments")
    front_line_only: bool = False
    payload_equals: dict[str, PayloadValue] = Field(
        default_factory=dict, description='Payload fields that must equal, e.g. {"kind": "speak"}')


def _kind_required(schema: dict[str, Any]) -> None:
    required = schema.setdefault("required", [])
    if "kind" not in required:
        required.insert(0, "kind")


class _AwardSchema(Schema):
    """An award kind. ``kind`` tags the union, so a request must send it (the schema
    says so); Python code building the defaults may leave it out."""

    model_config = ConfigDict(json_schema_extra=schema_extra(_kind_required))


class FixedAward(_AwardSchema):
    kind: Literal["fixed"] = "fixed"
    points: int = Field(ge=0)


_DEFAULT_RATES: dict[CourseDifficulty, int] = {"basic": 5, "intermediate": 8, "advanced": 10}


class PerClassHourAward(_AwardSchema):
    """Class hours times the rate of the course's difficulty, rounded half up."""

    kind: Literal["per_class_hour"] = "per_class_hour"
    rates: dict[CourseDifficulty, NonNegativeInt] = Field(
        default_factory=lambda: dict(_DEFAULT_RATES))


class CourseValueAward(_AwardSchema):
    """The course's own points value; the rule does not match a course without one."""

    kind: Literal["course_value"] = "course_value"


class CourseRoleValueAward(_AwardSchema):
    """The course's value for the employee's job role, else for the role's family.

    The rule does not match when the course names neither.
    """

    kind: Literal["course_role_value"] = "course_role_value"


class ScoreBand(Schema):
    min_score: int = Field(ge=0, le=100)
    points: int = Field(ge=0)


class ScoreBandsAward(_AwardSchema):
    """Points of the highest band the score reaches; bands listed from the highest down.

    With ``best_result`` a retake only tops up to its better band: the award is the
    band minus what the same exam already paid the employee, never negative.
    """

    kind: Literal["score_bands"] = "score_bands"
    bands: list[ScoreBand]
    best_result: bool = True


class ConfirmerRangeAward(_AwardSchema):
    """The points the confirming manager chose, which must lie in the range."""

    kind: Literal["confirmer_range"] = "confirmer_range"
    min_points: int = Field(ge=0)
    max_points: int = Field(ge=0)


class MultiplierAward(_AwardSchema):
    """Awards nothing itself: scales what the targeted rules award for the same event.

    Without targets it scales every other matched rule; ``target_categories`` and
    ``target_rule_ids`` both narrow when both are given.
    """

    kind: Literal["multiplier"] = "multiplier"
    factor: Factor
    target_categories: list[Category] | None = None
    target_rule_ids: list[str] | None = None


AwardSpec = Annotated[
    FixedAward | PerClassHourAward | CourseValueAward | CourseRoleValueAward | ScoreBandsAward
    | ConfirmerRangeAward | MultiplierAward,
    Field(discriminator="kind"),
]


class Cap(Schema):
    """Limit on a rule's awards per calendar period in the company time zone.

    Rules whose caps name the same ``bucket`` share one counter (speaking and asking
    in live classes count against one daily limit); without a bucket the rule
    counts alone.
    """

    period: CapPeriod
    max_count: int | None = Field(default=None, ge=1)
    max_points: int | None = Field(default=None, ge=1)
    bucket: str | None = Field(default=None, pattern=RULE_ID_PATTERN)


class StreakCondition(Schema):
    """A multiplier that applies only to employees on a streak: in the company's top
    ``top_percent`` of a month's qualifying points ``months`` months running, the
    streak pays in the month that follows.

    The top percent of a month is of the employees who earned points in it (rounded
    up, so at least one; ties at the boundary all qualify). Qualification is
    computed when a month closes (the honours job) and kept per employee and month.
    """

    top_percent: TopPercent = Field(examples=["10"])
    months: int = Field(ge=1, le=24, description="Consecutive closed months", examples=[3])


class Rule(Schema):
    id: str = Field(pattern=RULE_ID_PATTERN, description="Stable code, kept across versions")
    name: RuleName
    event_type: str
    category: Category
    filters: RuleFilters = Field(default_factory=RuleFilters)
    award: AwardSpec
    cap: Cap | None = None
    exclusive_group: str | None = Field(
        default=None, description="Of a group's matching rules only the lowest priority applies")
    priority: int = Field(default=100, description="Lower wins within an exclusive group")
    active_from: Timestamp | None = None
    active_until: Timestamp | None = Field(default=None, description="Exclusive")
    streak: StreakCondition | None = Field(
        default=None, description="Multipliers only: apply only to employees on this streak "
                                  "in the month of the event")

    @property
    def cap_key(self) -> str:
        """The key of the counter this rule's cap usage is kept under."""
        return (self.cap.bucket if self.cap and self.cap.bucket else None) or self.id


class RuleSet(Schema):
    version: int = Field(ge=1)
    rules: list[Rule] = Field(default_factory=list)


class SkipReason(StrEnum):
    CAP_REACHED = "cap_reached"
    ZERO_POINTS = "zero_points"
    ALREADY_PAID = "already_paid"
    SUPERSEDED = "superseded"


class Award(BaseModel):
    """Points one rule gives for one event: one ledger entry."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    rule_name: str
    category: Category
    points: int = Field(gt=0)
    base_points: int = Field(
        description="What the rule computed, before multipliers, top-up and cap")
    reason: str
    multiplier_rule_ids: list[str] = Field(default_factory=list)
    cap_applied: bool = Field(default=False, description="Truncated by a points cap")
    dedupe_key: str | None = None


class SkippedAward(BaseModel):
    """A matching rule that ended up paying nothing, and why, so the API can explain it."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    rule_name: str
    category: Category
    reason: SkipReason
    detail: str


class Evaluation(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule_set_version: int
    awards: list[Award] = Field(default_factory=list)
    skipped: list[SkippedAward] = Field(default_factory=list)

    @property
    def total_points(self) -> int:
        return sum(award.points for award in self.awards)


class CapUsage(NamedTuple):
    """What a cap counter already holds in the current window."""

    # a field named as tuple's count() method: read as usage.count, never called
    count: int = 0  # type: ignore[assignment]
    points: int = 0


# --- stored rule sets, as the API shows and edits them ----------------------------------

Note = Annotated[str, Field(max_length=2000)]
RuleList = Annotated[list[Rule], Field(max_length=1000)]


class RuleSetCreate(Schema):
    """A new draft: a copy of ``copy_from``'s rules, the given ``rules`` (not both), or
    empty."""

    model_config = ConfigDict(json_schema_extra=schema_extra(not_together("copy_from", "rules")))

    copy_from: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                  description="Version whose rules the draft starts from")
    rules: RuleList | None = None
    note: Note | None = Field(default=None, examples=["新设备课程首季度加倍"])


class RuleSetUpdate(Schema):
    """Changes to a draft; fields left out stay as they are."""

    rules: RuleList | None = None
    note: Note | None = None


class RuleSetPublish(Schema):
    effective_at: Timestamp | None = Field(
        default=None, description="When the version starts to apply (RFC 3339 with offset); "
                                  "now when left out. In the past: 409 effective-at-in-past.")


class RuleSetSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    status: RuleSetStatus
    note: str | None
    copied_from: int | None
    rule_count: int
    effective_at: datetime | None = Field(description="Set when published")
    created_by: str
    created_at: datetime
    updated_at: datetime
    published_by: str | None
    published_at: datetime | None


class RuleSetDetail(RuleSetSummary):
    rules: list[Rule]


class RuleSetProblem(BaseModel):
    pointer: str = Field(description="JSON pointer into the rule set, e.g. #/rules/3")
    detail: str


class RuleSetValidation(BaseModel):
    version: int
    valid: bool
    problems: list[RuleSetProblem]
