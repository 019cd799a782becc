"""Publishing an event to webhook subscribers, in the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.webhooks import repository as repo
from services.points_api.webhooks.errors import UnknownEventType
from services.points_api.webhooks.event_types import EVENT_TYPES
from services.points_api.webhooks.signing import json_text, plain_json


async def publish(session: AsyncSession, *, event_type: str, payload: dict[str, Any],
                  occurred_at: datetime | None = None, event_id: uuid.UUID | None = None) -> int:
    """Record an outgoing event and one delivery per active subscription whose
    event types include ``event_type`` (or ``*``). Returns the number of deliveries.

    Runs in the caller's transaction, so the event exists exactly when the change
    it reports was committed; the delivery worker sends it afterwards. Idempotent on
    ``event_id``: publishing an id again creates nothing and returns 0. ``payload``
    may hold datetimes, dates, UUIDs and Decimals (sent as ISO 8601 / strings).
    Raises :class:`UnknownEventType` for a type outside the catalogue."""
    if event_type not in EVENT_TYPES:
        raise UnknownEventType(f"{event_type!r} is not a webhook event type")
    occurred_at = occurred_at or datetime.now(UTC)
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    event_id = event_id or uuid.uuid4()
    return await record(session, event_id=event_id, event_type=event_type,
                        payload=plain_json(payload), occurred_at=occurred_at)


async def record(session: AsyncSession, *, event_id: uuid.UUID, event_type: str,
                 payload: dict[str, Any], occurred_at: datetime,
                 subscription_id: uuid.UUID | None = None) -> int:
    """Store the event and fan it out (to every matching subscription, or to the one
    given, as a ping does)."""
    if not await repo.insert_event(session, event_id=event_id, event_type=event_type,
                                   payload=payload, occurred_at=occurred_at):
        return 0
    return await repo.fan_out(session, event_id=event_id, event_type=event_type,
                              subscription_id=subscription_id)


async def publish_each(session: AsyncSession, *, event_type: str,
                       events: list[tuple[uuid.UUID, datetime, dict[str, Any]]]
                       ) -> dict[uuid.UUID, int]:
    """:func:`publish` for many events of one type, ``(event_id, occurred_at, payload)``
    each, in one statement whatever their number, answering the deliveries of each
    event (an event published before, or with no subscriber, is left out)."""
    return await repo.publish_each(session, event_type=event_type,
                                   events=_as_text(event_type, events))


def publish_params(event_type: str, events: list[tuple[uuid.UUID, datetime, dict[str, Any]]]
                   ) -> dict[str, Any]:
    """:func:`publish_each` as the parameters of ``repository.PUBLISH_CTES``, for a
    statement that publishes with other work (an earning batch's consequences)."""
    return repo.publish_params(event_type, _as_text(event_type, events))


def _as_text(event_type: str, events: list[tuple[uuid.UUID, datetime, dict[str, Any]]]
             ) -> list[tuple[uuid.UUID, datetime, str]]:
    if event_type not in EVENT_TYPES:
        raise UnknownEventType(f"{event_type!r} is not a webhook event type")
    return [(event_id, at, json_text(payload)) for event_id, at, payload in events]
