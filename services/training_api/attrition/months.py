"""Calendar arithmetic of the risk run's snapshots: pure, and light to import."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

__all__ = ["add_months", "month_ends"]


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; from a month's last day, that month's last day."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    last = calendar.monthrange(year, month)[1]
    month_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return date(year, month, last if month_end else min(day.day, last))


def month_ends(first: date, last: date) -> list[date]:
    """Last days of the months from ``first``'s month on, each before ``last``."""
    out, month = list[date](), first.replace(day=1)
    while True:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        end = following - timedelta(days=1)
        if end >= last:
            return out
        out.append(end)
        month = following
