"""Queries on holds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import any_, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.models import Account, Hold
from shared.contracts.holds import HoldStatus
from shared.db import prebuild

_hold = Hold.__table__
_account = Account.__table__


# Holds and accounts change through plain UPDATE statements: a read loads what the
# session holds anew, and a write refreshes it from the row it returns.
_FRESH = {"populate_existing": True, "synchronize_session": False}


async def get(session: AsyncSession, hold_id: uuid.UUID, *, lock: bool = False) -> Hold | None:
    stmt = select(Hold).where(Hold.hold_id == hold_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt, execution_options=_FRESH)).one_or_none()


async def insert(session: AsyncSession, values: dict[str, Any]) -> Hold:
    stmt = pg_insert(Hold).values(values).returning(Hold)
    return (await session.scalars(stmt, execution_options=_FRESH)).one()


async def settle(session: AsyncSession, hold_id: uuid.UUID, *, status: HoldStatus,
                 spend_entry_id: int | None = None) -> Hold:
    stmt = (update(Hold).where(Hold.hold_id == hold_id)
            .values(status=status, settled_at=datetime.now().astimezone(),
                    spend_entry_id=spend_entry_id).returning(Hold))
    return (await session.scalars(stmt, execution_options=_FRESH)).one()


async def move_held(session: AsyncSession, employee_no: str, delta: int) -> Account:
    stmt = (update(Account).where(Account.employee_no == employee_no)
            .values(held=Account.held + delta).returning(Account))
    return (await session.scalars(stmt, execution_options=_FRESH)).one()


async def due_for_expiry(session: AsyncSession, *, now: datetime, limit: int) -> list[Any]:
    """Holds still active, and spends never confirmed, past their expiry."""
    stmt = (select(_hold.c.hold_id, _hold.c.employee_no)
            .where(_hold.c.status.in_((HoldStatus.ACTIVE, HoldStatus.SPENT)),
                   _hold.c.expires_at <= now)
            .order_by(_hold.c.expires_at).limit(limit))
    return list((await session.execute(stmt)).all())


# A spend in one statement: the account locked, and unless a hold of that id exists
# or the spendable balance is short, the spend entry, the hold (spent) and the
# balance written together. Answers the hold made (``spent``), or the one found
# (``prior``), and the spendable balance before and after.
SPEND = prebuild(text("""
WITH acct AS (
    SELECT employee_no, balance, held FROM account
    WHERE employee_no = CAST(:employee_no AS varchar) FOR UPDATE
), prior AS (
    SELECT * FROM hold WHERE hold_id = CAST(:hold_id AS uuid)
), entry AS (
    INSERT INTO ledger_entry (employee_no, kind, amount, qualifying_amount, reason,
                              occurred_at, details)
    SELECT a.employee_no, 'spend', -CAST(:points AS bigint), 0, CAST(:reason AS text), now(),
           CAST(:details AS jsonb)
    FROM acct a
    WHERE NOT EXISTS (SELECT 1 FROM prior) AND a.balance - a.held >= CAST(:points AS bigint)
    RETURNING id, employee_no
), spent AS (
    INSERT INTO hold (hold_id, employee_no, points, status, reason, expires_at, settled_at,
                      spend_entry_id)
    SELECT CAST(:hold_id AS uuid), e.employee_no, CAST(:points AS bigint), 'spent',
           CAST(:reason AS text), CAST(:expires_at AS timestamptz), now(), e.id
    FROM entry e
    RETURNING *
), moved AS (
    UPDATE account a SET balance = a.balance - CAST(:points AS bigint), updated_at = now()
    FROM entry e WHERE a.employee_no = e.employee_no
    RETURNING a.balance - a.held AS spendable
)
SELECT (SELECT to_jsonb(s) FROM spent s) AS spent, (SELECT to_jsonb(p) FROM prior p) AS prior,
       (SELECT balance - held FROM acct) AS spendable,
       (SELECT spendable FROM moved) AS spendable_after
"""))

# The spends of a batch of captures confirmed together (hold ids of those confirmed).
CONFIRM_SPENDS = (update(_hold).where(_hold.c.hold_id == any_(bindparam(
                      "hold_ids", type_=ARRAY(PG_UUID(as_uuid=True)))),
                                      _hold.c.status == HoldStatus.SPENT)
                  .values(status=HoldStatus.CAPTURED).returning(_hold.c.hold_id))


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
