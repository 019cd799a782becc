"""Transactional outbox: events written in the same transaction as the change,
delivered over HTTP by a relay that any number of replicas can run.

Rows are claimed with ``FOR UPDATE SKIP LOCKED``; failures back off
exponentially and after ``outbox_max_attempts`` failures the consumer answered the
row is dead-lettered (visible in the admin endpoint and the
``jifen_outbox_dead_letters`` metric). A failure to get an answer at all (a timeout,
a refused or broken connection, a busy or unreachable consumer: see
:func:`transient_failure`) backs off the same way but never dead-letters: the event
is sound, the consumer is slow or away, and the event waits for it.

A producer calls :func:`enqueue` in its transaction (an ORM session or a driver
connection): the rows are written there, and the transaction remembers them. Once it
commits, the kit hands them to the relay at once (:meth:`OutboxRelay.committed`); if
it rolls back, nothing happens. An endpoint that answers with the consumer's answer
(training_api's recordings, within their feedback budget) waits for it with
:func:`answers` after the commit. Whatever is not delivered then, by a crash or a
consumer that is down, the relay loop delivers later: the row is in the same
transaction as the change it announces, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
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
    Update,
    and_,
    any_,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.contracts.events import EventBatch, EventBatchReceipt, EventEnvelope
from shared.db import DriverConnection, after_commit, driver_connection, owed, prebuild
from shared.http import JSON_HEADERS, PeerClient, PeerHTTPClient
from shared.observability import OUTBOX_BACKLOG, OUTBOX_DEAD, OUTBOX_DELIVERED, OUTBOX_FAILED
from shared.pagination import decode_id_cursor, encode_id_cursor
from shared.retry import PollingLoop, backoff
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
# how long deliveries by their producers gather before one UPDATE marks them all: well
# within CALLER_DELIVERY_GRACE (a row still unmarked past it is delivered again by the
# loop, which the consumer answers as a duplicate), long enough that under load one
# autocommitted statement marks the rows of many requests (measured: a mark every
# 0.05 s cost training_api and PostgreSQL more per recording; docs/benchmarks.md)
MARK_INTERVAL = 0.5


@dataclass(frozen=True)
class OutboxEvent:
    """An outbox row as its producer wrote it: what its transaction records for the
    relay (:func:`record`), which delivers it after commit without reading it back."""

    row_id: int
    event_id: uuid.UUID
    event_type: str
    destination: str
    payload: dict[str, Any]
    occurred_at: datetime
    # written with ``delivered_by_caller``: the relay loop leaves it alone for a while
    delivered_by_caller: bool = False

    @classmethod
    def of(cls, row_id: int, row: dict[str, Any]) -> OutboxEvent:
        """The event of an outbox row written from ``row`` (see :func:`outbox_rows`)."""
        now = datetime.now(UTC)
        return cls(row_id=row_id, event_id=row["event_id"], event_type=row["event_type"],
                   destination=row["destination"], payload=row["payload"],
                   occurred_at=row["occurred_at"],
                   delivered_by_caller=row.get("available_at", now) > now)

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
) -> list[OutboxEvent]:
    """Add events to the outbox in the caller's transaction, one row per destination
    (see :func:`outbox_rows`), and have the kit deliver them once that transaction
    commits (:func:`record`). ``payload`` may be a list: one event per payload (bulk
    work such as imports). Answers the events written (what they announce), never
    something to deliver: the kit does that."""
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
    record(session, events)
    return events


# -- after commit ------------------------------------------------------------------------
# A transaction's info names the relay that delivers what it wrote (the service's
# sessions and driver connections carry it, see shared.app); without one (a test's
# session, a command) the rows wait for a relay loop.
RELAY = "jifen.outbox.relay"
_STARTED = "jifen.outbox.started"
Transaction = AsyncSession | DriverConnection


def record(db: Transaction, events: Iterable[OutboxEvent]) -> None:
    """Deliver these outbox rows, written in ``db``'s open transaction by the caller's
    own statement, once that transaction commits; forget them if it rolls back."""
    after_commit(db, _deliver_committed, events)


def redeliver(db: Transaction, row_ids: Iterable[int]) -> None:
    """Deliver outbox rows written by an earlier transaction (a replay finding its
    event undelivered) once ``db``'s transaction commits."""
    after_commit(db, _deliver_committed, row_ids)


def hand_over(db: Transaction, row_ids: Iterable[int]) -> None:
    """Leave the outbox rows ``db``'s transaction wrote with its own statements (their
    ids, as the statement returned them) to the relay loop once it commits
    (:meth:`OutboxRelay.hand_over`): the rows of writers committing at the same moment
    leave together in the loop's next batch, read by their ids."""
    after_commit(db, _hand_over, row_ids)


def _hand_over(info: dict[str, Any], row_ids: list[int]) -> None:
    relay: OutboxRelay | None = info.get(RELAY)
    if relay is not None:
        relay.hand_over(row_ids)


def pending(db: Transaction) -> list[OutboxEvent]:
    """The events ``db``'s open transaction has enqueued so far (a job counting what
    it waits for)."""
    return [e for e in owed(db.info, _deliver_committed) if isinstance(e, OutboxEvent)]


async def answers(db: Transaction, *, timeout: float | None) -> list[Delivery]:  # noqa: ASYNC109
    """The consumers' answers to what ``db``'s last commit handed to the relay, as far
    as they come within ``timeout`` (an endpoint that answers with them). Past it the
    caller stops waiting; the deliveries carry on, and the relay loop takes over from
    any that fail."""
    started: list[asyncio.Future[Any]] = db.info.pop(_STARTED, [])
    if not started:
        return []
    done: set[asyncio.Future[Any]] = set()
    if timeout is None or timeout > 0:
        done, _ = await asyncio.wait(started, timeout=timeout)
    else:
        done = {f for f in started if f.done()}
    out: list[Delivery] = []
    for future in started:
        if future in done and not future.cancelled() and future.exception() is None:
            result = future.result()
            out.extend(result if isinstance(result, list) else [result])
    return out


def _deliver_committed(info: dict[str, Any], items: list[OutboxEvent | int]) -> None:
    relay: OutboxRelay | None = info.get(RELAY)
    if relay is not None and items:
        info[_STARTED] = relay.committed(items)


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
    # a retry cannot help (the consumer refused the event): dead-letter it at once
    permanent: bool = False


@dataclass(frozen=True)
class DeadLetter:
    """An event given up on, as the admin list shows it."""

    id: int
    event_id: uuid.UUID
    event_type: str
    destination: str
    attempts: int
    last_error: str | None
    created_at: datetime
    dead_at: datetime


class OutboxRelay(PollingLoop):
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
        super().__init__(name=f"{service}-outbox-relay", poll_seconds=settings.outbox_poll_seconds)
        self.service = service
        self.table = table
        self.sessionmaker = sessionmaker
        self.destinations = destinations
        self.settings = settings
        self._in_flight: set[asyncio.Task[list[Delivery]]] = set()
        self._delivered: set[int] = set()  # delivered by their producer, not marked yet
        self._unmarked: set[int] = set()  # the same, until their mark has committed
        self._marking: asyncio.Task[None] | None = None
        self._lanes: dict[str, _Lanes] = {}
        self._handed: list[int] = []  # rows committed for the loop's next batch
        self._scanned_at = 0.0  # the loop's last look for everything due (monotonic)
        self._mark_update = _mark_statement(table)
        self._mark = prebuild(self._mark_update)

    # -- delivery -------------------------------------------------------------------

    def committed(self, items: list[OutboxEvent | int]) -> list[asyncio.Future[Any]]:
        """Start delivering what a transaction has just committed, without waiting:
        events written for their caller travel from memory (:meth:`deliver_events`),
        other rows are read and locked (:meth:`deliver_now`) when they fit one batch,
        and the loop is woken for the rest. Answers what was started, for
        :func:`answers`."""
        from_memory = [i for i in items if isinstance(i, OutboxEvent) and i.delivered_by_caller]
        rows = [i.row_id if isinstance(i, OutboxEvent) else i for i in items
                if not (isinstance(i, OutboxEvent) and i.delivered_by_caller)]
        started: list[asyncio.Future[Any]] = [
            self._lane(event.destination).submit(event) for event in from_memory]
        if rows and len(rows) <= self.settings.outbox_batch_size:
            task = asyncio.get_running_loop().create_task(self._deliver_committed_rows(rows))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
            started.append(task)
        elif rows:
            self.wake()
        return started

    async def _deliver_committed_rows(self, row_ids: list[int]) -> list[Delivery]:
        try:
            deliveries = await self.deliver_now(row_ids)
        except Exception as exc:  # the loop delivers them later
            log.info("deliver_now_failed", error=repr(exc))
            deliveries = []
        if sum(1 for d in deliveries if d.delivered) < len(row_ids):
            self.wake()
        return deliveries

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
            try:
                await self._mark_rows(ids)
            except Exception as exc:  # the loop delivers them again; consumers dedupe
                log.info("outbox_mark_failed", rows=len(ids), error=repr(exc))
            self._unmarked.difference_update(ids)

    async def _mark_rows(self, ids: list[int]) -> None:
        """The mark, autocommitted on a driver connection of the service's engine (no
        BEGIN, no COMMIT, nothing compiled); in a session when the relay's sessions are
        bound to one connection rather than an engine (a test's transaction)."""
        bind = self.sessionmaker.kw.get("bind")
        if isinstance(bind, AsyncEngine):
            conn, db = await driver_connection(bind)
            try:
                await db.first(self._mark, ids=ids)
            finally:
                await conn.close()
            return
        async with self.sessionmaker() as session, session.begin():
            await session.execute(self._mark_update, {"ids": ids})

    def hand_over(self, row_ids: Iterable[int]) -> None:
        """Rows a producer has just committed, for the loop's next batch: gathered while
        a batch is on its way, then read and locked by their ids (``FOR UPDATE SKIP
        LOCKED``, as any batch) and delivered together.

        Read by their ids, not by the loop's look for everything due: that look walks
        the pending rows' partial index, whose entries for rows delivered moments ago
        are cleaned up only by vacuum while the index's newest page keeps changing
        under load (measured: from 110 to 990 pages read per look over 12 s of
        redemptions). The look still runs at least every ``outbox_poll_seconds`` (rows
        failed earlier, another replica's). Ids lost with the process are rows the loop
        finds due there, as it finds any."""
        self._handed.extend(row_ids)
        self.wake()

    async def deliver_pending(self) -> int:
        """One pass of the relay loop: deliver what is due. Returns rows delivered."""
        self._scanned_at = time.monotonic()
        deliveries = await self._deliver(row_ids=None)
        return sum(1 for d in deliveries if d.delivered)

    async def deliver_handed(self) -> bool:
        """Deliver the next batch of the rows handed over (:meth:`hand_over`); whether
        more are waiting."""
        size = self.settings.outbox_batch_size
        ids, self._handed = self._handed[:size], self._handed[size:]
        await self._deliver(row_ids=ids)
        return bool(self._handed)

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
                d.error, d.permanent = f"unknown destination {dest!r}", True
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
            status, body = await _post_json(client, path, batch.model_dump_json().encode())
        except (httpx.HTTPError, aiohttp.ClientError, TimeoutError) as exc:
            for d in results:
                d.error = f"{exc.__class__.__name__}: {exc}"[:500]
                # no answer came: aiohttp's errors are all of the transport
                d.transient = not isinstance(exc, httpx.HTTPError) or transient_failure(exc)
            return results
        if status >= 300:
            for d in results:
                d.error = f"HTTP {status}: {body[:400].decode(errors='replace')}"
                d.transient = transient_failure(status)
                d.permanent = status in _PERMANENT
            return results
        # straight from the JSON text; a receipt's result is JSON already, kept as it came
        receipts = {r.event_id: r for r in EventBatchReceipt.model_validate_json(body).receipts}
        for d in results:
            receipt = receipts.get(d.event_id)
            if receipt is None:
                d.error = "consumer returned no receipt"
            elif receipt.status == "failed":
                d.error, d.permanent = receipt.error or "failed", receipt.permanent
            else:
                d.delivered = True
                d.response = {"event_id": str(receipt.event_id), "status": receipt.status,
                              "result": receipt.result}
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
        values: dict[str, Any] = {"attempts": attempts, "transient_failures": transient,
                                  "last_error": delivery.error}
        if delivery.permanent or attempts - transient >= self.settings.outbox_max_attempts:
            values["dead_at"] = now
            log.warning(
                "outbox_dead_letter",
                event_id=str(row["event_id"]),
                destination=delivery.destination,
                error=delivery.error,
            )
        else:
            values["available_at"] = now + timedelta(seconds=backoff(
                attempts, base_seconds=self.settings.outbox_backoff_base_seconds,
                max_seconds=self.settings.outbox_backoff_max_seconds))
        await session.execute(update(t).where(t.c.id == row["id"]).values(**values))

    # -- loop -----------------------------------------------------------------------

    async def step(self) -> bool:
        if self._handed and time.monotonic() - self._scanned_at < self.poll_seconds:
            return await self.deliver_handed()
        # the look for everything due delivers the rows handed over as well
        self._handed.clear()
        return await self.deliver_pending() >= self.settings.outbox_batch_size

    async def stop(self) -> None:
        in_flight = {*self._in_flight, *(t for lanes in self._lanes.values()
                                         for t in lanes.sending)}
        if in_flight:  # deliveries past their caller's budget: let them finish
            await asyncio.wait(in_flight, timeout=5)
        if self._marking is not None:
            await asyncio.wait({self._marking}, timeout=5)
        await self.stop_loop()
        if self._handed:  # rows handed over since the last batch: deliver them now
            try:
                await asyncio.wait_for(self._flush_handed(), timeout=5)
            except Exception as exc:  # still due: the next start or a replica delivers them
                log.info("outbox_flush_failed", rows=len(self._handed), error=repr(exc))

    async def _flush_handed(self) -> None:
        while self._handed:
            await self.deliver_handed()

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

    async def dead_letters(self, session: AsyncSession, *, limit: int, cursor: str | None
                           ) -> tuple[list[DeadLetter], str | None]:
        """A page of dead letters, newest first, and the cursor of the next page (a
        cursor this list did not make is BadCursor, 404)."""
        t = self.table
        after = decode_id_cursor(cursor)
        stmt = (select(t.c.id, t.c.event_id, t.c.event_type, t.c.destination, t.c.attempts,
                       t.c.last_error, t.c.created_at, t.c.dead_at)
                .where(t.c.dead_at.is_not(None)).order_by(t.c.id.desc()).limit(limit + 1))
        if after is not None:
            stmt = stmt.where(t.c.id < after)
        rows = [DeadLetter(**r) for r in (await session.execute(stmt)).mappings()]
        more = len(rows) > limit
        return rows[:limit], encode_id_cursor(rows[limit - 1].id) if more else None

    async def retry_dead(self, session: AsyncSession, row_ids: list[int] | None = None) -> int:
        """Put dead letters back in the queue (after the consumer was fixed); they are
        delivered again once the caller's transaction commits."""
        t = self.table
        stmt = update(t).where(t.c.dead_at.is_not(None))
        if row_ids:
            stmt = stmt.where(t.c.id.in_(row_ids))
        requeued = list((await session.execute(
            stmt.values(dead_at=None, attempts=0, transient_failures=0,
                        available_at=func.now()).returning(t.c.id)
        )).scalars())
        redeliver(session, requeued)
        return len(requeued)


async def _post_json(client: httpx.AsyncClient, path: str, content: bytes) -> tuple[int, bytes]:
    """POST a batch to a consumer: the answer's status and body. A peer's client
    (:class:`shared.http.PeerHTTPClient`, every service's) is called straight through
    its aiohttp session (:meth:`~shared.http.PeerHTTPClient.post_json_direct`);
    another client, or one with event hooks that watch its calls (a test's), through
    httpx."""
    if not isinstance(client, PeerHTTPClient) or any(client.event_hooks.values()):
        resp = await client.post(path, content=content, headers=JSON_HEADERS)
        return resp.status_code, resp.content
    status, _, body = await client.post_json_direct(str(PeerClient(client).absolute(path)),
                                                   content)
    return status, body


def _mark_statement(table: Table) -> Update:
    """The mark of rows delivered by their producer (parameter ``ids``); a row the
    loop marked meanwhile keeps its mark."""
    t = table
    return (update(t).where(t.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger))),
                            t.c.delivered_at.is_(None))
            .values(delivered_at=func.now(), attempts=t.c.attempts + 1, last_error=None))


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


