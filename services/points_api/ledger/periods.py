"""The company calendar: which month, quarter and year an entry counts in.

Periods follow the company's wall clock (setting ``timezone``, default
Asia/Shanghai), not UTC: an entry at 2026-11-30T17:00Z counts in December.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from shared.periods import (
    ALL_TIME,
    PERIOD,
    key_of_month,
    key_of_quarter,
    key_of_year,
)


def month_key(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return key_of_month(local.year, local.month)


def period_keys(moment: datetime, tz: tzinfo) -> list[str]:
    """Every period an entry at ``moment`` counts in: month, quarter, year, all time."""
    local = moment.astimezone(tz)
    quarter = (local.month - 1) // 3 + 1
    return [key_of_month(local.year, local.month), key_of_quarter(local.year, quarter),
            key_of_year(local.year), ALL_TIME]


def period_bounds(key: str, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """[start, end) of a period key in UTC; (None, None) for all time."""
    if not PERIOD.match(key):
        raise ValueError(f"not a period: {key!r} (use M2026-11, Q2026-4, Y2026 or ALL)")
    if key == ALL_TIME:
        return None, None
    year = int(key[1:5])
    if key[0] == "M":
        first_month, months = int(key[6:8]), 1
    elif key[0] == "Q":
        first_month, months = (int(key[6]) - 1) * 3 + 1, 3
    else:
        first_month, months = 1, 12
    start = date(year, first_month, 1)
    following_month = first_month + months
    end = date(year + (following_month - 1) // 12, (following_month - 1) % 12 + 1, 1)
    return local_midnight(start, tz), local_midnight(end, tz)


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The start of ``day`` on the company's wall clock, in UTC."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def parse_bound(value: str, tz: tzinfo, *, upper: bool) -> datetime:
    """A date (YYYY-MM-DD) is the start of that day on the company's wall clock; as an
    ``upper`` (exclusive) bound, the start of the next day, so that the day is included.
    A time without an offset is company time. Raises ValueError."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return local_midnight(day + timedelta(days=1) if upper else day, tz)
        moment = datetime.fromisoformat(value)
        return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD) or an RFC 3339 time "
                         "within the years 1-9999") from exc
