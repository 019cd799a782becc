"""Period keys of the company calendar, spelled the same in every service:
``M2026-11`` (a month), ``Q2026-4`` (a quarter), ``Y2026`` (a year) and ``ALL``
(all time). Ledger period totals, leaderboards, honours, redemption limits and
reports name their periods so; which month a moment falls in is the caller's
business (the company's time zone)."""

from __future__ import annotations

import re

from shared.contracts.fields import FIRST_YEAR, LAST_YEAR, year_pattern

ALL_TIME = "ALL"
_MONTH = "(0[1-9]|1[0-2])"


def month_pattern(first: int = FIRST_YEAR, last: int = LAST_YEAR) -> str:
    """``YYYY-MM`` within the years."""
    return f"^{year_pattern(first, last)}-{_MONTH}$"


def period_pattern(first: int = FIRST_YEAR, last: int = LAST_YEAR, *,
                   all_time: bool = True) -> str:
    """Period keys within the years: ``M2026-03``, ``Q2026-1``, ``Y2026`` (and ``ALL``)."""
    year = year_pattern(first, last)
    return f"^(M{year}-{_MONTH}|Q{year}-[1-4]|Y{year}{'|ALL' if all_time else ''})$"


# The years 2000-2100, as every date the API takes: a key the schema admits is one a
# date can hold (M0000-01 would be a 500 deep inside).
PERIOD_PATTERN = period_pattern()
PERIOD = re.compile(PERIOD_PATTERN)
# a month as people write it in queries and paths: 2026-11
MONTH_PATTERN = month_pattern()
MONTH = re.compile(MONTH_PATTERN)

YearMonth = tuple[int, int]


def key_of_month(year: int, month: int) -> str:
    return f"M{year:04d}-{month:02d}"


def key_of_quarter(year: int, quarter: int) -> str:
    return f"Q{year:04d}-{quarter}"


def key_of_year(year: int) -> str:
    return f"Y{year:04d}"


def month_of_key(key: str) -> YearMonth:
    """(year, month) of a month key such as ``M2026-11``."""
    if not PERIOD.match(key) or key[0] != "M":
        raise ValueError(f"not a month: {key!r} (use M2026-11)")
    return int(key[1:5]), int(key[6:8])


def month_count(first: YearMonth, last: YearMonth) -> int:
    """How many months ``first``..``last`` holds, both included (0 or less when
    ``last`` comes first)."""
    return (last[0] * 12 + last[1]) - (first[0] * 12 + first[1]) + 1


def keys_of_months(first: YearMonth, last: YearMonth) -> list[str]:
    """The month keys from ``first`` to ``last`` (year, month), both included, oldest
    first; empty when ``last`` comes first."""
    start = first[0] * 12 + first[1] - 1
    return [key_of_month(i // 12, i % 12 + 1)
            for i in range(start, start + max(month_count(first, last), 0))]
