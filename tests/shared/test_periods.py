"""Period keys of the company calendar, as every service spells them."""

from __future__ import annotations

import pytest

from shared.periods import (
    MONTH,
    PERIOD,
    key_of_month,
    key_of_quarter,
    key_of_year,
    keys_of_months,
    month_count,
    month_of_key,
)


def test_keys_are_spelled_with_padded_numbers():
    assert key_of_month(2026, 3) == "M2026-03"
    assert key_of_quarter(2026, 4) == "Q2026-4"
    assert key_of_year(987) == "Y0987"
    assert all(PERIOD.match(k) for k in ("M2026-03", "Q2026-4", "Y2100", "ALL"))
    assert not PERIOD.match("Y0987")  # outside the years 2000-2100 every date the API takes
    assert not PERIOD.match("M2026-13") and not PERIOD.match("Q2026-5")


def test_month_key_reads_back():
    assert month_of_key("M2026-11") == (2026, 11)
    with pytest.raises(ValueError):
        month_of_key("Y2026")


def test_months_run_across_the_turn_of_the_year():
    assert keys_of_months((2025, 11), (2026, 2)) == ["M2025-11", "M2025-12", "M2026-01",
                                                     "M2026-02"]
    assert keys_of_months((2026, 5), (2026, 5)) == ["M2026-05"]
    assert keys_of_months((2026, 5), (2026, 4)) == []
    assert month_count((2025, 11), (2026, 2)) == 4
    assert month_count((2026, 5), (2026, 4)) == 0


def test_a_month_is_written_as_people_write_it():
    assert MONTH.match("2026-09") and not MONTH.match("2026-9") and not MONTH.match("M2026-09")
