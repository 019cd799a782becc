"""The target mix HR sets and the points mix report, as the API reads and writes them.

Targets and bounds are whole percents; shares in the report are percents with two
decimals (null when nothing was earned)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from services.points_api.rules.schemas import RULE_ID_PATTERN, Category
from shared.contracts.base import ReadSchema, Schema, any_given, schema_extra
from shared.contracts.fields import name

Percent = Annotated[int, Field(ge=0, le=100)]
RuleId = Annotated[str, StringConstraints(pattern=RULE_ID_PATTERN)]
Label = Annotated[str, name(50)]


class MixStatus(StrEnum):
    """Where a share stands against its band or bounds."""

    OK = "ok"
    BELOW = "below"
    ABOVE = "above"


class CategoryTarget(Schema):
    target_percent: Percent = Field(description="Share of the points earned this category "
                                                "should have")
    tolerance_percent: Percent = Field(description="No alert while the share stays within "
                                                   "target ± tolerance (percentage points)")


class CategoryTargets(Schema):
    participation: CategoryTarget = Field(description="参与度积分")
    outcome: CategoryTarget = Field(description="成果积分")
    growth: CategoryTarget = Field(description="成长积分")


class SourceTarget(Schema):
    model_config = ConfigDict(json_schema_extra=schema_extra(
        any_given("min_percent", "max_percent")))

    label: Label = Field(examples=["实操任务"], description="What HR calls this source")
    rule_ids: list[RuleId] = Field(min_length=1, max_length=50, examples=[["practical.passed"]],
                                   description="The rules whose points make up the source")
    min_percent: Percent | None = Field(default=None, description="Alert below this share")
    max_percent: Percent | None = Field(default=None, description="Alert above this share")


class TargetsUpdate(Schema):
    categories: CategoryTargets = Field(description="Targets must add up to 100")
    sources: list[SourceTarget] = Field(max_length=50, description=(
        "Named sources with a least and/or most share; the whole list is replaced "
        "([] for none)"))
    note: str | None = Field(default=None, max_length=500, examples=["试点后提高成果积分占比"],
                             description="Why the targets change, kept with the version")


class Targets(ReadSchema):
    categories: CategoryTargets
    sources: list[SourceTarget]
    version: int | None = Field(description="null while the defaults apply")
    is_default: bool = Field(description="true: HR has set nothing, the defaults apply")
    note: str | None
    updated_by: str | None = Field(description="Who set this version (token subject)")
    updated_at: datetime | None


class PeriodOut(ReadSchema):
    key: str = Field(examples=["M2026-11"], description="M2026-11, Q2026-4, Y2026 or ALL")
    first_day: date | None = Field(description="null for ALL")
    last_day: date | None = Field(description="Included; null for ALL")
    timezone: str


class ScopeOut(ReadSchema):
    department: str | None = Field(description="Department code, sub-departments included; "
                                               "null: the whole company")
    family: str | None
    front_line: bool | None


class CategoryMix(ReadSchema):
    category: Category
    label: str = Field(examples=["成果积分"])
    points: int
    share_percent: float | None
    target_percent: int
    tolerance_percent: int
    band_low_percent: int = Field(description="target - tolerance, at least 0")
    band_high_percent: int = Field(description="target + tolerance, at most 100")
    status: MixStatus | None = Field(description="null when nothing was earned")


class SourceMix(ReadSchema):
    rule_id: str
    rule_name: str | None = Field(description="The rule's name in the newest rule set that "
                                              "has it; null for a rule no rule set knows")
    category: Category | None
    points: int = Field(description="Net of reversals")
    share_percent: float | None
    entries: int = Field(description="Entries that paid points")
    reversals: int = Field(description="Entries that took them back")


class SourceTargetMix(ReadSchema):
    label: str
    rule_ids: list[str]
    points: int
    share_percent: float | None
    min_percent: int | None
    max_percent: int | None
    status: MixStatus | None


class AdjustmentsMix(ReadSchema):
    points: int = Field(description="HR's adjustments in the period, net of their reversals")
    entries: int
    participation: int
    outcome: int
    growth: int


class Alert(ReadSchema):
    kind: Literal["category", "source"]
    subject: str = Field(description="The category, or the named source's label")
    status: Literal[MixStatus.BELOW, MixStatus.ABOVE]
    share_percent: float
    bound_percent: int = Field(description="The band's edge or the bound that was crossed")
    message: str = Field(examples=["实操任务 占 12.5%，低于目标下限 20%"])
    suggestion: str = Field(examples=["考虑提高「实操考核通过」的积分"])


class TargetsRef(ReadSchema):
    version: int | None
    is_default: bool
    updated_by: str | None
    updated_at: datetime | None


class PointsMixReport(ReadSchema):
    period: PeriodOut
    scope: ScopeOut
    total_points: int = Field(description="Qualifying points the rules paid in the period, "
                                          "net of reversals; adjustments are not included")
    entries: int = Field(description="Entries that paid points")
    categories: list[CategoryMix]
    sources: list[SourceMix] = Field(description="One per rule that paid or took back "
                                                 "points, by points, highest first")
    source_targets: list[SourceTargetMix]
    adjustments: AdjustmentsMix
    alerts: list[Alert]
    targets: TargetsRef
