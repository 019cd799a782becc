"""Consumer side of the event flow: ``POST /<prefix>/v1/internal/events``.

Each event is applied in its own transaction together with its row in
``processed_event``, so a redelivered event changes nothing and one bad event
does not hold back the rest of the batch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import APIRouter, Request
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import ServiceCaller
from shared.contracts.events import EventBatch, EventBatchReceipt, EventEnvelope, EventReceipt
from shared.errors import Forbidden, Unauthorized, responses
from shared.inbox import claim_event, claim_events, unclaim_events

log = structlog.get_logger("jifen.consumer")

EventHandler = Callable[[AsyncSession, EventEnvelope], Awaitable[dict[str, Any] | None]]


class RetryLater(Exception):
    """The event cannot be applied yet (e.g. it refers to something not synced yet)."""


class RejectEvent(Exception):
    """The event can never be applied; it goes to the producer's dead letters."""


# A handler of many events in one transaction (already claimed): for each, its
# result, or the RetryLater/RejectEvent that kept it from being applied.
BatchHandler = Callable[
    [AsyncSession, list[EventEnvelope]], Awaitable[list["dict[str, Any] | Exception"]]]


async def consume(
    sessionmaker: Any, processed: Table, batch: EventBatch, handlers: dict[str, EventHandler],
    batch_handlers: dict[str, BatchHandler] | None = None,
) -> EventBatchReceipt:
    """Apply a batch in order. Consecutive events whose type has a batch handler go to
    it together, in one transaction; the others one by one."""
    receipts: list[EventReceipt] = []
    events = list(batch.events)
    while events:
        run = _batchable_run(events, batch_handlers or {})
        if run:
            receipts += await _consume_together(sessionmaker, processed, run,
                                                (batch_handlers or {})[run[0].event_type],
                                                handlers)
            events = events[len(run):]
        else:
            receipts.append(await _consume_one(sessionmaker, processed, events.pop(0),
                                               handlers))
    return EventBatchReceipt(receipts=receipts)


def _batchable_run(events: list[EventEnvelope],
                   batch_handlers: dict[str, BatchHandler]) -> list[EventEnvelope]:
    """The events at the head of the list that one batch handler takes."""
    handler = batch_handlers.get(events[0].event_type)
    if handler is None:
        return []
    run = []
    for envelope in events:
        if batch_handlers.get(envelope.event_type) is not handler:
            break
        run.append(envelope)
    return run


async def _consume_together(
    sessionmaker: Any, processed: Table, run: list[EventEnvelope], handler: BatchHandler,
    handlers: dict[str, EventHandler],
) -> list[EventReceipt]:
    """One transaction for the run: claim every event, apply the new ones together,
    take back the claims of those that were not applied. Should anything fail, the
    run is applied again one event at a time, so that one bad event holds back none
    of the others."""
    try:
        async with sessionmaker() as session, session.begin():
            fresh_ids = await claim_events(session, processed, run)
            fresh, seen = [], set()
            for envelope in run:
                if envelope.event_id in fresh_ids and envelope.event_id not in seen:
                    fresh.append(envelope)
                    seen.add(envelope.event_id)
            results = dict(zip([e.event_id for e in fresh],
                               await handler(session, fresh) if fresh else [], strict=True))
            await unclaim_events(session, processed, [
                event_id for event_id, r in results.items() if isinstance(r, Exception)])
    except Exception:
        log.exception("event_batch_failed", events=len(run))
        return [await _consume_one(sessionmaker, processed, e, handlers) for e in run]
    receipts = []
    for envelope in run:
        result = results.pop(envelope.event_id, None)
        if result is None:
            receipts.append(EventReceipt(event_id=envelope.event_id, status="duplicate"))
        elif isinstance(result, Exception):
            receipts.append(_failure(envelope, result))
        else:
            receipts.append(EventReceipt(event_id=envelope.event_id, status="applied",
                                         result=result))
    return receipts


def _failure(envelope: EventEnvelope, error: Exception) -> EventReceipt:
    permanent = isinstance(error, RejectEvent)
    if permanent:
        log.warning("event_rejected", event_id=str(envelope.event_id), error=str(error))
    return EventReceipt(event_id=envelope.event_id, status="failed", error=str(error),
                        permanent=permanent)


async def _consume_one(
    sessionmaker: Any, processed: Table, envelope: EventEnvelope, handlers: dict[str, EventHandler]
) -> EventReceipt:
    handler = handlers.get(envelope.event_type)
    if handler is None:
        return EventReceipt(event_id=envelope.event_id, status="ignored")
    try:
        async with sessionmaker() as session, session.begin():
            fresh = await claim_event(
                session,
                processed,
                event_id=envelope.event_id,
                event_type=envelope.event_type,
                producer=envelope.producer,
            )
            if not fresh:
                return EventReceipt(event_id=envelope.event_id, status="duplicate")
            result = await handler(session, envelope)
    except RetryLater as exc:
        return EventReceipt(event_id=envelope.event_id, status="failed", error=str(exc))
    except RejectEvent as exc:
        log.warning("event_rejected", event_id=str(envelope.event_id), error=str(exc))
        return EventReceipt(
            event_id=envelope.event_id, status="failed", error=str(exc), permanent=True
        )
    except Exception as exc:
        log.exception(
            "event_failed", event_id=str(envelope.event_id), event_type=envelope.event_type
        )
        return EventReceipt(event_id=envelope.event_id, status="failed", error=repr(exc)[:500])
    return EventReceipt(event_id=envelope.event_id, status="applied", result=result)


def events_router(service: str, processed: Table, handlers: dict[str, EventHandler],
                  batch_handlers: dict[str, BatchHandler] | None = None) -> APIRouter:
    """The intake route. ``batch_handlers``: event types applied many at a time (see
    :func:`consume`); ``handlers`` must handle them one at a time too."""
    router = APIRouter(tags=["internal"])

    @router.post(
        f"/{service}/v1/internal/events",
        response_model=EventBatchReceipt,
        operation_id=f"{service}_receive_events",
        summary="Receive events from peers",
        responses=responses(Unauthorized, Forbidden),
    )
    async def receive_events(
        request: Request, batch: EventBatch, _: ServiceCaller
    ) -> EventBatchReceipt:
        """Called by other services' outbox relays (role ``service``). Applies each
        event exactly once; answers a receipt per event."""
        return await consume(request.app.state.sessionmaker, processed, batch, handlers,
                             batch_handlers)

    return router
