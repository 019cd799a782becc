from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from services.points_api.incentives.schemas import StreakSummary
from shared.contracts.base import Schema, schema_extra
from shared.contracts.fields import decimal, name, year_pattern
from shared.periods import MONTH_PATTERN

HonourKind = Literal["monthly", "yearly"]
HonourScope = Literal["company", "department"]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{1,50}$")]
Title = Annotated[str, name(100)]
TopPercent = Annotated[Decimal, decimal(places=2, gt=0, le=100)]
# the years of the ledger's period keys (shared.periods)
YEAR_PATTERN = f"^{year_pattern()}$"



class WinnerStatus(StrEnum):
    NEW = "new"
    ALREADY_AWARDED = "already_awarded"

class RankBand(Schema):
    """Bonus points for ranks ``from_rank``..``to_rank`` (inclusive)."""

    from_rank: int = Field(ge=1, le=1000)
    to_rank: int = Field(ge=1, le=1000)
    points: int = Field(ge=0, le=1_000_000)


def _default_bands() -> list[RankBand]:
    return [RankBand(from_rank=1, to_rank=1, points=100),
            RankBand(from_rank=2, to_rank=3, points=60),
            RankBand(from_rank=4, to_rank=10, points=30)]


def band_problems(bands: list[RankBand]) -> list[str]:
    """What is wrong with a list of bands (ordered by from_rank): the schema cannot say
    that a band must not end before it starts or overlap another, so the service
    answers these with 409 invalid-bands."""
    problems = [f"band {b.from_rank}-{b.to_rank} ends before it starts"
                for b in bands if b.from_rank > b.to_rank]
    problems += [f"bands {low.from_rank}-{low.to_rank} and {high.from_rank}-{high.to_rank} "
                 "overlap" for low, high in zip(bands, bands[1:], strict=False)
                 if high.from_rank <= low.to_rank]
    return problems


class MonthlyHonours(Schema):
    """The monthly TOP N: after a month closes, each rank within a band wins the band's
    bonus (growth points) and a place on the honour roll. N is the last band's end."""

    enabled: bool = True
    title: Title = "月度积分 TOP 10"
    bands: list[RankBand] = Field(default_factory=_default_bands, min_length=1, max_length=50)
    department_codes: list[Code] = Field(
        default_factory=list, max_length=200,
        description="Departments (with sub-departments) that get their own TOP N")
    department_bands: list[RankBand] | None = Field(
        default=None, max_length=50, description="Bands of department boards; null: as bands")
    notify_rank_changes: bool = Field(
        default=True, description="Tell every ranked employee their final rank and its change")

    @field_validator("bands", "department_bands")
    @classmethod
    def _ordered(cls, value: list[RankBand] | None) -> list[RankBand] | None:
        return None if value is None else sorted(value, key=lambda band: band.from_rank)


class YearlyHonours(Schema):
    """The yearly top percent: after a year closes, the title (年度优秀员工)."""

    enabled: bool = True
    title: Title = "年度优秀员工"
    top_percent: TopPercent = Decimal(10)
    bonus_points: int = Field(default=0, ge=0, le=1_000_000)


class HonourSettings(Schema):
    monthly: MonthlyHonours = Field(default_factory=MonthlyHonours)
    yearly: YearlyHonours = Field(default_factory=YearlyHonours)


class HonourRunCreate(Schema):
    # the shape of the period follows the kind
    model_config = ConfigDict(json_schema_extra=schema_extra({"oneOf": [
        {"properties": {"kind": {"const": "monthly"}, "period": {"pattern": MONTH_PATTERN}}},
        {"properties": {"kind": {"const": "yearly"}, "period": {"pattern": YEAR_PATTERN}}},
    ]}))

    kind: HonourKind
    period: str = Field(description="2026-10 (monthly) or 2026 (yearly); a closed period",
                        pattern=f"{MONTH_PATTERN}|{YEAR_PATTERN}", examples=["2026-10"])
    dry_run: bool = Field(default=False, description="Show what it would award; change nothing")

    @model_validator(mode="after")
    def _period_shape(self) -> HonourRunCreate:
        pattern = MONTH_PATTERN if self.kind == "monthly" else YEAR_PATTERN
        if not re.match(pattern, self.period):
            raise ValueError(f"period of a {self.kind} run looks like "
                             f"{'2026-10' if self.kind == 'monthly' else '2026'}")
        return self


class HonourWinner(BaseModel):
    scope: HonourScope
    scope_value: str | None
    employee_no: str
    name: str
    rank: int
    points: int = Field(description="Qualifying points earned in the period")
    title: str
    bonus_points: int
    status: WinnerStatus = Field(
        description="new: awarded by this run (or would be, in a dry run)")


class HonourRunResult(BaseModel):
    kind: HonourKind
    period: str
    dry_run: bool
    run_id: int | None = Field(description="Null for a dry run")
    winners: list[HonourWinner]
    awarded: int = Field(description="Honours new in this run (or that would be)")
    bonus_points: int = Field(description="Bonus points of those new honours")
    streaks: list[StreakSummary] = Field(
        default_factory=list, description="Monthly runs: streak qualification for the month "
                                          "after the period")


class HonourRun(BaseModel):
    id: int
    kind: HonourKind
    period: str
    requested_by: str
    awarded: int
    bonus_points: int
    started_at: datetime


class HonourEntry(BaseModel):
    """An entry of the honour roll."""

    id: int
    kind: HonourKind
    period: str = Field(examples=["2026-10"])
    scope: HonourScope
    scope_value: str | None
    rank: int
    points: int
    title: str
    bonus_points: int
    entry_id: int | None = Field(description="The bonus ledger entry")
    employee_no: str | None = Field(description="Null when the employee hides their name "
                                                "from you")
    name: str
    name_hidden: bool
    awarded_at: datetime
