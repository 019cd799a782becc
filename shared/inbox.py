"""Consumer side of exactly-once: each applied event_id is recorded under a
unique constraint in the same transaction as its effect."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Column, DateTime, MetaData, String, Table, delete, func
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession


def processed_event_table(metadata: MetaData) -> Table:
    return Table(
        "processed_event",
        metadata,
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("producer", String(50), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


async def claim_event(
    session: AsyncSession, table: Table, *, event_id: uuid.UUID, event_type: str, producer: str
) -> bool:
    """True when this event is new and its effect must be applied now; False for a
    redelivery. Concurrent deliveries of one event serialise on the primary key."""
    stmt = (
        insert(table)
        .values(event_id=event_id, event_type=event_type, producer=producer)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(table.c.event_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def claim_events(session: AsyncSession, table: Table, envelopes: list[Any]) -> set[uuid.UUID]:
    """:func:`claim_event` for a batch in one statement: the ids new to this consumer
    (an id twice in the batch is new once)."""
    rows = {e.event_id: {"event_id": e.event_id, "event_type": e.event_type,
                         "producer": e.producer} for e in envelopes}
    if not rows:
        return set()
    result = await session.execute(
        insert(table).on_conflict_do_nothing(index_elements=["event_id"])
        .returning(table.c.event_id), list(rows.values()))
    return set(result.scalars())


async def unclaim_events(session: AsyncSession, table: Table, event_ids: list[uuid.UUID]) -> None:
    """Take back claims of a batch's events that were not applied after all."""
    if event_ids:
        await session.execute(delete(table).where(table.c.event_id.in_(event_ids)))
