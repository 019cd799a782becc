"""Where an employee stands on a position's or certification's criteria: pure
functions from (requirement, facts) to criteria, each with what is missing."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.points_api.milestones.schemas import Criterion, CriterionStatus
from shared.periods import keys_of_months, month_of_key


@dataclass(frozen=True)
class Facts:
    """What the criteria are judged on. ``skills`` is None when unknown (training_api
    did not answer), ``tenure_months`` when the employee has no hire date."""

    lifetime_points: int
    month_points: Mapping[str, int]
    current_month: str
    skills: frozenset[str] | None = None
    tenure_months: int | None = None


def trailing_months(month: str, count: int) -> list[str]:
    """``count`` month keys ending with ``month`` (``M2026-11``), newest first."""
    year, number = month_of_key(month)
    first = year * 12 + number - 1 - (count - 1)
    return keys_of_months((first // 12, first % 12 + 1), (year, number))[::-1]


def window_points(facts: Facts, window_months: int | None) -> int:
    if window_months is None:
        return facts.lifetime_points
    return sum(facts.month_points.get(key, 0)
               for key in trailing_months(facts.current_month, window_months))


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (0 when end is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def criteria(requirement: Any, facts: Facts) -> list[Criterion]:
    """Points, then skills and tenure when the requirement asks for them."""
    out = [_points(requirement.min_points, requirement.points_window_months, facts)]
    if requirement.required_skills:
        out.append(_skills(list(requirement.required_skills), facts.skills))
    tenure = getattr(requirement, "min_tenure_months", None)
    if tenure:
        out.append(_tenure(tenure, facts.tenure_months))
    return out


def all_met(items: list[Criterion]) -> bool:
    return all(item.status == CriterionStatus.MET for item in items)


def needs_skills(requirement: Any, facts: Facts) -> bool:
    """Whether the skills decide: every other criterion is met and skills are asked."""
    others = [c for c in criteria(requirement, facts) if c.kind != "skills"]
    return bool(requirement.required_skills) and all_met(others)


def _met_unless(missing: object) -> CriterionStatus:
    return CriterionStatus.MISSING if missing else CriterionStatus.MET


def _points(target: int, window: int | None, facts: Facts) -> Criterion:
    value = window_points(facts, window)
    missing = max(target - value, 0)
    label = f"近 {window} 个月合格积分" if window else "累计合格积分"
    detail = f"{label} {value} / {target}" + (f"，还差 {missing} 分" if missing else "，已达标")
    return Criterion(kind="points", status=_met_unless(missing), value=value,
                     target=target, missing=missing, unit="points", detail=detail)


def _skills(required: list[str], held: frozenset[str] | None) -> Criterion:
    if held is None:
        return Criterion(kind="skills", status=CriterionStatus.UNKNOWN, value=None,
                         target=len(required), missing=None, unit="skills", missing_skills=[],
                         detail="暂时无法获取技能记录，请稍后再查")
    lacking = [code for code in required if code not in held]
    detail = (f"所需技能 {len(required) - len(lacking)} / {len(required)}"
              + (f"，缺少 {'、'.join(lacking)}" if lacking else "，已具备"))
    return Criterion(kind="skills", status=_met_unless(lacking),
                     value=len(required) - len(lacking), target=len(required),
                     missing=len(lacking), unit="skills", missing_skills=lacking, detail=detail)


def _tenure(target: int, months: int | None) -> Criterion:
    if months is None:
        return Criterion(kind="tenure", status=CriterionStatus.UNKNOWN, value=None, target=target,
                         missing=None, unit="months", detail="没有入职日期，无法计算司龄")
    missing = max(target - months, 0)
    detail = f"司龄 {months} / {target} 个月" + (
        f"，还差 {missing} 个月" if missing else "，已达标")
    return Criterion(kind="tenure", status=_met_unless(missing), value=months,
                     target=target, missing=missing, unit="months", detail=detail)
