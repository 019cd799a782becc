"""The kit's after-commit delivery: an event enqueued in a transaction is handed to
the relay once that transaction commits, exactly once, and never when it rolls back
(also inside a savepoint, and on a driver connection's own transaction). The
consumer is an in-process transport that records what it is sent and answers as a
consumer does; the outbox rows live in the test's rolled-back transaction."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.training_api.config import Settings
from services.training_api.db import kit_tables
from shared.db import driver_connection
from shared.jobs import RUNNER, JobRunner, enqueue_job
from shared.outbox import (
    RELAY,
    OutboxEvent,
    OutboxRelay,
    answers,
    enqueue,
    outbox_rows,
    pending,
    record,
)

_outbox = kit_tables.outbox


class Consumer:
    """An event endpoint that records every event it is sent and applies it, or
    refuses the whole batch with ``refuse`` as its HTTP status."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.refuse: int | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.refuse is not None:
            return httpx.Response(self.refuse, json={"title": "refused"})
        events = json.loads(request.content)["events"]
        self.received += [e["event_id"] for e in events]
        return httpx.Response(200, json={"receipts": [
            {"event_id": e["event_id"], "status": "applied", "result": {"seen": True}}
            for e in events]})


@pytest.fixture
async def consumer() -> Consumer:
    return Consumer()


@pytest.fixture
async def relay(training_db: AsyncSession, consumer: Consumer) -> AsyncIterator[OutboxRelay]:
    """A relay on the test's own connection (so it sees the rolled-back rows), named by
    the test session's transactions as the service's sessions name theirs."""
    sessions = async_sessionmaker(bind=training_db.bind, expire_on_commit=False,
                                  join_transaction_mode="create_savepoint")
    client = httpx.AsyncClient(transport=httpx.MockTransport(consumer),
                               base_url="http://points")
    made = OutboxRelay(service="training", table=_outbox, sessionmaker=sessions,
                       settings=Settings(), destinations={"points": (client, "/events")})
    training_db.info[RELAY] = made
    yield made
    await made.stop()
    await client.aclose()


async def _enqueue(session: AsyncSession, no: str, **kw: Any) -> OutboxEvent:
    await enqueue(session, _outbox, event_type="employee.upserted",
                  payload={"employee_no": no}, destinations=["points"], **kw)
    return pending(session)[-1]


async def _delivered_at(session: AsyncSession, row_id: int) -> Any:
    return (await session.execute(
        select(_outbox.c.delivered_at).where(_outbox.c.id == row_id))).scalar_one_or_none()


async def test_enqueue_then_rollback_delivers_nothing(training_db, relay, consumer):
    await _enqueue(training_db, "AC-1")
    await _enqueue(training_db, "AC-2", delivered_by_caller=True)
    await training_db.rollback()
    assert await answers(training_db, timeout=5) == []
    await relay.stop()
    assert consumer.received == []
    assert pending(training_db) == []


@pytest.mark.parametrize("by_caller", [False, True])
async def test_enqueue_then_commit_delivers_once(training_db, relay, consumer, by_caller):
    """Rows read and locked after commit (False) or sent from memory (True, a caller
    waiting for the answer): either way one delivery, marked on the row."""
    event = await _enqueue(training_db, "AC-3", delivered_by_caller=by_caller)
    await training_db.commit()
    (delivery,) = await answers(training_db, timeout=30)
    await relay.stop()  # lets the batched mark of a delivery from memory finish
    assert delivery.delivered and delivery.row_id == event.row_id
    assert delivery.response is not None and delivery.response["result"] == {"seen": True}
    assert consumer.received == [str(event.event_id)]
    assert await _delivered_at(training_db, event.row_id) is not None
    await training_db.commit()  # a later commit of the same session owes nothing more
    await relay.stop()
    assert consumer.received == [str(event.event_id)]


async def test_a_savepoint_rolled_back_takes_its_events_with_it(training_db, relay, consumer):
    kept = await _enqueue(training_db, "AC-4")
    with pytest.raises(LookupError):
        async with training_db.begin_nested():
            await _enqueue(training_db, "AC-5")
            raise LookupError("the nested work fails")
    async with training_db.begin_nested():
        inner = await _enqueue(training_db, "AC-6")
    await training_db.commit()
    deliveries = await answers(training_db, timeout=30)
    await relay.stop()
    assert sorted(d.row_id for d in deliveries) == [kept.row_id, inner.row_id]
    assert sorted(consumer.received) == sorted([str(kept.event_id), str(inner.event_id)])


async def test_a_refused_event_is_dead_lettered_as_permanent(training_db, relay, consumer):
    """A 422 from the consumer cannot be fixed by retrying: the delivery says so in
    ``permanent`` and the row is dead at once, its error as the consumer gave it."""
    consumer.refuse = 422
    event = await _enqueue(training_db, "AC-7")
    await training_db.commit()
    (delivery,) = await answers(training_db, timeout=30)
    assert not delivery.delivered and delivery.permanent
    row = (await training_db.execute(select(_outbox.c.dead_at, _outbox.c.last_error)
                                     .where(_outbox.c.id == event.row_id))).one()
    assert row.dead_at is not None and row.last_error.startswith("HTTP 422")


@pytest.mark.parametrize("commits", [False, True])
async def test_a_driver_connections_transaction_delivers_after_its_commit(
        engines, relay, consumer, commits):
    """The same contract on a driver connection's own transaction (hot paths that
    write through the driver); its transaction writes nothing here."""
    conn, db = await driver_connection(engines["training"], {RELAY: relay})
    (row,) = outbox_rows(event_type="employee.upserted", payload={"employee_no": "AC-8"},
                         destinations=["points"], delivered_by_caller=True)
    event = OutboxEvent.of(1, row)  # delivered from memory: no row to read
    try:
        with contextlib.suppress(LookupError):  # raised only when the work is to fail
            async with db.transaction():
                record(db, [event])
                if not commits:
                    raise LookupError("the work fails")
    finally:
        await conn.close()
    deliveries = await answers(db, timeout=30)
    await relay.stop()
    assert consumer.received == ([str(event.event_id)] if commits else [])
    assert [d.delivered for d in deliveries] == ([True] if commits else [])


async def test_a_job_enqueued_wakes_the_runner_after_commit(training_db):
    assert kit_tables.job is not None
    runner = JobRunner(service="training", table=kit_tables.job,
                       sessionmaker=async_sessionmaker(bind=training_db.bind), handlers={})
    training_db.info[RUNNER] = runner
    await enqueue_job(training_db, runner.table, kind="nothing", params={}, created_by="t")
    assert not runner._wake.is_set()
    await training_db.rollback()
    assert not runner._wake.is_set()
    await enqueue_job(training_db, runner.table, kind="nothing", params={}, created_by="t")
    await training_db.commit()
    assert runner._wake.is_set()


async def test_a_driver_connections_own_statement_delivers_at_once(engines, relay, consumer):
    """A statement outside a driver transaction commits by itself: what is recorded
    after it leaves at once (the course completion's one-statement recording)."""
    conn, db = await driver_connection(engines["training"], {RELAY: relay})
    (row,) = outbox_rows(event_type="employee.upserted", payload={"employee_no": "AC-9"},
                         destinations=["points"], delivered_by_caller=True)
    event = OutboxEvent.of(1, row)
    try:
        record(db, [event])
    finally:
        await conn.close()
    (delivery,) = await answers(db, timeout=30)
    await relay.stop()
    assert delivery.delivered and consumer.received == [str(event.event_id)]
