"""Consumer side of exactly-once: each applied event_id is recorded under a
unique constraint in the same transaction as its effect."""

from __future__ import annotations

import uuid

from sqlalchemy import Column, DateTime, MetaData, String, Table, func
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
