"""Report periods on the company calendar: a month, quarter or year (the same keys
as points_api: ``M2026-03``, ``Q2026-1``, ``Y2026``, ``ALL``) or a custom range
of days. Pure functions: dates in, UTC bounds out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import Enum

from shared.periods import (
    ALL_TIME,
    MONTH,
    PERIOD,
    key_of_month,
    key_of_quarter,
    key_of_year,
)

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


class DefaultPeriod(Enum):
    """What a report covers when the caller names no period."""

    MONTH = "the current month"
    YEAR = "the current year"
    LAST_12_MONTHS = "the current month and the 11 before it"
    ALL = "all time (ALL)"


@dataclass(frozen=True)
class Period:
    """Days ``first_day``..``last_day`` (both included) on the company's wall clock."""

    first_day: date
    last_day: date
    tz: tzinfo
    key: str | None = None  # the points_api period key when the range is one

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day, self.tz)

    @property
    def end(self) -> datetime:
        """Exclusive upper bound in UTC: the midnight after ``last_day``."""
        return local_midnight(self.last_day + timedelta(days=1), self.tz)

    @property
    def label(self) -> str:
        return self.key or f"{self.first_day.isoformat()}..{self.last_day.isoformat()}"

    @property
    def is_empty(self) -> bool:
        return self.last_day < self.first_day

    def whole_months(self) -> Period:
        """The period widened to the whole months it touches (itself when it is
        empty or already whole months)."""
        if self.is_empty or self.points_periods() is not None:
            return self
        last = next_month(self.last_day.replace(day=1)) - timedelta(days=1)
        return Period(self.first_day.replace(day=1), last, self.tz)

    def months(self) -> list[date]:
        """First days of the months the period touches, in order."""
        out, month = [], self.first_day.replace(day=1)
        while month <= self.last_day:
            out.append(month)
            month = next_month(month)
        return out

    def points_periods(self) -> list[str] | None:
        """The points_api period keys whose totals add up to this period (the fewest:
        whole years and quarters as such), or None when the period does not consist of
        whole months."""
        if self.key is not None:
            return [self.key]
        if self.is_empty:
            return []
        end = self.last_day + timedelta(days=1)
        if self.first_day.day != 1 or end.day != 1:
            return None
        keys, month = [], self.first_day
        while month < end:  # at most 240 keys (points_api's limit) for the years 2000-2100
            year_end, quarter_end = add_months(month, 12), add_months(month, 3)
            if month.month == 1 and year_end <= end:
                keys.append(key_of_year(month.year))
                month = year_end
            elif month.month % 3 == 1 and quarter_end <= end:
                keys.append(key_of_quarter(month.year, month.month // 3 + 1))
                month = quarter_end
            else:
                keys.append(key_of_month(month.year, month.month))
                month = next_month(month)
        return keys


def local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def add_months(first: date, months: int) -> date:
    """The first day of the month ``months`` after ``first``'s month."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def from_key(key: str, tz: tzinfo, *, today: date) -> Period:
    """The period of a points_api period key; ``ALL`` runs from 2000 to today."""
    if not PERIOD.match(key):
        raise ValueError(f"{key!r} is not a period: use M2026-03, Q2026-1, Y2026 or ALL")
    if key == ALL_TIME:
        return Period(EARLIEST, today, tz, key)
    year = int(key[1:5])
    if key[0] == "M":
        first, months = date(year, int(key[6:8]), 1), 1
    elif key[0] == "Q":
        first, months = date(year, (int(key[6]) - 1) * 3 + 1, 1), 3
    else:
        first, months = date(year, 1, 1), 12
    last = first
    for _ in range(months):
        last = next_month(last)
    return Period(first, last - timedelta(days=1), tz, key)


def default_period(default: DefaultPeriod, tz: tzinfo, *, today: date) -> Period:
    if default is DefaultPeriod.MONTH:
        return from_key(key_of_month(today.year, today.month), tz, today=today)
    if default is DefaultPeriod.YEAR:
        return from_key(key_of_year(today.year), tz, today=today)
    if default is DefaultPeriod.ALL:
        return from_key(ALL_TIME, tz, today=today)
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return Period(first, next_month(today) - timedelta(days=1), tz)


def resolve(key: str | None, first: date | None, last: date | None, tz: tzinfo, *,
            today: date, default: DefaultPeriod) -> Period:
    """The days of ``period`` that lie within ``from``/``to`` (days, both included): like
    any filters, they combine. Without ``period``, a missing ``from`` is the first day
    of the default period and a missing ``to`` today; with it, a missing bound does not
    narrow. A reversed or disjoint range is an empty period, in which nothing counts.
    Raises ValueError with a message for the caller."""
    if key is not None:
        base = from_key(key, tz, today=today)
        lo = max(base.first_day, first or base.first_day)
        hi = min(base.last_day, last or base.last_day)
        whole = (lo, hi) == (base.first_day, base.last_day)
        return base if whole else Period(lo, hi, tz)
    fallback = default_period(default, tz, today=today)
    if first is None and last is None:
        return fallback
    first = first or fallback.first_day
    last = last or max(today, first)
    if first < EARLIEST or last > LATEST:
        raise ValueError(f"dates must lie between {EARLIEST} and {LATEST}")
    return Period(first, last, tz)


def parse_month(text: str) -> date:
    """``2026-03`` -> 2026-03-01."""
    if not MONTH.match(text):
        raise ValueError(f"{text!r} is not a month (YYYY-MM)")
    return date(int(text[:4]), int(text[5:7]), 1)
