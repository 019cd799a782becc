"""Webhook subscriptions and their deliveries."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Body, Depends, Path, Query, Request

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
from services.points_api.webhooks.event_types import EVENT_TYPES
from services.points_api.webhooks.models import DeliveryStatus
from services.points_api.webhooks.schemas import (
    SecretRotation,
    WebhookDelivery,
    WebhookDeliveryDetail,
    WebhookEventType,
    WebhookSubscription,
    WebhookSubscriptionCreate,
    WebhookSubscriptionUpdate,
    WebhookSubscriptionWithSecret,
)
from services.points_api.webhooks.service import webhooks
from shared.auth import Principal, require_roles
from shared.contracts.fields import MAX_ID
from shared.db import DBSession
from shared.errors import BadCursor, problems
from shared.pagination import Cursor, Limit, Page
from shared.routing import APIRouter

router = APIRouter(prefix="/points/v1", tags=["webhooks"])

WebhookManager = Annotated[Principal, Depends(require_roles("hr_admin", "integration"))]
WebhookReader = Annotated[Principal, Depends(require_roles("hr_admin", "integration", "auditor"))]


async def _webhook_settings(request: Request) -> WebhookSettings:
    settings: WebhookSettings = request.app.state.webhook_settings
    return settings


Config = Annotated[WebhookSettings, Depends(_webhook_settings)]
SubscriptionIdPath = Annotated[uuid.UUID, Path(description="The subscription's id")]
DeliveryIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="The delivery's id")]
EventTypeFilter = Annotated[str | None, Query(max_length=64, examples=["leave.granted"])]


@router.get("/webhook-event-types", response_model=list[WebhookEventType],
            operation_id="list_webhook_event_types", summary="Event types webhooks can receive")
async def list_webhook_event_types(_: WebhookReader) -> list[WebhookEventType]:
    """Every event type a subscription can name (or ``*`` for all), with the service
    it comes from."""
    return [WebhookEventType(type=t, source=source, description=text)
            for t, (source, text) in EVENT_TYPES.items()]


@router.post("/webhooks", response_model=WebhookSubscriptionWithSecret, status_code=201,
             operation_id="create_webhook", summary="Subscribe a URL to events",
             responses=problems(WebhookTargetForbidden, WebhookTargetUnresolvable))
async def create_webhook(body: WebhookSubscriptionCreate, session: DBSession,
                         principal: WebhookManager,
                         config: Config) -> WebhookSubscriptionWithSecret:
    """Creates a subscription (hr_admin or integration). The answer holds the signing
    ``secret``: it is shown only here (and on rotation), later reads show a hint.
    The URL must be http(s) without credentials, and its host must resolve to public
    addresses only (422 ``webhook-target-forbidden`` for loopback, private,
    link-local and other inward addresses, unless the operator allows their range;
    422 ``webhook-target-unresolvable`` for a name that does not resolve); event
    types must be known or ``*``."""
    return await webhooks.create(session, body, actor=principal, settings=config)


@router.get("/webhooks", response_model=Page[WebhookSubscription], operation_id="list_webhooks",
            summary="List webhook subscriptions", responses=problems(BadCursor))
async def list_webhooks(
    session: DBSession, _: WebhookReader, limit: Limit = 50, cursor: Cursor = None,
    active: bool | None = None, event_type: EventTypeFilter = None,
    include_deleted: Annotated[bool, Query(description="Also deleted subscriptions")] = False,
) -> Page[WebhookSubscription]:
    """Oldest first; filter by ``active`` and by an ``event_type`` they receive
    (subscriptions to ``*`` match every type). Readable by hr_admin, integration
    and auditor."""
    return await webhooks.list_subscriptions(session, active=active,
                                             include_deleted=include_deleted,
                                             event_type=event_type, cursor=cursor, limit=limit)


@router.get("/webhooks/{subscription_id}", response_model=WebhookSubscription,
            operation_id="get_webhook", summary="Get a webhook subscription",
            responses=problems(SubscriptionNotFound))
async def get_webhook(subscription_id: SubscriptionIdPath, session: DBSession,
                      _: WebhookReader) -> WebhookSubscription:
    """One live subscription (a deleted one is 404; the list with include_deleted=true
    shows it); the secret appears only as a hint."""
    return await webhooks.get(session, subscription_id)


@router.patch("/webhooks/{subscription_id}", response_model=WebhookSubscription,
              operation_id="update_webhook", summary="Change a webhook subscription",
              responses=problems(SubscriptionNotFound, SubscriptionDeleted,
                                 WebhookTargetForbidden, WebhookTargetUnresolvable))
async def update_webhook(subscription_id: SubscriptionIdPath, body: WebhookSubscriptionUpdate,
                         session: DBSession, principal: WebhookManager,
                         config: Config) -> WebhookSubscription:
    """Changes the fields sent (url, event_types, description, active); the rest stay.
    Deactivating pauses deliveries: they wait, and go out when it is active again. A
    new URL is checked as on create."""
    return await webhooks.update(session, subscription_id, body, actor=principal,
                                 settings=config)


@router.put("/webhooks/{subscription_id}", response_model=WebhookSubscription,
            operation_id="replace_webhook", summary="Replace a webhook subscription",
            responses=problems(SubscriptionNotFound, SubscriptionDeleted,
                               WebhookTargetForbidden, WebhookTargetUnresolvable))
async def replace_webhook(subscription_id: SubscriptionIdPath, body: WebhookSubscriptionCreate,
                          session: DBSession, principal: WebhookManager,
                          config: Config) -> WebhookSubscription:
    """Sets every field as in a create (absent optional fields take their defaults);
    the id and the secret stay. The URL is checked as on create."""
    return await webhooks.update(session, subscription_id, body, actor=principal,
                                 settings=config, replace=True)


@router.post("/webhooks/{subscription_id}/rotate-secret",
             response_model=WebhookSubscriptionWithSecret, operation_id="rotate_webhook_secret",
             summary="Issue a new signing secret",
             responses=problems(SubscriptionNotFound, SubscriptionDeleted))
async def rotate_webhook_secret(
    subscription_id: SubscriptionIdPath, session: DBSession, principal: WebhookManager,
    config: Config, body: Annotated[SecretRotation | None, Body()] = None,
) -> WebhookSubscriptionWithSecret:
    """Answers the new secret (shown only here). Until
    ``previous_secret_expires_at`` each request carries a second ``v1=`` signature
    made with the old secret, so the receiver can switch without losing events."""
    grace = body.previous_secret_valid_seconds if body else None
    if grace is None:
        grace = config.previous_secret_valid_seconds
    return await webhooks.rotate_secret(session, subscription_id, previous_valid_seconds=grace,
                                        actor=principal)


@router.delete("/webhooks/{subscription_id}", response_model=WebhookSubscription,
               operation_id="delete_webhook", summary="Delete (deactivate) a subscription",
               responses=problems(SubscriptionNotFound))
async def delete_webhook(subscription_id: SubscriptionIdPath, session: DBSession,
                         principal: WebhookManager) -> WebhookSubscription:
    """Deactivates the subscription for good; it and its deliveries stay readable.
    Deleting twice answers the same."""
    return await webhooks.delete(session, subscription_id, actor=principal)


@router.post("/webhooks/{subscription_id}/ping", response_model=WebhookDelivery,
             status_code=202, operation_id="ping_webhook", summary="Send a test event",
             responses=problems(SubscriptionNotFound, SubscriptionDeleted, SubscriptionInactive))
async def ping_webhook(subscription_id: SubscriptionIdPath, session: DBSession,
                       principal: WebhookManager) -> WebhookDelivery:
    """Queues a signed ``webhook.ping`` event to this subscription only, to check the
    receiver and its signature verification. Follow it with the delivery's id."""
    return await webhooks.ping(session, subscription_id, actor=principal)


@router.get("/webhooks/{subscription_id}/deliveries", response_model=Page[WebhookDelivery],
            operation_id="list_webhook_deliveries", summary="Deliveries to a subscription",
            responses=problems(SubscriptionNotFound, BadCursor))
async def list_webhook_deliveries(
    subscription_id: SubscriptionIdPath, session: DBSession, _: WebhookReader,
    limit: Limit = 50, cursor: Cursor = None,
    status: Annotated[DeliveryStatus | None, Query()] = None, event_type: EventTypeFilter = None,
) -> Page[WebhookDelivery]:
    """Newest first, filtered by ``status`` (pending, delivered, dead) and
    ``event_type``."""
    return await webhooks.deliveries(session, subscription_id, status=status,
                                     event_type=event_type, cursor=cursor, limit=limit)


@router.get("/webhook-deliveries/{delivery_id}", response_model=WebhookDeliveryDetail,
            operation_id="get_webhook_delivery", summary="A delivery with its attempts",
            responses=problems(DeliveryNotFound))
async def get_webhook_delivery(delivery_id: DeliveryIdPath, session: DBSession,
                               _: WebhookReader, config: Config) -> WebhookDeliveryDetail:
    """The delivery, the event body it sends, and every attempt (time, HTTP status,
    duration, error; the start of the receiver's answer only where the operator
    turned storing it on)."""
    return await webhooks.delivery(session, delivery_id,
                                   show_excerpts=config.store_response_excerpts)


@router.post("/webhook-deliveries/{delivery_id}/replay", response_model=WebhookDelivery,
             status_code=202, operation_id="replay_webhook_delivery",
             summary="Send a delivery again",
             responses=problems(DeliveryNotFound, DeliveryInFlight, SubscriptionInactive))
async def replay_webhook_delivery(delivery_id: DeliveryIdPath, session: DBSession,
                                  principal: WebhookManager) -> WebhookDelivery:
    """Queues a new attempt now (hr_admin or integration), also for a delivered or
    dead delivery, with a fresh budget of retries. The event keeps its id, so a
    receiver that deduplicates on ``Jifen-Event-Id`` sees it as a redelivery."""
    return await webhooks.replay(session, delivery_id, actor=principal)
