"""rewards_api's tables: the catalogue, voucher pools, redemptions, per-period
limit counters and the integration events of fulfilment.

The kit's tables (outbox, processed events, idempotency keys) and the employee
read copy are defined in db.py.

Stock lives in columns of ``reward_item`` that the database keeps consistent:
``stock_remaining = stock_total - stock_reserved - stock_issued`` and
``stock_remaining >= 0``, so no interleaving of requests can oversell.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
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
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.rewards_api.db import Base

ITEM_KINDS = ("paid_leave", "subsidy", "health_check", "voucher", "gift")
LIMIT_PERIODS = ("month", "quarter", "year")


class RedemptionStatus(StrEnum):
    """reserving: stock reserved, points hold asked for; pending_approval: hold active,
    waiting for the manager; fulfilled: hold captured (through the outbox); the rest
    are final states in which stock and limit were given back."""

    RESERVING = "reserving"
    PENDING_APPROVAL = "pending_approval"
    FULFILLED = "fulfilled"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FAILED = "failed"


REDEMPTION_STATUSES = tuple(status.value for status in RedemptionStatus)


class RewardItem(Base):
    """A reward in the catalogue (积分兑换商城), keyed by its code."""

    __tablename__ = "reward_item"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    leave_days: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    subsidy_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    cost_points: Mapped[int] = mapped_column(Integer)
    # NULL total and remaining: unlimited stock
    stock_total: Mapped[int | None] = mapped_column(Integer)
    stock_remaining: Mapped[int | None] = mapped_column(Integer)
    stock_reserved: Mapped[int] = mapped_column(Integer, server_default="0")
    stock_issued: Mapped[int] = mapped_column(Integer, server_default="0")
    limit_count: Mapped[int | None] = mapped_column(Integer)
    limit_period: Mapped[str | None] = mapped_column(String(10))
    min_qualifying_points: Mapped[int] = mapped_column(BigInteger, server_default="0")
    role_families: Mapped[list[str]] = mapped_column(
        ARRAY(String(20)), server_default=text("'{}'::varchar[]"))
    department_codes: Mapped[list[str]] = mapped_column(
        ARRAY(String(50)), server_default=text("'{}'::varchar[]"))
    requires_approval: Mapped[bool] = mapped_column(Boolean, server_default="false")
    active_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint(f"kind IN {ITEM_KINDS}", name="kind_known"),
        CheckConstraint("cost_points > 0", name="cost_positive"),
        CheckConstraint("(kind = 'paid_leave') = (leave_days IS NOT NULL) "
                        "AND (leave_days IS NULL OR leave_days > 0)", name="leave_days_for_leave"),
        CheckConstraint("(kind = 'subsidy') = (subsidy_amount IS NOT NULL) "
                        "AND (subsidy_amount IS NULL OR subsidy_amount > 0)",
                        name="amount_for_subsidy"),
        CheckConstraint("stock_remaining >= 0", name="stock_not_negative"),
        CheckConstraint("stock_reserved >= 0 AND stock_issued >= 0", name="stock_counts_positive"),
        CheckConstraint("(stock_total IS NULL AND stock_remaining IS NULL) OR "
                        "stock_remaining = stock_total - stock_reserved - stock_issued",
                        name="stock_balanced"),
        CheckConstraint("kind <> 'voucher' OR stock_total IS NOT NULL",
                        name="voucher_stock_is_pool"),
        CheckConstraint("(limit_count IS NULL) = (limit_period IS NULL) "
                        "AND (limit_count IS NULL OR limit_count > 0)", name="limit_complete"),
        CheckConstraint(f"limit_period IS NULL OR limit_period IN {LIMIT_PERIODS}",
                        name="limit_period_known"),
        CheckConstraint("min_qualifying_points >= 0", name="min_points_not_negative"),
        CheckConstraint("active_from IS NULL OR active_until IS NULL "
                        "OR active_until > active_from", name="active_window_ordered"),
    )


class Redemption(Base):
    """One employee's redemption of an item. Its id is the id of the points hold.
    Item facts are copied at redemption time: later catalogue edits do not change
    what was promised."""

    __tablename__ = "redemption"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(50))
    item_code: Mapped[str] = mapped_column(
        String(50), ForeignKey("reward_item.code", ondelete="RESTRICT"))
    item_name: Mapped[str] = mapped_column(String(200))
    item_kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cost_points: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(BigInteger)
    leave_days: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    subsidy_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    requires_approval: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))
    stock_tracked: Mapped[bool] = mapped_column(Boolean)
    limit_period_key: Mapped[str | None] = mapped_column(String(10))
    hold_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    requested_by: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    fulfilled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failure_reason: Mapped[str | None] = mapped_column(String(50))
    # set while a hold may exist at points_api that nobody released yet (the answer
    # to the hold request was lost); the sweeper checks and releases it
    hold_check_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hold_checks: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(f"status IN {REDEMPTION_STATUSES}", name="status_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("points > 0 AND points = unit_cost_points * quantity",
                        name="points_match_cost"),
        CheckConstraint("status <> 'fulfilled' OR fulfilled_at IS NOT NULL",
                        name="fulfilled_has_time"),
        CheckConstraint("status <> 'failed' OR failure_reason IS NOT NULL",
                        name="failed_has_reason"),
        # a retried request (same caller, same Idempotency-Key) finds its redemption
        UniqueConstraint("requested_by", "idempotency_key"),
        Index("ix_redemption_employee_created", "employee_no", "created_at", "id"),
        Index("ix_redemption_created", "created_at", "id"),
        Index("ix_redemption_item_created", "item_code", "created_at"),
        Index("ix_redemption_pending_expiry", "hold_expires_at",
              postgresql_where=text("status = 'pending_approval'")),
        Index("ix_redemption_reserving", "created_at",
              postgresql_where=text("status = 'reserving'")),
        Index("ix_redemption_hold_check", "hold_check_due_at",
              postgresql_where=text("hold_check_due_at IS NOT NULL")),
    )


class VoucherCode(Base):
    """One code of a voucher item's pool; given to exactly one redemption, ever."""

    __tablename__ = "voucher_code"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    item_code: Mapped[str] = mapped_column(
        String(50), ForeignKey("reward_item.code", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(200))
    imported_by: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())
    redemption_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("redemption.id", ondelete="RESTRICT"), unique=True)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("item_code", "code"),
        CheckConstraint("(redemption_id IS NULL) = (assigned_at IS NULL)",
                        name="assignment_complete"),
        Index("ix_voucher_code_available", "item_code", "id",
              postgresql_where=text("redemption_id IS NULL")),
    )


class LimitUsage(Base):
    """How many units of an item an employee redeemed in one limit period
    (``M2026-11``, ``Q2026-4``, ``Y2026``, company time zone). Updated with a
    conditional upsert, so concurrent redemptions cannot pass the limit."""

    __tablename__ = "limit_usage"

    employee_no: Mapped[str] = mapped_column(String(50), primary_key=True)
    item_code: Mapped[str] = mapped_column(
        String(50), ForeignKey("reward_item.code", ondelete="RESTRICT"), primary_key=True)
    period_key: Mapped[str] = mapped_column(String(10), primary_key=True)
    used: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (CheckConstraint("used >= 0", name="used_not_negative"),)


class IntegrationEvent(Base):
    """What fulfilment tells the outside world (``redemption.fulfilled``, and
    ``leave.granted`` for attendance, ``subsidy.granted`` for payroll,
    ``voucher.issued``), readable by integrators and sent to the webhook
    dispatcher."""

    __tablename__ = "integration_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    event_type: Mapped[str] = mapped_column(String(50))
    redemption_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("redemption.id", ondelete="RESTRICT"))
    employee_no: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("redemption_id", "event_type"),
        Index("ix_integration_event_type_id", "event_type", "id"),
        Index("ix_integration_event_employee_id", "employee_no", "id"),
    )
