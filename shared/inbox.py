"""Consumer side of exactly-once: each applied event_id is recorded under a
unique constraint in the same transaction as its effect."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, DateTime, MetaData, String, Table, TextClause, delete, func, text
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
    claims = Claims.of(table, envelopes)
    if not claims.params:
        return set()
    result = await session.execute(_claims(table.name), claims.params)
    return set(result.scalars())


@dataclass(frozen=True)
class Claims:
    """The claims of a batch, for a handler that takes them in a statement of its own
    (``WITH claimed AS (<sql>) ...``: the claim costs no round trip of its own):
    :attr:`sql` inserts them, in event id order, and returns the ids new to this
    consumer; :attr:`params` are its parameters (``claim_ids``, ``claim_types``,
    ``claim_producers``), empty for an empty batch."""

    sql: str
    params: dict[str, list[Any]]

    @classmethod
    def of(cls, table: Table, envelopes: list[Any]) -> Claims:
        rows = sorted({e.event_id: (e.event_type, e.producer) for e in envelopes}.items())
        params = {"claim_ids": [event_id for event_id, _ in rows],
                  "claim_types": [t for _, (t, _) in rows],
                  "claim_producers": [p for _, (_, p) in rows]} if rows else {}
        return cls(_claims_sql(table.name), params)


@functools.cache
def _claims_sql(table: str) -> str:
    """The claims of a batch as one statement whatever its size (prepared once per
    connection), in event id order (two batches claiming the same events wait for
    each other, never deadlock)."""
    return f"""
        INSERT INTO {table} (event_id, event_type, producer)
        SELECT * FROM unnest(CAST(:claim_ids AS uuid[]), CAST(:claim_types AS varchar[]),
                             CAST(:claim_producers AS varchar[]))
        ORDER BY 1
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id"""


@functools.cache
def _claims(table: str) -> TextClause:
    return text(_claims_sql(table))


async def unclaim_events(session: AsyncSession, table: Table, event_ids: list[uuid.UUID]) -> None:
    """Take back claims of a batch's events that were not applied after all."""
    if event_ids:
        await session.execute(delete(table).where(table.c.event_id.in_(event_ids)))
