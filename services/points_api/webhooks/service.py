"""Webhook subscriptions (HR and integrations manage them) and the deliveries
made to them: reads, replays and pings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.webhooks import repository as repo
from services.points_api.webhooks.config import WebhookSettings
from services.points_api.webhooks.errors import (
    DeliveryInFlight,
    DeliveryNotFound,
    SubscriptionDeleted,
    SubscriptionInactive,
    SubscriptionNotFound,
    WebhookTargetForbidden,
    WebhookTargetUnresolvable,
)
from services.points_api.webhooks.event_types import PING
from services.points_api.webhooks.models import DeliveryStatus
from services.points_api.webhooks.models import WebhookSubscription as SubscriptionRecord
from services.points_api.webhooks.publish import record
from services.points_api.webhooks.schemas import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryDetail,
    WebhookEventBody,
    WebhookSubscription,
    WebhookSubscriptionCreate,
    WebhookSubscriptionUpdate,
    WebhookSubscriptionWithSecret,
)
from services.points_api.webhooks.signing import new_secret, secret_hint
from services.points_api.webhooks.targets import TargetRefused, TargetUnresolved, vet
from shared.auth import Principal
from shared.pagination import (
    Page,
    datetime_key,
    decode_id_cursor,
    decode_keyset,
    encode_cursor,
    uuid_key,
)


def subscription_out(row: SubscriptionRecord) -> WebhookSubscription:
    return WebhookSubscription(
        id=row.id, url=row.url, event_types=list(row.event_types), description=row.description,
        active=row.active, secret_hint=secret_hint(row.secret),
        previous_secret_expires_at=_still_valid(row.previous_secret_expires_at),
        created_by=row.created_by, created_at=row.created_at, updated_by=row.updated_by,
        updated_at=row.updated_at, secret_rotated_at=row.secret_rotated_at,
        deleted_at=row.deleted_at)


def _with_secret(row: SubscriptionRecord) -> WebhookSubscriptionWithSecret:
    return WebhookSubscriptionWithSecret(**subscription_out(row).model_dump(), secret=row.secret)


def _still_valid(moment: datetime | None) -> datetime | None:
    return moment if moment is not None and moment > datetime.now(UTC) else None


def _subscription_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    return decode_keyset(cursor, datetime_key, uuid_key)


def delivery_out(view: repo.DeliveryView | None) -> WebhookDelivery:
    assert view is not None  # a delivery read back in the transaction that wrote it
    row = view.delivery
    return WebhookDelivery(
        id=row.id, subscription_id=row.subscription_id, event_id=row.event_id,
        event_type=view.event_type, status=row.status, attempt_count=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status == DeliveryStatus.PENDING else None,
        last_status_code=row.last_status_code, last_error=row.last_error,
        created_at=row.created_at, delivered_at=row.delivered_at, dead_at=row.dead_at,
        replays=row.replays, replayed_at=row.replayed_at, replayed_by=row.replayed_by)


async def vet_url(url: str, settings: WebhookSettings) -> None:
    """Refuse a receiver that is, or resolves to, an address webhooks may not reach,
    and one that does not resolve at all (it could not be judged). Each delivery
    checks again, since a name can change its answer later."""
    try:
        await vet(url, allowed=settings.allowed_networks,
                  within=settings.resolve_timeout_seconds)
    except TargetRefused as exc:
        raise WebhookTargetForbidden(str(exc)) from exc
    except TargetUnresolved as exc:
        raise WebhookTargetUnresolvable(f"{exc}; subscribe once the name resolves") from exc


class WebhookService:
    async def create(self, session: AsyncSession, data: WebhookSubscriptionCreate, *,
                     actor: Principal, settings: WebhookSettings
                     ) -> WebhookSubscriptionWithSecret:
        await vet_url(data.url, settings)
        row = await repo.insert_subscription(session, {
            "id": uuid.uuid4(), "url": data.url, "event_types": data.event_types,
            "description": data.description, "active": data.active, "secret": new_secret(),
            "created_by": actor.sub})
        return _with_secret(row)

    async def get(self, session: AsyncSession, subscription_id: uuid.UUID) -> WebhookSubscription:
        """A live subscription: a deleted one is gone as DELETE said (the list with
        ``include_deleted=true`` still shows it, and its deliveries stay readable)."""
        row = await self._row(session, subscription_id)
        if row.deleted_at is not None:
            raise SubscriptionNotFound(f"Webhook subscription {subscription_id} was deleted: "
                                       "the list with include_deleted=true shows it")
        return subscription_out(row)

    async def list_subscriptions(self, session: AsyncSession, *, active: bool | None,
                                 include_deleted: bool, event_type: str | None,
                                 cursor: str | None, limit: int) -> Page[WebhookSubscription]:
        rows = await repo.list_subscriptions(
            session, active=active, include_deleted=include_deleted, event_type=event_type,
            after=_subscription_cursor(cursor), limit=limit + 1)
        items = [subscription_out(r) for r in rows[:limit]]
        next_cursor = (encode_cursor([items[-1].created_at.isoformat(), str(items[-1].id)])
                       if len(rows) > limit else None)
        return Page(items=items, next_cursor=next_cursor)

    async def update(self, session: AsyncSession, subscription_id: uuid.UUID,
                     data: WebhookSubscriptionUpdate | WebhookSubscriptionCreate, *,
                     actor: Principal, settings: WebhookSettings,
                     replace: bool = False) -> WebhookSubscription:
        """Change the given fields (PATCH), or all of them (PUT: ``replace``)."""
        await self._live(session, subscription_id)
        fields = data.model_fields if replace else data.model_fields_set
        values = {name: getattr(data, name) for name in fields}
        if values.get("url") is not None:
            await vet_url(values["url"], settings)
        row = await repo.update_subscription(session, subscription_id,
                                             {**values, "updated_by": actor.sub})
        return subscription_out(row)

    async def rotate_secret(self, session: AsyncSession, subscription_id: uuid.UUID, *,
                            previous_valid_seconds: int,
                            actor: Principal) -> WebhookSubscriptionWithSecret:
        """A new secret signs from now on; the old one adds a second signature for
        ``previous_valid_seconds`` so that receivers can switch without a gap."""
        current = await self._live(session, subscription_id)
        now = datetime.now(UTC)
        row = await repo.update_subscription(session, subscription_id, {
            "secret": new_secret(), "secret_rotated_at": now, "updated_by": actor.sub,
            "previous_secret": current.secret if previous_valid_seconds else None,
            "previous_secret_expires_at": (now + timedelta(seconds=previous_valid_seconds)
                                           if previous_valid_seconds else None)})
        return _with_secret(row)

    async def delete(self, session: AsyncSession, subscription_id: uuid.UUID, *,
                     actor: Principal) -> WebhookSubscription:
        """Deactivate for good; the subscription and its deliveries stay readable."""
        row = await self._row(session, subscription_id, lock=True)
        if row.deleted_at is None:
            row = await repo.update_subscription(session, subscription_id, {
                "active": False, "deleted_at": datetime.now(UTC), "updated_by": actor.sub})
        return subscription_out(row)

    async def ping(self, session: AsyncSession, subscription_id: uuid.UUID, *,
                   actor: Principal) -> WebhookDelivery:
        """Queue a ``webhook.ping`` event to this subscription only."""
        row = await self._live(session, subscription_id)
        if not row.active:
            raise SubscriptionInactive(f"Subscription {subscription_id} is not active")
        event_id = uuid.uuid4()
        await record(session, event_id=event_id, event_type=PING,
                     payload={"subscription_id": str(subscription_id), "requested_by": actor.sub,
                              "message": "Jifen webhook test / 积分系统测试"},
                     occurred_at=datetime.now(UTC), subscription_id=subscription_id)
        page = await repo.list_deliveries(session, subscription_id, status=None,
                                          event_type=PING, before_id=None, limit=1)
        return delivery_out(page[0])

    async def _row(self, session: AsyncSession, subscription_id: uuid.UUID, *,
                   lock: bool = False) -> SubscriptionRecord:
        row = await repo.get_subscription(session, subscription_id, lock=lock)
        if row is None:
            raise SubscriptionNotFound(f"No webhook subscription {subscription_id}")
        return row

    async def _live(self, session: AsyncSession,
                    subscription_id: uuid.UUID) -> SubscriptionRecord:
        row = await self._row(session, subscription_id, lock=True)
        if row.deleted_at is not None:
            raise SubscriptionDeleted(f"Subscription {subscription_id} was deleted at "
                                      f"{row.deleted_at.isoformat()}; create a new one")
        return row

    # -- deliveries -----------------------------------------------------------------

    async def deliveries(self, session: AsyncSession, subscription_id: uuid.UUID, *,
                         status: str | None, event_type: str | None, cursor: str | None,
                         limit: int) -> Page[WebhookDelivery]:
        await self._row(session, subscription_id)
        rows = await repo.list_deliveries(session, subscription_id, status=status,
                                          event_type=event_type,
                                          before_id=decode_id_cursor(cursor), limit=limit + 1)
        items = [delivery_out(r) for r in rows[:limit]]
        next_cursor = encode_cursor([items[-1].id]) if len(rows) > limit else None
        return Page(items=items, next_cursor=next_cursor)

    async def delivery(self, session: AsyncSession, delivery_id: int, *,
                       show_excerpts: bool) -> WebhookDeliveryDetail:
        """The delivery with its attempts. Receivers' answers are shown only while the
        setting that stores them is on, also those stored before it was turned off."""
        row = await repo.get_delivery(session, delivery_id)
        if row is None:
            raise DeliveryNotFound(f"No webhook delivery {delivery_id}")
        event = await repo.get_event(session, row.delivery.event_id)
        attempts = await repo.list_attempts(session, delivery_id)
        return WebhookDeliveryDetail(
            **delivery_out(row).model_dump(),
            event=WebhookEventBody(id=event.id, type=event.type, occurred_at=event.occurred_at,
                                   data=event.payload),
            attempts=[WebhookAttempt.model_validate(a).model_copy(
                update={} if show_excerpts else {"response_excerpt": None})
                for a in attempts])

    async def replay(self, session: AsyncSession, delivery_id: int, *,
                     actor: Principal) -> WebhookDelivery:
        """Queue a new attempt now, whatever the delivery's status, with a fresh
        budget of attempts."""
        row = await repo.get_delivery_row(session, delivery_id, lock=True)
        if row is None:
            raise DeliveryNotFound(f"No webhook delivery {delivery_id}")
        now = datetime.now(UTC)
        if (row.status == DeliveryStatus.PENDING and row.locked_until is not None
                and row.locked_until > now):
            raise DeliveryInFlight(f"Delivery {delivery_id} is being attempted; look again "
                                   "in a few seconds")
        subscription = await self._row(session, row.subscription_id)
        if not subscription.active:
            raise SubscriptionInactive(f"Subscription {row.subscription_id} is not active; "
                                       "activate it before replaying")
        await repo.update_delivery(session, delivery_id, {
            "status": DeliveryStatus.PENDING, "next_attempt_at": now, "round_attempts": 0,
            "dead_at": None, "replays": row.replays + 1, "replayed_at": now,
            "replayed_by": actor.sub})
        return delivery_out(await repo.get_delivery(session, delivery_id))


webhooks = WebhookService()
