"""Criteria of positions and certifications, without a database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from services.points_api.milestones.criteria import (
    Facts,
    add_months,
    all_met,
    criteria,
    months_between,
    needs_skills,
    trailing_months,
)


@dataclass
class Requirement:
    min_points: int = 500
    points_window_months: int | None = 12
    required_skills: list[str] = field(default_factory=list)
    min_tenure_months: int | None = None


def facts(**overrides) -> Facts:
    base = {"lifetime_points": 900, "current_month": "M2026-02",
            "month_points": {"M2026-02": 90, "M2025-12": 400, "M2025-03": 300,
                             "M2025-02": 1000}}
    return Facts(**{**base, **overrides})


def test_trailing_months_cross_the_year():
    assert trailing_months("M2026-02", 3) == ["M2026-02", "M2026-01", "M2025-12"]
    assert trailing_months("M2026-02", 12)[-1] == "M2025-03"


def test_points_in_the_window_and_what_is_missing():
    (points,) = criteria(Requirement(), facts())

    assert (points.value, points.target, points.missing, points.status) == (
        790, 500, 0, "met")
    (short,) = criteria(Requirement(min_points=800), facts())
    assert (short.value, short.missing, short.status) == (790, 10, "missing")
    assert short.detail == "近 12 个月合格积分 790 / 800，还差 10 分"
    (lifetime,) = criteria(Requirement(min_points=1000, points_window_months=None), facts())
    assert (lifetime.value, lifetime.missing) == (900, 100)


def test_skills_and_tenure():
    requirement = Requirement(required_skills=["S1", "S2"], min_tenure_months=12)

    found = criteria(requirement, facts(skills=frozenset({"S1"}), tenure_months=10))
    unknown = criteria(requirement, facts(tenure_months=None))

    assert [(c.kind, c.status, c.missing) for c in found] == [
        ("points", "met", 0), ("skills", "missing", 1), ("tenure", "missing", 2)]
    assert found[1].missing_skills == ["S2"]
    assert [c.status for c in unknown] == ["met", "unknown", "unknown"]
    assert not all_met(unknown)
    assert all_met(criteria(requirement, facts(skills=frozenset({"S1", "S2"}),
                                               tenure_months=12)))


def test_skills_are_asked_for_only_when_they_decide():
    wants = Requirement(required_skills=["S1"])

    assert needs_skills(wants, facts())
    assert not needs_skills(Requirement(min_points=5000, required_skills=["S1"]), facts())
    assert not needs_skills(Requirement(), facts())


def test_calendar_arithmetic():
    assert months_between(date(2024, 3, 31), date(2024, 4, 30)) == 0
    assert months_between(date(2024, 3, 1), date(2025, 3, 1)) == 12
    assert months_between(date(2026, 1, 1), date(2025, 1, 1)) == 0
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 30), 24) == date(2026, 11, 30)
