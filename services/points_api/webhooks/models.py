"""Webhook tables: subscriptions, the events published to them, one delivery per
(event, subscription) and every attempt made to deliver it."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.points_api.db import Base


class DeliveryStatus(StrEnum):
    """pending: attempts go on (also after a replay); delivered: a receiver answered
    2xx; dead: every attempt of the round failed."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


DELIVERY_STATUSES = tuple(status.value for status in DeliveryStatus)


class WebhookSubscription(Base):
    """An HTTP endpoint that receives the event types it subscribed to, signed with
    its secret. Deleting one deactivates it; its deliveries stay as history."""

    __tablename__ = "webhook_subscription"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # the raw secret is needed to sign each request, so it is stored, never shown again
    secret: Mapped[str] = mapped_column(String(128))
    # after a rotation the old secret keeps signing (as a second signature) until
    # previous_secret_expires_at, so receivers can switch without losing events
    previous_secret: Mapped[str | None] = mapped_column(String(128))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str | None] = mapped_column(String(200))
    secret_rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("cardinality(event_types) > 0", name="has_event_types"),
        CheckConstraint("deleted_at IS NULL OR NOT active", name="deleted_inactive"),
        Index("ix_webhook_subscription_active_types", "event_types", postgresql_using="gin",
              postgresql_where=text("active")),
    )


class WebhookEvent(Base):
    """An event published to webhook subscribers; ``id`` is the idempotency key."""

    __tablename__ = "webhook_event"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WebhookDelivery(Base):
    """One event owed to one subscription. ``pending`` rows are due at
    ``next_attempt_at``; a worker leases a row (``locked_until``, ``lease_id``) for
    the length of one HTTP call, so a crashed worker's rows come back. ``attempts``
    counts every attempt; ``round_attempts`` those since the last replay, which is
    what backoff and dead-lettering look at."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("webhook_event.id", ondelete="RESTRICT"))
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("webhook_subscription.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(10), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    round_attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                      server_default=func.now())
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dead_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replays: Mapped[int] = mapped_column(Integer, server_default="0")
    replayed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replayed_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id"),
        CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="status_known"),
        CheckConstraint("attempts >= round_attempts AND round_attempts >= 0",
                        name="attempts_consistent"),
        Index("ix_webhook_delivery_due", "next_attempt_at",
              postgresql_where=text("status = 'pending'")),
        Index("ix_webhook_delivery_subscription", "subscription_id", "id"),
    )


class WebhookAttempt(Base):
    """One HTTP request made for a delivery, successful or not."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("webhook_delivery.id", ondelete="RESTRICT"))
    attempt_no: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        UniqueConstraint("delivery_id", "attempt_no"),
        CheckConstraint("attempt_no > 0", name="attempt_no_positive"),
        CheckConstraint("duration_ms >= 0", name="duration_not_negative"),
    )
