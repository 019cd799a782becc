"""Who may redeem what, and when: pure functions of an item, an employee and
the time (no database, no network)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from services.rewards_api.models import RewardItem
from shared.db import RowAttributes
from shared.periods import key_of_month, key_of_quarter, key_of_year


def unavailability(item: RewardItem | RowAttributes, now: datetime) -> str | None:
    """Why the item cannot be redeemed at ``now`` regardless of who asks, or None."""
    if item.archived_at is not None:
        return f"{item.name} is no longer offered"
    if item.active_from is not None and now < item.active_from:
        return f"{item.name} can be redeemed from {item.active_from.isoformat()}"
    if item.active_until is not None and now >= item.active_until:
        return f"{item.name} could be redeemed until {item.active_until.isoformat()}"
    return None


def employee_departments(employee: Mapping[str, Any]) -> set[str]:
    """The employee's department and every department above it."""
    return {*employee["department_path"], employee["department_code"]}


def ineligibility(item: RewardItem | RowAttributes, employee: Mapping[str, Any],
                  qualifying_points: int | None) -> str | None:
    """Why this employee may not redeem the item, or None. ``qualifying_points`` is
    only needed (and only consulted) when the item has a minimum."""
    if employee["status"] != "active":
        return f"employee {employee['employee_no']} has left the company"
    if item.role_families and employee["job_role_family"] not in item.role_families:
        return (f"{item.name} is for the role families {', '.join(item.role_families)}; "
                f"the employee's is {employee['job_role_family']}")
    if item.department_codes and not employee_departments(employee) & set(item.department_codes):
        return f"{item.name} is for the departments {', '.join(item.department_codes)}"
    if item.min_qualifying_points > 0:
        have = qualifying_points or 0
        if have < item.min_qualifying_points:
            return (f"{item.name} needs {item.min_qualifying_points} qualifying points; "
                    f"the employee has {have}")
    return None


def period_key(period: str, moment: datetime, tz: tzinfo) -> str:
    """The limit period ``moment`` falls in on the company's calendar:
    ``M2026-11``, ``Q2026-4`` or ``Y2026``."""
    local = moment.astimezone(tz)
    if period == "month":
        return key_of_month(local.year, local.month)
    if period == "quarter":
        return key_of_quarter(local.year, (local.month - 1) // 3 + 1)
    if period == "year":
        return key_of_year(local.year)
    raise ValueError(f"unknown limit period {period!r}")
