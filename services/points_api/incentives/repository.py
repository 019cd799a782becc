"""Queries on streak qualification, and the published rule sets a month saw."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.incentives.models import StreakComputation, StreakQualification
from services.points_api.models import RuleSetRecord, RuleSetStatus

_qualification = StreakQualification.__table__
_computation = StreakComputation.__table__

# Employees in the top ``pct`` percent (of those with points; rounded up; ties at the
# boundary included) of every one of ``months``.
_ON_STREAK = """
WITH ranked AS (
    SELECT period, employee_no, rank() OVER (PARTITION BY period ORDER BY points DESC) AS r,
           count(*) OVER (PARTITION BY period) AS n
    FROM period_total WHERE period = ANY(:months) AND points > 0
), streak AS (
    SELECT employee_no FROM ranked WHERE r <= ceil(n * CAST(:pct AS numeric) / 100)
    GROUP BY employee_no HAVING count(*) = :months_count
)
"""


async def qualified_rules(session: AsyncSession, employee_no: str, month: str,
                          rule_ids: tuple[str, ...]) -> frozenset[str]:
    stmt = select(_qualification.c.rule_id).where(
        _qualification.c.employee_no == employee_no, _qualification.c.month == month,
        _qualification.c.rule_id.in_(rule_ids))
    return frozenset((await session.execute(stmt)).scalars())


async def record_streak(session: AsyncSession, *, month: str, rule_id: str, months: list[str],
                        pct: Decimal, dry_run: bool) -> int:
    """Insert the qualification of everyone on the streak (or, for a dry run, count
    them); returns how many are on it."""
    params = {"months": months, "months_count": len(months), "pct": pct, "month": month,
              "rule_id": rule_id}
    if dry_run:
        sql = _ON_STREAK + "SELECT count(*) FROM streak"
    else:
        sql = _ON_STREAK + """, added AS (
            INSERT INTO streak_qualification (employee_no, month, rule_id)
            SELECT employee_no, :month, :rule_id FROM streak
            ON CONFLICT DO NOTHING RETURNING 1)
        SELECT (SELECT count(*) FROM streak) """
    return int((await session.execute(text(sql), params)).scalar_one())


async def computed(session: AsyncSession, month: str) -> set[str]:
    stmt = select(_computation.c.rule_id).where(_computation.c.month == month)
    return set((await session.execute(stmt)).scalars())


async def record_computation(session: AsyncSession, *, month: str, rule_id: str,
                             condition: dict[str, Any], qualified: int) -> None:
    stmt = insert(_computation).values(month=month, rule_id=rule_id, condition=condition,
                                       qualified=qualified)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[_computation.c.month, _computation.c.rule_id],
        set_={"condition": condition, "qualified": qualified, "computed_at": text("now()")}))


async def effective_within(session: AsyncSession, start: datetime, end: datetime) -> list[datetime]:
    """Effective times of versions published to take effect within [start, end)."""
    stmt = (select(RuleSetRecord.effective_at).distinct()
            .where(RuleSetRecord.status == RuleSetStatus.PUBLISHED,
                   RuleSetRecord.effective_at >= start, RuleSetRecord.effective_at < end))
    return [at for at in (await session.execute(stmt)).scalars() if at is not None]
