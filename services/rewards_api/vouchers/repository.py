"""Queries on voucher code pools."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.rewards_api.models import VoucherCode

_CHUNK = 5000


async def add_codes(session: AsyncSession, item_code: str, codes: list[str],
                    actor: str) -> set[str]:
    """Insert the codes not yet in the item's pool; returns those inserted."""
    inserted: set[str] = set()
    for start in range(0, len(codes), _CHUNK):
        rows = [{"item_code": item_code, "code": c, "imported_by": actor}
                for c in codes[start:start + _CHUNK]]
        result = await session.execute(
            insert(VoucherCode).values(rows)
            .on_conflict_do_nothing(index_elements=["item_code", "code"])
            .returning(VoucherCode.code))
        inserted.update(result.scalars())
    return inserted


async def pool_counts(session: AsyncSession, item_code: str) -> tuple[int, int]:
    """(codes in the pool, codes assigned)."""
    row = (await session.execute(
        select(func.count(), func.count(VoucherCode.redemption_id))
        .where(VoucherCode.item_code == item_code))).one()
    return row[0], row[1]


async def assign(session: AsyncSession, item_code: str, redemption_id: uuid.UUID) -> str | None:
    """Give the oldest free code of the pool to the redemption. Concurrent callers
    skip each other's locked rows instead of queueing, and the unique
    ``redemption_id`` column means a code can never be handed out twice."""
    free = (select(VoucherCode.id)
            .where(VoucherCode.item_code == item_code, VoucherCode.redemption_id.is_(None))
            .order_by(VoucherCode.id).limit(1).with_for_update(skip_locked=True)
            .scalar_subquery())
    result = await session.execute(
        update(VoucherCode).where(VoucherCode.id == free)
        .values(redemption_id=redemption_id, assigned_at=datetime.now(UTC))
        .returning(VoucherCode.code))
    return result.scalar_one_or_none()


async def codes_of(session: AsyncSession, redemption_ids: list[uuid.UUID]
                   ) -> dict[uuid.UUID, str]:
    if not redemption_ids:
        return {}
    rows = await session.execute(select(VoucherCode.redemption_id, VoucherCode.code)
                                 .where(VoucherCode.redemption_id.in_(redemption_ids)))
    return {redemption_id: code for redemption_id, code in rows.tuples()
            if redemption_id is not None}
