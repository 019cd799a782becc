"""Queries on the notification feed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.notifications.models import Notification
from shared.db import rowcount

_note = Notification.__table__


# the notifications of a JSON array parameter ``:notes`` (rows as :func:`add` takes them)
# inserted in the array's order, as a CTE of a larger statement (an earning batch's)
ADD_FROM_JSON_CTE = """notes AS (
    INSERT INTO notification (employee_no, kind, title, body, data, dedupe_key)
    SELECT r.employee_no, r.kind, r.title, coalesce(r.body, ''), coalesce(r.data, '{}'),
           r.dedupe_key
    FROM ROWS FROM (jsonb_to_recordset(CAST(:notes AS jsonb)) AS (
        employee_no varchar, kind varchar, title text, body text, data jsonb,
        dedupe_key varchar)) WITH ORDINALITY AS r(employee_no, kind, title, body, data,
                                                  dedupe_key, ord)
    ORDER BY r.ord
    ON CONFLICT (dedupe_key) DO NOTHING)"""


async def add(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert notifications; one whose ``dedupe_key`` exists already is skipped."""
    if rows:
        await session.execute(insert(_note).on_conflict_do_nothing(
            index_elements=[_note.c.dedupe_key]), rows)


async def feed(session: AsyncSession, employee_no: str, *, unread_only: bool,
               before_id: int | None, limit: int) -> list[Notification]:
    """Newest first."""
    stmt = (select(Notification).where(Notification.employee_no == employee_no)
            .order_by(Notification.id.desc()).limit(limit))
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if before_id is not None:
        stmt = stmt.where(Notification.id < before_id)
    # marking as read is a plain UPDATE: what the session holds may be stale
    return list((await session.scalars(stmt, execution_options={"populate_existing": True})
                 ).all())


async def mark_read(session: AsyncSession, employee_no: str, ids: list[int] | None) -> int:
    stmt = (update(_note).where(_note.c.employee_no == employee_no, _note.c.read_at.is_(None))
            .values(read_at=func.now()))
    if ids is not None:
        stmt = stmt.where(_note.c.id.in_(ids))
    return await rowcount(session, stmt)


_RANK_CHANGES = text("""
INSERT INTO notification (employee_no, kind, title, body, data, dedupe_key)
SELECT cur.employee_no, 'rank_changed',
       format('%s 积分榜最终排名第 %s 名', CAST(:label AS text), cur.rank),
       CASE WHEN prev.rank IS NULL THEN format('本期积分 %s', cur.points)
            WHEN prev.rank > cur.rank THEN format('较上期上升 %s 名（上期第 %s 名），本期积分 %s',
                                                  prev.rank - cur.rank, prev.rank, cur.points)
            WHEN prev.rank < cur.rank THEN format('较上期下降 %s 名（上期第 %s 名），本期积分 %s',
                                                  cur.rank - prev.rank, prev.rank, cur.points)
            ELSE format('与上期持平，本期积分 %s', cur.points) END,
       jsonb_build_object('period', CAST(:shown AS text), 'rank', cur.rank,
                          'previous_rank', prev.rank, 'change', prev.rank - cur.rank,
                          'points', cur.points),
       'rank:' || CAST(:period AS text) || ':' || cur.employee_no
FROM (SELECT employee_no, points, rank() OVER (ORDER BY points DESC) AS rank
      FROM period_total WHERE period = :period AND points > 0) cur
LEFT JOIN (SELECT employee_no, rank() OVER (ORDER BY points DESC) AS rank
           FROM period_total WHERE period = :previous AND points > 0) prev
       USING (employee_no)
ON CONFLICT (dedupe_key) DO NOTHING
""")


async def add_rank_changes(session: AsyncSession, *, period: str, previous: str,
                           shown: str, label: str) -> int:
    """One ``rank_changed`` notification per employee ranked in ``period`` (company
    board), comparing with ``previous``; a second call adds nothing."""
    return await rowcount(session, _RANK_CHANGES, {"period": period, "previous": previous,
                                                   "shown": shown, "label": label})
