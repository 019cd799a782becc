"""Honour settings: rank bands, defaults; no database involved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.points_api.honours.schemas import (
    HonourRunCreate,
    HonourSettings,
    MonthlyHonours,
    band_problems,
)


def test_defaults_are_the_article_s_top_10_and_top_10_percent():
    settings = HonourSettings()

    assert [(b.from_rank, b.to_rank, b.points) for b in settings.monthly.bands] == [
        (1, 1, 100), (2, 3, 60), (4, 10, 30)]
    assert (settings.yearly.title, settings.yearly.top_percent) == ("年度优秀员工", Decimal(10))


@pytest.mark.parametrize(("bands", "problem"), [
    ([{"from_rank": 1, "to_rank": 3, "points": 50}, {"from_rank": 3, "to_rank": 5, "points": 20}],
     "bands 1-3 and 3-5 overlap"),
    ([{"from_rank": 4, "to_rank": 2, "points": 50}], "band 4-2 ends before it starts"),
])
def test_bands_must_not_overlap_or_run_backwards(bands, problem):
    assert band_problems(MonthlyHonours(bands=bands).bands) == [problem]


def test_a_board_has_bands():
    with pytest.raises(ValidationError):
        MonthlyHonours(bands=[])


def test_bands_are_kept_in_rank_order():
    monthly = MonthlyHonours(bands=[{"from_rank": 4, "to_rank": 20, "points": 10},
                                    {"from_rank": 1, "to_rank": 3, "points": 80}])

    assert [b.from_rank for b in monthly.bands] == [1, 4]


@pytest.mark.parametrize(("kind", "period", "valid"), [
    ("monthly", "2026-10", True), ("monthly", "2026", False), ("monthly", "2026-13", False),
    ("yearly", "2026", True), ("yearly", "2026-10", False), ("yearly", "0000", False),
    ("monthly", "9999-12", False),
])
def test_a_run_names_a_month_or_a_year(kind, period, valid):
    if valid:
        assert HonourRunCreate(kind=kind, period=period).period == period
    else:
        with pytest.raises(ValidationError):
            HonourRunCreate(kind=kind, period=period)
