"""A report's period in points_api's period keys (the effectiveness and pilot reports
ask points_api for the totals of those keys). No database involved."""

from datetime import UTC, date

from services.training_api.reports.period import Period


def keys(first: date, last: date) -> list[str] | None:
    return Period(first, last, UTC).points_periods()


def test_whole_years_and_quarters_are_one_key_each():
    assert keys(date(2026, 2, 1), date(2027, 4, 30)) == [
        "M2026-02", "M2026-03", "Q2026-2", "Q2026-3", "Q2026-4", "Q2027-1", "M2027-04"]
    assert keys(date(2025, 1, 1), date(2026, 12, 31)) == ["Y2025", "Y2026"]


def test_the_longest_period_stays_within_points_apis_240_keys():
    """2000-01-01 to the end of 2100, every year the API takes, and the worst case of
    months and quarters around it: far fewer keys than points_api accepts in one call
    (a month each would be 1,212, refused: the report answered 503)."""
    assert len(keys(date(2000, 1, 1), date(2100, 12, 31)) or []) == 101
    assert len(keys(date(2000, 2, 1), date(2100, 11, 30)) or []) <= 240


def test_a_period_of_partial_months_has_no_keys():
    assert keys(date(2026, 2, 3), date(2026, 3, 31)) is None
