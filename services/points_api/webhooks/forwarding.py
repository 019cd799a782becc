"""Events other services publish to webhook subscribers: their outbox relays POST
them to ``/points/v1/internal/events`` and these handlers publish them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.webhooks.event_types import FORWARDED_EVENT_TYPES
from services.points_api.webhooks.publish import publish, publish_each
from shared.consumer import BatchHandler, EventHandler
from shared.contracts.events import EventEnvelope


def _event_id(envelope: EventEnvelope) -> uuid.UUID:
    """The producer's own id for the event when its payload carries one (rewards_api's
    integration events do), so receivers see one id whether they poll the producer or
    get the webhook; otherwise the envelope's."""
    try:
        return uuid.UUID(str(envelope.payload["event_id"]))
    except (KeyError, ValueError):
        return envelope.event_id


async def forward(session: AsyncSession, envelope: EventEnvelope) -> dict[str, Any]:
    deliveries = await publish(session, event_type=envelope.event_type,
                               payload=envelope.payload, occurred_at=envelope.occurred_at,
                               event_id=_event_id(envelope))
    return {"webhook_deliveries": deliveries}


async def forward_many(session: AsyncSession, envelopes: list[EventEnvelope]
                       ) -> list[dict[str, Any] | Exception]:
    """:func:`forward` for a batch, one statement per event type whatever the
    number of events (the fulfilment events that travel with rewards_api's captures)."""
    by_type: dict[str, list[EventEnvelope]] = {}
    for envelope in envelopes:
        by_type.setdefault(envelope.event_type, []).append(envelope)
    deliveries: dict[uuid.UUID, int] = {}
    for event_type, group in by_type.items():
        deliveries.update(await publish_each(session, event_type=event_type, events=[
            (_event_id(e), e.occurred_at, e.payload) for e in group]))
    # an id twice in the batch was published once: the first answers its deliveries
    return [{"webhook_deliveries": deliveries.pop(_event_id(e), 0)} for e in envelopes]


def forwarded_event_handlers() -> dict[str, EventHandler]:
    return {event_type: forward for event_type in FORWARDED_EVENT_TYPES}


def forwarded_batch_handlers() -> dict[str, BatchHandler]:
    return {event_type: forward_many for event_type in FORWARDED_EVENT_TYPES}
