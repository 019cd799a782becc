"""Consumer side of the event flow: ``POST /<prefix>/v1/internal/events``.

Each event is applied in its own transaction together with its row in
``processed_event``, so a redelivered event changes nothing and one bad event
does not hold back the rest of the batch. Only services call it, each proving
who it is with its own key, and each event type is accepted from the one
service that produces it (training facts from training_api, hold captures from
rewards_api): a peer cannot post another's events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.contracts.events import EventBatch, EventBatchReceipt, EventEnvelope, EventReceipt
from shared.inbox import Claims, claim_event, claim_events, unclaim_events
from shared.routing import APIRouter, body_and_caller, lean
from shared.service_auth import caller_name, service_caller

log = structlog.get_logger("jifen.consumer")

EventHandler = Callable[[AsyncSession, EventEnvelope], Awaitable[dict[str, Any] | None]]


class RetryLater(Exception):
    """The event cannot be applied yet (e.g. it refers to something not synced yet)."""


class RejectEvent(Exception):
    """The event can never be applied; it goes to the producer's dead letters."""


# A handler of many events in one transaction (already claimed): for each, its
# result, or the RetryLater/RejectEvent that kept it from being applied.
PlainBatchHandler = Callable[
    [AsyncSession, list[EventEnvelope]], Awaitable[Sequence["dict[str, Any] | Exception"]]]


@dataclass(frozen=True)
class ClaimingBatchHandler:
    """A batch handler that claims its events itself, in its first statement (see
    :class:`shared.inbox.Claims`), so that the claim costs no round trip of its own.
    ``apply`` answers, for each event it is given (each id once), its result, the
    RetryLater/RejectEvent that kept it from being applied (its claim is taken back),
    or None for an event the claim found applied before (a duplicate)."""

    apply: Callable[[AsyncSession, list[EventEnvelope], Claims],
                    Awaitable[Sequence[dict[str, Any] | Exception | None]]]


BatchHandler = PlainBatchHandler | ClaimingBatchHandler


async def consume(
    sessionmaker: Any, processed: Table, batch: EventBatch, handlers: Mapping[str, EventHandler],
    batch_handlers: Mapping[str, BatchHandler] | None = None, *, caller: str | None = None,
    producers: Mapping[str, str] | None = None,
) -> EventBatchReceipt:
    """Apply a batch in order. Consecutive events whose types have batch handlers go
    together, in one transaction, each handler given its own events (so a producer's
    interleaved types, e.g. rewards_api's captures and the fulfilment events it
    forwards, still make one transaction); the others one by one. Batch handlers of
    one producer must commute with each other (they touch different rows). With
    ``caller`` and ``producers``, an event of a type ``caller`` does not produce is
    refused for good."""
    receipts: list[EventReceipt] = []
    events = list(batch.events)
    if caller is not None:
        refused = [e for e in events if e.event_type in handlers
                   and (producers or {}).get(e.event_type) != caller]
        receipts += [_not_from(e, caller, (producers or {}).get(e.event_type)) for e in refused]
        events = [e for e in events if e not in refused]
    while events:
        run = _batchable_run(events, batch_handlers or {})
        if run:
            receipts += await _consume_together(sessionmaker, processed, run,
                                                batch_handlers or {}, handlers)
            events = events[len(run):]
        else:
            receipts.append(await _consume_one(sessionmaker, processed, events.pop(0),
                                               handlers))
    return EventBatchReceipt(receipts=receipts)


def _batchable_run(events: list[EventEnvelope],
                   batch_handlers: Mapping[str, BatchHandler]) -> list[EventEnvelope]:
    """The events at the head of the list whose types have batch handlers."""
    run = []
    for envelope in events:
        if envelope.event_type not in batch_handlers:
            break
        run.append(envelope)
    return run


async def _consume_together(
    sessionmaker: Any, processed: Table, run: list[EventEnvelope],
    batch_handlers: Mapping[str, BatchHandler], handlers: Mapping[str, EventHandler],
) -> list[EventReceipt]:
    """One transaction for the run: claim every event, hand the new ones to their
    batch handlers (each its own events, in order), take back the claims of those that
    were not applied. Should anything fail, the run is applied again one event at a
    time, so that one bad event holds back none of the others."""
    try:
        async with sessionmaker() as session, session.begin():
            results = await _apply_run(session, processed, run, batch_handlers)
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


async def _apply_run(session: AsyncSession, processed: Table, run: list[EventEnvelope],
                     batch_handlers: Mapping[str, BatchHandler],
                     ) -> dict[Any, dict[str, Any] | Exception]:
    """Claim the run's events (those of claiming handlers in their own first statement,
    after the others: every batch claims in the same order) and hand each handler its
    new ones, each id once: the result of each event applied or refused."""
    own = [e for e in run if not isinstance(batch_handlers[e.event_type], ClaimingBatchHandler)]
    fresh_ids = await claim_events(session, processed, own)
    by_handler: dict[BatchHandler, list[EventEnvelope]] = {}
    seen: set[Any] = set()
    for envelope in run:
        handler = batch_handlers[envelope.event_type]
        if envelope.event_id not in seen and (isinstance(handler, ClaimingBatchHandler)
                                              or envelope.event_id in fresh_ids):
            by_handler.setdefault(handler, []).append(envelope)
            seen.add(envelope.event_id)
    results: dict[Any, dict[str, Any] | Exception] = {}
    for handler, fresh in by_handler.items():
        if isinstance(handler, ClaimingBatchHandler):
            outcomes = await handler.apply(session, fresh, Claims.of(processed, fresh))
            results.update((e.event_id, r) for e, r in zip(fresh, outcomes, strict=True)
                           if r is not None)
        else:
            results.update(zip([e.event_id for e in fresh], await handler(session, fresh),
                               strict=True))
    return results


def _not_from(envelope: EventEnvelope, caller: str, producer: str | None) -> EventReceipt:
    log.warning("event_from_wrong_producer", event_id=str(envelope.event_id),
                event_type=envelope.event_type, caller=caller)
    return EventReceipt(event_id=envelope.event_id, status="failed", permanent=True,
                        error=f"{envelope.event_type} is accepted from {producer} only, "
                              f"not {caller}")


def _failure(envelope: EventEnvelope, error: Exception) -> EventReceipt:
    permanent = isinstance(error, RejectEvent)
    if permanent:
        log.warning("event_rejected", event_id=str(envelope.event_id), error=str(error))
    return EventReceipt(event_id=envelope.event_id, status="failed", error=str(error),
                        permanent=permanent)


async def _consume_one(
    sessionmaker: Any, processed: Table, envelope: EventEnvelope,
    handlers: Mapping[str, EventHandler],
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


def events_router(service: str, processed: Table, handlers: Mapping[str, EventHandler],
                  batch_handlers: Mapping[str, BatchHandler] | None = None, *,
                  producers: Mapping[str, str]) -> APIRouter:
    """The intake route. ``batch_handlers``: event types applied many at a time (see
    :func:`consume`); ``handlers`` must handle them one at a time too. ``producers``
    names, for each event type handled here, the one service allowed to send it."""
    missing = set(handlers) - set(producers)
    if missing:
        raise ValueError(f"no producer named for event types {sorted(missing)}")
    router = APIRouter(tags=["internal"], include_in_schema=False)
    producer = service_caller(*sorted(set(producers.values())))

    async def receive(request: Request, batch: EventBatch, caller: Principal) -> Response:
        receipt = await consume(request.app.state.sessionmaker, processed, batch, handlers,
                                batch_handlers, caller=caller_name(caller),
                                producers=producers)
        return Response(receipt.model_dump_json(), media_type="application/json")

    async def receive_lean(route: APIRoute, request: Request) -> Response:
        """A batch without FastAPI's generic request handling: what
        :func:`receive_events`'s parameters would do, in their order."""
        # a batch's text is most of its cost: validated straight from it
        batch, caller = await body_and_caller(route, request, producer, quick=True)
        assert isinstance(batch, EventBatch)
        return await receive(request, batch, caller)

    @router.post(
        f"/{service}/v1/internal/events",
        response_model=EventBatchReceipt,
        operation_id=f"{service}_receive_events",
        summary="Receive events from peers",
    )
    @lean(receive_lean)
    async def receive_events(
        request: Request, batch: EventBatch, caller: Principal = Depends(producer)
    ) -> Response:
        """Called by other services' outbox relays, never through the gateway.
        Applies each event exactly once; answers a receipt per event (its JSON made
        once: FastAPI would validate the receipts again before making it).
        :func:`receive_lean` answers its requests."""
        return await receive(request, batch, caller)

    return router
