"""Transactional outbox: events written in the same transaction as the change,
delivered over HTTP by a relay that any number of replicas can run.

Rows are claimed with ``FOR UPDATE SKIP LOCKED``; failures back off
exponentially and after ``outbox_max_attempts`` failures the consumer answered the
row is dead-lettered (visible in the admin endpoint and the
``jifen_outbox_dead_letters`` metric). A failure to get an answer at all (a timeout,
a refused or broken connection, a busy or unreachable consumer: see
:func:`transient_failure`) backs off the same way but never dead-letters: the event
is sound, the consumer is slow or away, and the event waits for it.
Right after commit the producer delivers its own rows at once
(:meth:`OutboxRelay.deliver_now`), so callers usually see the consumer's
answer in the same response; otherwise the loop delivers them later.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import structlog
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.events import EventBatch, EventBatchReceipt, EventEnvelope
from shared.observability import OUTBOX_BACKLOG, OUTBOX_DEAD, OUTBOX_DELIVERED, OUTBOX_FAILED
from shared.settings import ServiceSettings

log = structlog.get_logger("jifen.outbox")

# HTTP answers after which a retry cannot help: the event goes straight to dead letters.
_PERMANENT = {400, 401, 403, 404, 405, 410, 413, 415, 422}
# HTTP answers of a consumer that is overloaded, restarting or not behind its proxy:
# the event was not refused, so the failure does not count toward dead-lettering.
_TRANSIENT = {429, 502, 503, 504}


def transient_failure(error: httpx.HTTPError | int) -> bool:
    """Whether a failed delivery says nothing about the event: no answer came (read
    or connect timeout, connection refused or reset) or the answer says the consumer
    is busy or away. Such failures are retried with backoff for as long as it takes;
    only failures the consumer answered count toward ``outbox_max_attempts``."""
    if isinstance(error, int):
        return error in _TRANSIENT
    return isinstance(error, httpx.TransportError)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox_event",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", UUID(as_uuid=True), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("destination", String(50), nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("available_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("attempts", Integer, nullable=False, server_default="0"),
        # the attempts that got no answer (transient_failure): they never dead-letter
        Column("transient_failures", Integer, nullable=False, server_default="0"),
        Column("delivered_at", DateTime(timezone=True)),
        Column("dead_at", DateTime(timezone=True)),
        Column("last_error", Text),
        UniqueConstraint("event_id", "destination"),
        Index(
            "ix_outbox_event_pending",
            "available_at",
            postgresql_where=text("delivered_at IS NULL AND dead_at IS NULL"),
        ),
    )


# how long the relay loop leaves rows their producer delivers itself (see enqueue)
CALLER_DELIVERY_GRACE = timedelta(seconds=2)
# how long deliveries by their producers gather before one UPDATE marks them all
MARK_INTERVAL = 0.05


@dataclass(frozen=True)
class OutboxEvent:
    """An outbox row as its producer wrote it: what the producer hands to
    :meth:`OutboxRelay.deliver_events` right after commit, without reading it back."""

    row_id: int
    event_id: uuid.UUID
    event_type: str
    destination: str
    payload: dict[str, Any]
    occurred_at: datetime

    @classmethod
    def of(cls, row_id: int, row: dict[str, Any]) -> OutboxEvent:
        """The event of an outbox row written from ``row`` (see :func:`outbox_rows`)."""
        return cls(row_id=row_id, event_id=row["event_id"], event_type=row["event_type"],
                   destination=row["destination"], payload=row["payload"],
                   occurred_at=row["occurred_at"])

    def as_row(self) -> dict[str, Any]:
        return {"id": self.row_id, "event_id": self.event_id, "event_type": self.event_type,
                "destination": self.destination, "payload": self.payload,
                "occurred_at": self.occurred_at}


def outbox_rows(*, event_type: str, payload: dict[str, Any], destinations: list[str],
                occurred_at: datetime | None = None,
                delivered_by_caller: bool = False) -> list[dict[str, Any]]:
    """The outbox rows (one per destination) of one event, to insert.

    ``delivered_by_caller``: the caller delivers the rows itself right after commit
    (and waits for the answer), so the relay loop leaves them alone for
    ``CALLER_DELIVERY_GRACE`` and takes over only if that delivery failed. Without it
    the loop could take a fresh row between the commit and the caller's delivery,
    which then finds nothing to deliver and the caller answers without the result."""
    event_id = uuid.uuid4()
    extra: dict[str, Any] = {}
    if delivered_by_caller:
        extra["available_at"] = datetime.now(UTC) + CALLER_DELIVERY_GRACE
    return [{"event_id": event_id, "event_type": event_type, "destination": d, "payload": payload,
             "occurred_at": occurred_at or datetime.now(UTC), **extra} for d in destinations]


async def enqueue(
    session: AsyncSession,
    table: Table,
    *,
    event_type: str,
    payload: dict[str, Any] | list[dict[str, Any]],
    destinations: list[str],
    occurred_at: datetime | None = None,
    delivered_by_caller: bool = False,
) -> list[int]:
    """Add events to the outbox in the caller's transaction, one row per destination
    (see :func:`outbox_rows`). ``payload`` may be a list: one event per payload (bulk
    work such as imports). Returns the new row ids, for :meth:`OutboxRelay.deliver_now`."""
    return [e.row_id for e in await enqueue_events(
        session, table, event_type=event_type, payload=payload, destinations=destinations,
        occurred_at=occurred_at, delivered_by_caller=delivered_by_caller)]


async def enqueue_events(
    session: AsyncSession,
    table: Table,
    *,
    event_type: str,
    payload: dict[str, Any] | list[dict[str, Any]],
    destinations: list[str],
    occurred_at: datetime | None = None,
    delivered_by_caller: bool = False,
) -> list[OutboxEvent]:
    """:func:`enqueue`, answering the events themselves, for
    :meth:`OutboxRelay.deliver_events`."""
    payloads = payload if isinstance(payload, list) else [payload]
    occurred_at = occurred_at or datetime.now(UTC)
    rows = [row for p in payloads for row in outbox_rows(
        event_type=event_type, payload=p, destinations=destinations, occurred_at=occurred_at,
        delivered_by_caller=delivered_by_caller)]
    events: list[OutboxEvent] = []
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
        result = await session.execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True), chunk)
        events.extend(OutboxEvent.of(row_id, r)
                      for row_id, r in zip(result.scalars(), chunk, strict=True))
    return events


@dataclass
class Delivery:
    """The outcome of delivering one outbox row."""

    row_id: int
    event_id: uuid.UUID
    destination: str
    delivered: bool
    response: dict[str, Any] | None = None
    error: str | None = None
    transient: bool = False  # see transient_failure


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        table: Table,
        sessionmaker: async_sessionmaker[AsyncSession],
        destinations: dict[str, tuple[httpx.AsyncClient, str]],
        settings: ServiceSettings,
    ) -> None:
        """``destinations`` maps a destination name to (client, path) for its event endpoint."""
        self.service = service
        self.table = table
        self.sessionmaker = sessionmaker
        self.destinations = destinations
        self.settings = settings
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[list[Delivery]]] = set()
        self._wake = asyncio.Event()
        self._delivered: set[int] = set()  # delivered by their producer, not marked yet
        self._unmarked: set[int] = set()  # the same, until their mark has committed
        self._marking: asyncio.Task[None] | None = None
        self._lanes: dict[str, _Lanes] = {}

    # -- delivery -------------------------------------------------------------------

    async def deliver_now(
        self, row_ids: list[int], *, timeout: float | None = None  # noqa: ASYNC109
    ) -> list[Delivery]:
        """Deliver these rows at once (after the producer committed). Rows another
        replica already holds are skipped; they are delivered by that replica. Rows
        this process delivered and has not marked yet are answered as the consumer
        answers a redelivery (``duplicate``), without another call."""
        if not row_ids:
            return []
        known = [i for i in row_ids if i in self._unmarked]
        if known:
            return [Delivery(row_id=i, event_id=uuid.UUID(int=0), destination="",
                             delivered=True, response={"status": "duplicate"})
                    for i in known] + await self.deliver_now(
                [i for i in row_ids if i not in self._unmarked], timeout=timeout)
        # Past the budget the delivery is left to finish on its own, never cancelled:
        # cancelling an in-flight httpx request can leak its connection-pool slot.
        task = asyncio.create_task(self._deliver(row_ids=row_ids))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            return []
        return task.result()

    async def deliver_events(
        self, events: list[OutboxEvent], *, timeout: float | None = None  # noqa: ASYNC109
    ) -> list[Delivery]:
        """Deliver events their producer has just committed (written with
        ``delivered_by_caller``), from memory: no transaction to read and lock them.

        The events of requests that deliver at the same moment travel together: while
        ``DELIVERY_LANES`` calls to a consumer are on their way, new events wait, and
        the next call takes every event waiting (up to ``outbox_batch_size``), which
        the consumer applies as one batch. With nothing on its way an event goes at
        once, so a quiet system adds no wait; a busy one makes fewer, larger calls.

        Delivered rows are marked in the next batch of marks (:meth:`_mark_delivered`),
        well within the grace the relay loop gives them; a row that fails, or whose
        mark is lost with the process, is delivered again by the loop, which the
        consumer answers as a duplicate. Past ``timeout`` the caller stops waiting;
        the delivery itself carries on."""
        if not events:
            return []
        waiting = [self._lane(event.destination).submit(event) for event in events]
        done, _ = await asyncio.wait(waiting, timeout=timeout)
        if len(done) < len(waiting):
            return [w.result() for w in waiting if w in done]
        return [w.result() for w in waiting]

    def _lane(self, destination: str) -> _Lanes:
        lanes = self._lanes.get(destination)
        if lanes is None:
            lanes = self._lanes[destination] = _Lanes(self, destination)
        return lanes

    async def _send_batch(self, dest: str, events: list[OutboxEvent]) -> list[Delivery]:
        deliveries = await self._post_batch(dest, [event.as_row() for event in events])
        delivered = [d.row_id for d in deliveries if d.delivered]
        if delivered:
            OUTBOX_DELIVERED.labels(self.service, dest).inc(len(delivered))
            self._delivered.update(delivered)
            self._unmarked.update(delivered)
            if self._marking is None or self._marking.done():
                self._marking = asyncio.create_task(self._mark_delivered())
        return deliveries

    async def _mark_delivered(self) -> None:
        """One UPDATE for every row delivered by its producer since the last one."""
        await asyncio.sleep(MARK_INTERVAL)
        while self._delivered:
            ids, self._delivered = sorted(self._delivered), set()
            t = self.table
            try:
                async with self.sessionmaker() as session, session.begin():
                    await session.execute(
                        update(t).where(t.c.id.in_(ids), t.c.delivered_at.is_(None))
                        .values(delivered_at=func.now(), attempts=t.c.attempts + 1,
                                last_error=None))
            except Exception as exc:  # the loop delivers them again; consumers dedupe
                log.info("outbox_mark_failed", rows=len(ids), error=repr(exc))
            self._unmarked.difference_update(ids)

    async def deliver_pending(self) -> int:
        """One pass of the relay loop: deliver what is due. Returns rows delivered."""
        deliveries = await self._deliver(row_ids=None)
        return sum(1 for d in deliveries if d.delivered)

    async def _deliver(self, *, row_ids: list[int] | None) -> list[Delivery]:
        t = self.table
        cond = and_(t.c.delivered_at.is_(None), t.c.dead_at.is_(None))
        if row_ids is None:
            cond = and_(cond, t.c.available_at <= func.now())
        else:
            cond = and_(cond, t.c.id.in_(row_ids))
        stmt = (
            select(t)
            .where(cond)
            .order_by(t.c.id)
            .limit(self.settings.outbox_batch_size)
            .with_for_update(skip_locked=True)
        )
        out: list[Delivery] = []
        async with self.sessionmaker() as session, session.begin():
            rows = (await session.execute(stmt)).mappings().all()
            by_destination: dict[str, list[Any]] = {}
            for row in rows:
                by_destination.setdefault(row["destination"], []).append(row)
            for dest, dest_rows in by_destination.items():
                deliveries = await self._post_batch(dest, dest_rows)
                await self._record(session, dest_rows, deliveries)
                out.extend(deliveries)
        return out

    async def _post_batch(self, dest: str, rows: list[Any]) -> list[Delivery]:
        """POST a batch of events to one consumer; its receipts say which were applied."""
        results = [
            Delivery(row_id=r["id"], event_id=r["event_id"], destination=dest, delivered=False)
            for r in rows
        ]
        if dest not in self.destinations:
            for d in results:
                d.error = f"permanent unknown destination {dest!r}"
            return results
        client, path = self.destinations[dest]
        batch = EventBatch(
            events=[
                EventEnvelope(
                    event_id=r["event_id"],
                    event_type=r["event_type"],
                    occurred_at=r["occurred_at"],
                    producer=self.service,
                    payload=r["payload"],
                )
                for r in rows
            ]
        )
        try:
            resp = await client.post(
                path, content=batch.model_dump_json(), headers={"content-type": "application/json"}
            )
        except httpx.HTTPError as exc:
            for d in results:
                d.error = f"{exc.__class__.__name__}: {exc}"[:500]
                d.transient = transient_failure(exc)
            return results
        if resp.status_code >= 300:
            prefix = "permanent " if resp.status_code in _PERMANENT else ""
            for d in results:
                d.error = f"{prefix}HTTP {resp.status_code}: {resp.text[:400]}"
                d.transient = transient_failure(resp.status_code)
            return results
        receipts = {r.event_id: r for r in EventBatchReceipt.model_validate(resp.json()).receipts}
        for d in results:
            receipt = receipts.get(d.event_id)
            if receipt is None:
                d.error = "consumer returned no receipt"
            elif receipt.status == "failed":
                d.error = ("permanent " if receipt.permanent else "") + (receipt.error or "failed")
            else:
                d.delivered, d.response = True, receipt.model_dump(mode="json")
        return results

    async def _record(
        self, session: AsyncSession, rows: list[Any], deliveries: list[Delivery]
    ) -> None:
        """Mark the delivered rows in one statement; schedule a retry (or dead-letter)
        for each failed one."""
        t = self.table
        now = datetime.now(UTC)
        delivered = [d.row_id for d in deliveries if d.delivered]
        if delivered:
            OUTBOX_DELIVERED.labels(self.service, deliveries[0].destination).inc(len(delivered))
            await session.execute(
                update(t)
                .where(t.c.id.in_(delivered))
                .values(delivered_at=now, attempts=t.c.attempts + 1, last_error=None)
            )
        for row, delivery in zip(rows, deliveries, strict=True):
            if not delivery.delivered:
                await self._record_failure(session, row, delivery, now)

    async def _record_failure(
        self, session: AsyncSession, row: Any, delivery: Delivery, now: datetime
    ) -> None:
        t = self.table
        OUTBOX_FAILED.labels(self.service, delivery.destination).inc()
        attempts = row["attempts"] + 1
        transient = row["transient_failures"] + delivery.transient
        permanent = (delivery.error or "").startswith("permanent ")
        values: dict[str, Any] = {"attempts": attempts, "transient_failures": transient,
                                  "last_error": delivery.error}
        if permanent or attempts - transient >= self.settings.outbox_max_attempts:
            values["dead_at"] = now
            log.warning(
                "outbox_dead_letter",
                event_id=str(row["event_id"]),
                destination=delivery.destination,
                error=delivery.error,
            )
        else:
            values["available_at"] = now + timedelta(seconds=self.backoff(attempts))
        await session.execute(update(t).where(t.c.id == row["id"]).values(**values))

    def backoff(self, attempts: int) -> float:
        """Exponential backoff with full jitter, capped."""
        s = self.settings
        ceiling = min(
            s.outbox_backoff_max_seconds, s.outbox_backoff_base_seconds * 2 ** (attempts - 1)
        )
        return random.uniform(ceiling / 2, ceiling)

    # -- loop -----------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"{self.service}-outbox-relay")

    def wake(self) -> None:
        self._wake.set()

    async def wake_after_response(self) -> None:
        """:meth:`wake` as a response's background task: a plain function would run in
        a worker thread (a thread hop per request), where the loop's event must not be
        set."""
        self.wake()

    async def stop(self) -> None:
        in_flight = {*self._in_flight, *(t for lanes in self._lanes.values()
                                         for t in lanes.sending)}
        if in_flight:  # deliveries past their caller's budget: let them finish
            await asyncio.wait(in_flight, timeout=5)
        if self._marking is not None:
            await asyncio.wait({self._marking}, timeout=5)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                delivered = await self.deliver_pending()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the loop must survive a database restart
                log.warning("outbox_relay_error", error=repr(exc))
                delivered = 0
            if delivered >= self.settings.outbox_batch_size:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.outbox_poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()

    # -- admin ----------------------------------------------------------------------

    async def stats(self, session: AsyncSession) -> dict[str, Any]:
        t = self.table
        pending = and_(t.c.delivered_at.is_(None), t.c.dead_at.is_(None))
        row = (
            await session.execute(
                select(
                    func.count().filter(pending).label("backlog"),
                    func.count().filter(t.c.dead_at.is_not(None)).label("dead"),
                    func.min(t.c.created_at).filter(pending).label("oldest_pending_at"),
                    func.count().filter(t.c.delivered_at.is_not(None)).label("delivered"),
                )
            )
        ).one()
        OUTBOX_BACKLOG.labels(self.service).set(row.backlog)
        OUTBOX_DEAD.labels(self.service).set(row.dead)
        return {
            "backlog": row.backlog,
            "dead_letters": row.dead,
            "delivered": row.delivered,
            "oldest_pending_at": row.oldest_pending_at,
        }

    async def retry_dead(self, session: AsyncSession, row_ids: list[int] | None = None) -> int:
        """Put dead letters back in the queue (after the consumer was fixed)."""
        t = self.table
        stmt = update(t).where(t.c.dead_at.is_not(None))
        if row_ids:
            stmt = stmt.where(t.c.id.in_(row_ids))
        result = cast(CursorResult[Any], await session.execute(
            stmt.values(dead_at=None, attempts=0, transient_failures=0,
                        available_at=func.now())
        ))
        return result.rowcount or 0


# calls on their way to one consumer at once from the producer's own deliveries: one
# (measured against two under the earning benchmark: larger batches, less CPU per fact
# and a shorter time to points; docs/benchmarks.md)
DELIVERY_LANES = 1


class _Lanes:
    """The producer's own deliveries to one destination (see
    :meth:`OutboxRelay.deliver_events`): events wait while ``DELIVERY_LANES`` calls are
    on their way, then leave together in the next call."""

    def __init__(self, relay: OutboxRelay, destination: str) -> None:
        self.relay, self.destination = relay, destination
        self.waiting: list[tuple[OutboxEvent, asyncio.Future[Delivery]]] = []
        self.sending: set[asyncio.Task[None]] = set()

    def submit(self, event: OutboxEvent) -> asyncio.Future[Delivery]:
        future: asyncio.Future[Delivery] = asyncio.get_running_loop().create_future()
        self.waiting.append((event, future))
        self._pump()
        return future

    def _pump(self) -> None:
        size = self.relay.settings.outbox_batch_size
        while self.waiting and len(self.sending) < DELIVERY_LANES:
            batch, self.waiting = self.waiting[:size], self.waiting[size:]
            task = asyncio.create_task(self._send(batch))
            self.sending.add(task)
            task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self.sending.discard(task)
        self._pump()

    async def _send(self, batch: list[tuple[OutboxEvent, asyncio.Future[Delivery]]]) -> None:
        events = [event for event, _ in batch]
        try:
            deliveries = await self.relay._send_batch(self.destination, events)
        except Exception as exc:  # the relay loop delivers them later
            deliveries = [Delivery(row_id=e.row_id, event_id=e.event_id,
                                   destination=self.destination, delivered=False,
                                   error=repr(exc)[:500]) for e in events]
        for (_, future), delivery in zip(batch, deliveries, strict=True):
            if not future.done():
                future.set_result(delivery)


def after_commit_delivery(
    relay: OutboxRelay, row_ids: list[int]
) -> Callable[[], Awaitable[None]]:
    """A background task (run after the response's transaction committed) that
    delivers small batches at once and wakes the relay loop for large ones."""

    async def task() -> None:
        if not row_ids:
            return
        if len(row_ids) <= relay.settings.outbox_batch_size:
            try:
                await relay.deliver_now(row_ids, timeout=relay.settings.peer_timeout_seconds)
            except Exception as exc:  # the loop delivers it later
                log.info("deliver_now_failed", error=repr(exc))
        relay.wake()

    return task
