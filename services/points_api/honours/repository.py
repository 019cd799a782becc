"""Queries of the honours job: settings, winners, the roll and the runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.db import employee_copy
from services.points_api.honours.models import Honour, HonourRun, HonourSetting
from services.points_api.leaderboards.models import BoardPrivacy

_setting = HonourSetting.__table__
_run = HonourRun.__table__
_honour = Honour.__table__
_privacy = BoardPrivacy.__table__


async def lock_period(session: AsyncSession, kind: str, period: str) -> None:
    """Until the transaction ends, no other run of this period (on any replica) runs."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                          {"key": f"honours:{kind}:{period}"})


async def settings(session: AsyncSession) -> dict[str, dict[str, Any]]:
    rows = (await session.execute(select(_setting.c.kind, _setting.c.config))).all()
    return {kind: config for kind, config in rows}


async def save_settings(session: AsyncSession, kind: str, config: dict[str, Any],
                        actor: str) -> None:
    stmt = insert(_setting).values(kind=kind, config=config, updated_by=actor)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[_setting.c.kind],
        set_={"config": config, "updated_by": actor, "updated_at": func.now()}))


# Active employees with points in the period, ranked (standard competition ranking)
# within the board; {scope} narrows to a department subtree.
_RANKED = """
SELECT t.employee_no, t.points, c.name, rank() OVER (ORDER BY t.points DESC) AS rank,
       count(*) OVER () AS ranked
FROM period_total t JOIN employee_copy c ON c.employee_no = t.employee_no
WHERE t.period = :period AND t.points > 0 AND c.status = 'active'{scope}
"""


class Ranked(NamedTuple):
    """An active employee with points in the period, ranked on a board."""

    employee_no: str
    points: int
    name: str | None
    rank: int
    ranked: int


async def top_ranks(session: AsyncSession, period: str, *, last_rank: int | None = None,
                    top_percent: Any = None,
                    department_like: str | None = None) -> list[Ranked]:
    """Winners by rank: ranks up to ``last_rank``, or within the top ``top_percent``
    of the ranked (rounded up). Ties at the boundary all win."""
    scope = " AND t.department_key LIKE :department" if department_like else ""
    limit = ("x.rank <= :last_rank" if last_rank is not None
             else "x.rank <= ceil(x.ranked * CAST(:pct AS numeric) / 100)")
    sql = (f"SELECT * FROM ({_RANKED.replace('{scope}', scope)}) x WHERE {limit} "
           "ORDER BY x.rank, x.employee_no")
    params = {"period": period, "last_rank": last_rank, "pct": top_percent,
              "department": department_like}
    return [Ranked(*row) for row in (await session.execute(text(sql), params)).all()]


async def awarded(session: AsyncSession, kind: str, period: str) -> set[tuple[str, str, str]]:
    """(scope, scope_value, employee_no) already on the roll for the period."""
    stmt = select(_honour.c.scope, _honour.c.scope_value, _honour.c.employee_no).where(
        _honour.c.kind == kind, _honour.c.period == period)
    return {tuple(row) for row in (await session.execute(stmt)).all()}


async def has_run(session: AsyncSession, kind: str, period: str, *, since: datetime) -> bool:
    stmt = select(_run.c.id).where(_run.c.kind == kind, _run.c.period == period,
                                   _run.c.started_at >= since).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def has_ranked(session: AsyncSession, period: str) -> bool:
    """Anyone the boards of the period would rank (as in ``_RANKED``)."""
    sql = (f"SELECT EXISTS ({_RANKED.replace('{scope}', '')} LIMIT 1)")
    return bool((await session.execute(text(sql), {"period": period})).scalar_one())


async def insert_run(session: AsyncSession, *, kind: str, period: str, actor: str) -> int:
    stmt = insert(_run).values(kind=kind, period=period, requested_by=actor).returning(_run.c.id)
    run_id: int = (await session.execute(stmt)).scalar_one()
    return run_id


async def finish_run(session: AsyncSession, run_id: int, *, awarded: int, bonus: int) -> None:
    await session.execute(update(_run).where(_run.c.id == run_id).values(
        awarded=awarded, bonus_points=bonus))


async def insert_honour(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """The new honour's id; None when the winner is already on this board's roll."""
    stmt = (insert(_honour).values(values).on_conflict_do_nothing(
        index_elements=["kind", "period", "scope", "scope_value", "employee_no"])
        .returning(_honour.c.id))
    honour_id: int | None = (await session.execute(stmt)).scalar_one_or_none()
    return honour_id


async def set_entry(session: AsyncSession, honour_id: int, entry_id: int) -> None:
    await session.execute(update(_honour).where(_honour.c.id == honour_id)
                          .values(entry_id=entry_id))


async def roll(session: AsyncSession, *, kind: str | None, period: str | None,
               employee_no: str | None, offset: int,
               limit: int) -> list[Row[Honour, str | None, bool]]:
    """(honour, employee name, name hidden), newest period first, then by board and rank."""
    c = employee_copy.c
    stmt = (select(Honour, c.name, func.coalesce(_privacy.c.hide_name, False).label("hide_name"))
            .outerjoin(employee_copy, c.employee_no == _honour.c.employee_no)
            .outerjoin(_privacy, _privacy.c.employee_no == _honour.c.employee_no)
            .order_by(_honour.c.period.desc(), _honour.c.kind, _honour.c.scope,
                      _honour.c.scope_value, _honour.c.rank, _honour.c.employee_no)
            .offset(offset).limit(limit)
            .execution_options(populate_existing=True))
    if kind is not None:
        stmt = stmt.where(_honour.c.kind == kind)
    if period is not None:
        stmt = stmt.where(_honour.c.period == period)
    if employee_no is not None:
        stmt = stmt.where(_honour.c.employee_no == employee_no)
    return list((await session.execute(stmt)).all())


async def runs(session: AsyncSession, *, before_id: int | None,
               limit: int) -> list[HonourRun]:
    stmt = select(HonourRun).order_by(HonourRun.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(HonourRun.id < before_id)
    return list((await session.scalars(stmt)).all())
