"""Ledger queries of the history reconciliation."""

from __future__ import annotations

from sqlalchemy import BigInteger, Row, String, any_, cast, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.models import LedgerEntry

_entry = LedgerEntry.__table__


async def fact_points(session: AsyncSession,
                      fact_ids: list[str]) -> list[Row[str, str, str, int]]:
    """(fact id, employee, category, net qualifying points) of the facts' entries."""
    if not fact_ids:
        return []
    c = _entry.c
    rows = await session.execute(
        select(c.source_fact_id, c.employee_no, c.category,
               cast(func.sum(c.qualifying_amount), BigInteger))
        .where(c.source_fact_id == any_(literal(fact_ids, ARRAY(String))),
               c.kind.in_(("earn", "reverse")))
        .group_by(c.source_fact_id, c.employee_no, c.category))
    return list(rows.all())


async def opening_points(session: AsyncSession,
                         employee_nos: list[str]) -> list[Row[str, str, int]]:
    """(employee, category, opening points) of the employees' opening entries."""
    if not employee_nos:
        return []
    c = _entry.c
    rows = await session.execute(
        select(c.employee_no, c.category, cast(func.sum(c.qualifying_amount), BigInteger))
        .where(c.employee_no == any_(literal(employee_nos, ARRAY(String))),
               c.kind == "opening")
        .group_by(c.employee_no, c.category))
    return list(rows.all())
