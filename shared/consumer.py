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
from shared.inbox import claim_event

log = structlog.get_logger("jifen.consumer")

EventHandler = Callable[[AsyncSession, EventEnvelope], Awaitable[dict[str, Any] | None]]


class RetryLater(Exception):
    """The event cannot be applied yet (e.g. it refers to something not synced yet)."""


class RejectEvent(Exception):
    """The event can never be applied; it goes to the producer's dead letters."""


async def consume(
    sessionmaker: Any, processed: Table, batch: EventBatch, handlers: dict[str, EventHandler]
) -> EventBatchReceipt:
    receipts = []
    for envelope in batch.events:
        receipts.append(await _consume_one(sessionmaker, processed, envelope, handlers))
    return EventBatchReceipt(receipts=receipts)


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


def events_router(service: str, processed: Table, handlers: dict[str, EventHandler]) -> APIRouter:
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
        return await consume(request.app.state.sessionmaker, processed, batch, handlers)

    return router
