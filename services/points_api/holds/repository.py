"""Queries on holds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.models import Account, Hold

_hold = Hold.__table__
_account = Account.__table__


async def get(session: AsyncSession, hold_id: uuid.UUID, *, lock: bool = False) -> Any | None:
    stmt = select(_hold).where(_hold.c.hold_id == hold_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).one_or_none()


async def insert(session: AsyncSession, values: dict[str, Any]) -> Any:
    return (await session.execute(_hold.insert().values(values).returning(*_hold.c))).one()


async def settle(session: AsyncSession, hold_id: uuid.UUID, *, status: str,
                 spend_entry_id: int | None = None) -> Any:
    stmt = (update(_hold).where(_hold.c.hold_id == hold_id)
            .values(status=status, settled_at=datetime.now().astimezone(),
                    spend_entry_id=spend_entry_id).returning(*_hold.c))
    return (await session.execute(stmt)).one()


async def move_held(session: AsyncSession, employee_no: str, delta: int) -> Any:
    stmt = (update(_account).where(_account.c.employee_no == employee_no)
            .values(held=_account.c.held + delta).returning(*_account.c))
    return (await session.execute(stmt)).one()


async def due_for_expiry(session: AsyncSession, *, now: datetime, limit: int) -> list[Any]:
    stmt = (select(_hold.c.hold_id, _hold.c.employee_no)
            .where(_hold.c.status == "active", _hold.c.expires_at <= now)
            .order_by(_hold.c.expires_at).limit(limit))
    return list((await session.execute(stmt)).all())


async def list_holds(session: AsyncSession, *, employee_no: str | None, status: str | None,
                     after: str | None, limit: int) -> list[Any]:
    stmt = select(_hold).order_by(_hold.c.hold_id).limit(limit)
    if employee_no is not None:
        stmt = stmt.where(_hold.c.employee_no == employee_no)
    if status is not None:
        stmt = stmt.where(_hold.c.status == status)
    if after is not None:
        stmt = stmt.where(_hold.c.hold_id > uuid.UUID(after))
    return list((await session.execute(stmt)).all())
