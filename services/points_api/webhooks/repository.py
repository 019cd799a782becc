"""Queries on webhook subscriptions, events, deliveries and attempts."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, String, and_, func, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import array, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.webhooks.event_types import ANY, EXPLICIT_ONLY
from services.points_api.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from shared.db import rowcount

_sub = WebhookSubscription.__table__
_event = WebhookEvent.__table__
_delivery = WebhookDelivery.__table__
_attempt = WebhookAttempt.__table__



# -- subscriptions ----------------------------------------------------------------------

# A statement that writes a row the session may hold loads it anew from what it returns
# (and needs no other synchronising).
_FRESH = {"populate_existing": True, "synchronize_session": False}


async def insert_subscription(session: AsyncSession,
                              values: dict[str, Any]) -> WebhookSubscription:
    stmt = insert(WebhookSubscription).values(values).returning(WebhookSubscription)
    return (await session.scalars(stmt, execution_options=_FRESH)).one()


async def get_subscription(session: AsyncSession, subscription_id: uuid.UUID, *,
                           lock: bool = False) -> WebhookSubscription | None:
    stmt = select(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt, execution_options={"populate_existing": True})
            ).one_or_none()


async def update_subscription(session: AsyncSession, subscription_id: uuid.UUID,
                              values: dict[str, Any]) -> WebhookSubscription:
    stmt = (update(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
            .values(updated_at=func.now(), **values).returning(WebhookSubscription))
    return (await session.scalars(stmt, execution_options=_FRESH)).one()


async def list_subscriptions(session: AsyncSession, *, active: bool | None,
                             include_deleted: bool, event_type: str | None,
                             after: tuple[datetime, uuid.UUID] | None,
                             limit: int) -> list[WebhookSubscription]:
    stmt = (select(WebhookSubscription)
            .order_by(WebhookSubscription.created_at, WebhookSubscription.id).limit(limit))
    if active is not None:
        stmt = stmt.where(_sub.c.active.is_(active))
    if not include_deleted:
        stmt = stmt.where(_sub.c.deleted_at.is_(None))
    if event_type is not None:
        stmt = stmt.where(_sub.c.event_types.overlap(_types_array(event_type)))
    if after is not None:
        stmt = stmt.where(or_(_sub.c.created_at > after[0],
                              and_(_sub.c.created_at == after[0], _sub.c.id > after[1])))
    return list((await session.scalars(stmt)).all())


def _types(event_type: str) -> tuple[str, ...]:
    """The subscribed types that take ``event_type``."""
    return (event_type,) if event_type in EXPLICIT_ONLY else (event_type, ANY)


def _types_array(event_type: str) -> array[str]:
    return array(list(_types(event_type)), type_=String(64))


# -- publishing -------------------------------------------------------------------------

async def insert_event(session: AsyncSession, *, event_id: uuid.UUID, event_type: str,
                       payload: dict[str, Any], occurred_at: datetime) -> bool:
    """False when an event with this id was published before."""
    stmt = (insert(_event).values(id=event_id, type=event_type, payload=payload,
                                  occurred_at=occurred_at)
            .on_conflict_do_nothing(index_elements=["id"]).returning(_event.c.id))
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def fan_out(session: AsyncSession, *, event_id: uuid.UUID, event_type: str,
                  subscription_id: uuid.UUID | None = None) -> int:
    """One delivery per active subscription to ``event_type`` (or to ``*``), or to the
    one subscription given. Returns how many were created."""
    cond: ColumnElement[bool] = _sub.c.active
    if subscription_id is None:
        cond = and_(cond, _sub.c.event_types.overlap(_types_array(event_type)))
    else:
        cond = and_(cond, _sub.c.id == subscription_id)
    source = select(literal(event_id, PG_UUID(as_uuid=True)), _sub.c.id).where(cond)
    stmt = (insert(_delivery).from_select(["event_id", "subscription_id"], source)
            .on_conflict_do_nothing())
    return await rowcount(session, stmt)


# many events of one type and their deliveries, one statement whatever their number
# the events of ``publish_params`` stored and fanned out, as CTEs of a larger statement;
# ``delivered`` answers (event_id) of each delivery made
PUBLISH_CTES = f"""new AS (
    INSERT INTO {_event.name} (id, type, payload, occurred_at)
    SELECT e.id, CAST(:type AS varchar), e.payload, e.occurred_at
    FROM unnest(CAST(:ids AS uuid[]), CAST(:payloads AS jsonb[]),
                CAST(:ats AS timestamptz[])) AS e(id, payload, occurred_at)
    ON CONFLICT (id) DO NOTHING
    RETURNING id),
delivered AS (
    INSERT INTO {_delivery.name} (event_id, subscription_id)
    SELECT new.id, s.id FROM new JOIN {_sub.name} s
        ON s.active AND s.event_types && CAST(:types AS varchar[])
    ON CONFLICT DO NOTHING
    RETURNING event_id)"""
_PUBLISH_EACH = text(f"""WITH {PUBLISH_CTES}
SELECT event_id, count(*) AS deliveries FROM delivered GROUP BY event_id""")


async def publish_each(session: AsyncSession, *, event_type: str,
                       events: list[tuple[uuid.UUID, datetime, str]]
                       ) -> dict[uuid.UUID, int]:
    """:func:`insert_event` and :func:`fan_out` for many events of one type, in one
    statement: the events new here (their payloads as JSON text), each delivered to
    every active subscription to ``event_type`` (or to ``*``). Answers the deliveries
    of each event (an event published before, or with no subscriber, is left out)."""
    if not events:
        return {}
    rows = await session.execute(_PUBLISH_EACH, publish_params(event_type, events))
    return {uuid.UUID(str(event_id)): count for event_id, count in rows.all()}


def publish_params(event_type: str, events: list[tuple[uuid.UUID, datetime, str]]
                   ) -> dict[str, Any]:
    """The parameters of :data:`PUBLISH_CTES` for these events of one type."""
    return {"type": event_type, "types": [*_types(event_type)],
            "ids": [event_id for event_id, _, _ in events],
            "payloads": [payload for _, _, payload in events],
            "ats": [at for _, at, _ in events]}


# -- delivery worker --------------------------------------------------------------------

async def claim_due(session: AsyncSession, *, lease_id: uuid.UUID, lease: timedelta,
                    limit: int) -> list[Any]:
    """Lease due deliveries of active subscriptions to this worker. ``SKIP LOCKED``
    lets concurrent workers claim disjoint rows; the lease keeps them claimed after
    this transaction ends, until the worker records its attempt or the lease runs out."""
    now = func.now()
    due = (select(_delivery.c.id)
           .join(_sub, _sub.c.id == _delivery.c.subscription_id)
           .where(_delivery.c.status == DeliveryStatus.PENDING, _delivery.c.next_attempt_at <= now,
                  or_(_delivery.c.locked_until.is_(None), _delivery.c.locked_until <= now),
                  _sub.c.active)
           .order_by(_delivery.c.next_attempt_at, _delivery.c.id).limit(limit)
           .with_for_update(of=_delivery, skip_locked=True))
    ids = list((await session.execute(due)).scalars())
    if not ids:
        return []
    await session.execute(update(_delivery).where(_delivery.c.id.in_(ids))
                          .values(locked_until=now + lease, lease_id=lease_id))
    stmt = (select(_delivery.c.id, _delivery.c.lease_id, _delivery.c.attempts,
                   _event.c.id.label("event_id"), _event.c.type.label("event_type"),
                   _event.c.payload, _event.c.occurred_at, _sub.c.url, _sub.c.secret,
                   _sub.c.previous_secret, _sub.c.previous_secret_expires_at)
            .join(_event, _event.c.id == _delivery.c.event_id)
            .join(_sub, _sub.c.id == _delivery.c.subscription_id)
            .where(_delivery.c.id.in_(ids)).order_by(_delivery.c.id))
    return list((await session.execute(stmt)).all())


async def get_delivery_row(session: AsyncSession, delivery_id: int, *,
                           lock: bool = False) -> WebhookDelivery | None:
    stmt = select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt, execution_options={"populate_existing": True})
            ).one_or_none()


async def update_delivery(session: AsyncSession, delivery_id: int, values: dict[str, Any]) -> None:
    await session.execute(update(_delivery).where(_delivery.c.id == delivery_id)
                          .values(updated_at=func.now(), **values))


async def insert_attempt(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(_attempt.insert().values(values))


# -- reads ------------------------------------------------------------------------------

class DeliveryView(NamedTuple):
    """A delivery as the API shows it: the delivery and its event's type."""

    delivery: WebhookDelivery
    event_type: str


def _deliveries() -> Select[WebhookDelivery, str]:
    return (select(WebhookDelivery, WebhookEvent.type)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .execution_options(populate_existing=True))


async def get_delivery(session: AsyncSession, delivery_id: int) -> DeliveryView | None:
    row = (await session.execute(_deliveries().where(WebhookDelivery.id == delivery_id))
           ).one_or_none()
    return DeliveryView(*row) if row is not None else None


async def list_deliveries(session: AsyncSession, subscription_id: uuid.UUID, *,
                          status: str | None, event_type: str | None, before_id: int | None,
                          limit: int) -> list[DeliveryView]:
    stmt = (_deliveries().where(_delivery.c.subscription_id == subscription_id)
            .order_by(_delivery.c.id.desc()).limit(limit))
    if status is not None:
        stmt = stmt.where(_delivery.c.status == status)
    if event_type is not None:
        stmt = stmt.where(_event.c.type == event_type)
    if before_id is not None:
        stmt = stmt.where(_delivery.c.id < before_id)
    return [DeliveryView(*row) for row in (await session.execute(stmt)).all()]


async def get_event(session: AsyncSession, event_id: uuid.UUID) -> WebhookEvent:
    return (await session.scalars(select(WebhookEvent).where(WebhookEvent.id == event_id))
            ).one()


async def list_attempts(session: AsyncSession, delivery_id: int) -> list[WebhookAttempt]:
    stmt = (select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.attempt_no))
    return list((await session.scalars(stmt)).all())
