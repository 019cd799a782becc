"""The state changes of a redemption, each inside the caller's transaction and
with its outbox rows, so that a change and the events it owes commit together.

- hold confirmed: reserving -> pending_approval, or straight to fulfilment
- fulfil: capture the hold (event to points_api), stock reserved -> issued, a
  voucher code, and integration events for the outside world
- give back: rejected / cancelled / expired -> release the hold, return stock
  and limit
- fail: the hold was refused or its fate is unknown -> return stock and limit,
  and have the sweeper check for a hold that may exist after all
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.rewards_api import employees
from services.rewards_api.db import kit_tables
from services.rewards_api.models import IntegrationEvent, Redemption, RedemptionStatus
from services.rewards_api.redemptions import repository as repo
from services.rewards_api.vouchers import repository as voucher_repo
from shared.contracts.holds import HOLD_CAPTURE, HOLD_RELEASE, HoldAction
from shared.outbox import enqueue

log = structlog.get_logger("jifen.rewards.settlement")

POINTS = "points"
WEBHOOKS = "webhooks"


def webhook_destination(settings: Any) -> str | None:
    """Where fulfilment events go: points_api's event endpoint (the same outbox
    destination as captures, so both travel in one batch) unless another
    dispatcher is configured; None when webhooks are off."""
    if not settings.webhooks_enabled:
        return None
    return WEBHOOKS if settings.webhooks_url else POINTS

REDEMPTION_FULFILLED = "redemption.fulfilled"
LEAVE_GRANTED = "leave.granted"
SUBSIDY_GRANTED = "subsidy.granted"
VOUCHER_ISSUED = "voucher.issued"
# the first look at a hold of unknown fate; later looks back off (see recovery.py)
FIRST_HOLD_CHECK = timedelta(seconds=2)


class VoucherPoolEmpty(RuntimeError):
    """A voucher redemption reserved stock but the pool has no free code: the
    stock and the pool disagree, which reconcile reports."""


def _now() -> datetime:
    return datetime.now(UTC)


async def hold_confirmed(session: AsyncSession, r: Redemption, *, settings: Any) -> None:
    """points_api holds the points: wait for approval, or fulfil at once."""
    if r.requires_approval:
        r.status, r.updated_at = RedemptionStatus.PENDING_APPROVAL, _now()
        await session.flush()
        return
    await fulfil(session, r, settings=settings, decided_by=None)


async def fulfil(session: AsyncSession, r: Redemption, *, settings: Any,
                 decided_by: str | None, note: str | None = None) -> None:
    """Capture the hold and deliver the reward (its events leave after commit)."""
    now = _now()
    if decided_by is not None:
        r.decided_by, r.decided_at, r.decision_reason = decided_by, now, note
    r.status, r.fulfilled_at, r.updated_at = RedemptionStatus.FULFILLED, now, now
    if r.stock_tracked:
        await repo.issue_stock(session, r.item_code, r.quantity)
    if r.item_kind == "voucher" and await voucher_repo.assign(session, r.item_code, r.id) is None:
        raise VoucherPoolEmpty(f"no free voucher code of {r.item_code} for redemption {r.id}")
    await _hold_event(session, HOLD_CAPTURE, r, reason=capture_reason(r.item_name))
    await _integration_events(session, r, settings=settings, now=now)
    await session.flush()


async def give_back(session: AsyncSession, r: Redemption, *, status: RedemptionStatus,
                    by: str, reason: str | None) -> None:
    """Reject, cancel or expire a pending redemption: release its hold, return
    its stock and limit."""
    now = _now()
    r.status, r.decided_by, r.decided_at, r.decision_reason = status, by, now, reason
    r.updated_at = now
    await _return_reservations(session, r)
    await _hold_event(session, HOLD_RELEASE, r, reason=f"兑换 {r.item_name} {reason or status}")
    await session.flush()


async def fail(session: AsyncSession, r: Redemption, *, reason: str,
               hold_may_exist: bool) -> None:
    """The hold was not confirmed. When it may exist all the same (the answer was
    lost), the sweeper looks it up and releases it."""
    now = _now()
    r.status, r.failure_reason, r.updated_at = RedemptionStatus.FAILED, reason, now
    # a retry with the same Idempotency-Key must be able to try again
    r.idempotency_key = None
    if hold_may_exist:
        r.hold_check_due_at = now + FIRST_HOLD_CHECK
    await _return_reservations(session, r)
    await session.flush()


async def release_stray_hold(session: AsyncSession, r: Redemption) -> None:
    """Release a hold found for a redemption that failed (its answer was lost)."""
    log.warning("stray_hold_released", redemption_id=str(r.id), employee_no=r.employee_no)
    await _hold_event(session, HOLD_RELEASE, r, reason=f"兑换 {r.item_name} 未完成")


async def _return_reservations(session: AsyncSession, r: Redemption) -> None:
    # the limit counter before the item row: the order every transaction uses
    if r.limit_period_key is not None:
        await repo.give_back_limit(session, employee_no=r.employee_no, item_code=r.item_code,
                                   period_key=r.limit_period_key, quantity=r.quantity)
    if r.stock_tracked:
        await repo.return_stock(session, r.item_code, r.quantity)


def hold_action(r: Any, *, reason: str) -> dict[str, Any]:
    """The payload of a hold.capture or hold.release event of redemption ``r``."""
    return HoldAction(hold_id=r.id, employee_no=r.employee_no,
                      reason=reason[:500]).model_dump(mode="json")


def capture_reason(item_name: str) -> str:
    return f"兑换 {item_name} 已发放"


async def _hold_event(session: AsyncSession, event_type: str, r: Redemption, *,
                      reason: str) -> None:
    await enqueue(session, kit_tables.outbox, event_type=event_type,
                  payload=hold_action(r, reason=reason), destinations=[POINTS])


def fulfilment_events(r: Any, employee: Mapping[str, Any] | None, *,
                      now: datetime) -> list[tuple[str, dict[str, Any]]]:
    """What fulfilment tells the outside world, as (event type, payload with its
    ``event_id``): ``redemption.fulfilled`` always, and ``leave.granted`` for
    attendance, ``subsidy.granted`` for payroll or ``voucher.issued`` (without the
    code, which only the employee sees)."""
    common: dict[str, Any] = {
        "redemption_id": str(r.id), "employee_no": r.employee_no,
        "employee_name": employee["name"] if employee else None,
        "department_code": employee["department_code"] if employee else None,
        "item_code": r.item_code, "item_name": r.item_name, "item_kind": r.item_kind,
        "quantity": r.quantity, "points": r.points, "approved_by": r.decided_by}
    events = [(REDEMPTION_FULFILLED, {**common, "fulfilled_at": now.isoformat()})]
    if r.item_kind == "paid_leave":
        events.append((LEAVE_GRANTED, {**common, "days": str(r.leave_days),
                                       "granted_at": now.isoformat()}))
    elif r.item_kind == "subsidy":
        events.append((SUBSIDY_GRANTED, {**common, "amount": str(r.subsidy_amount),
                                         "currency": "CNY", "granted_at": now.isoformat()}))
    elif r.item_kind == "voucher":
        events.append((VOUCHER_ISSUED, {**common, "issued_at": now.isoformat()}))
    return [(event_type, {"event_id": str(uuid.uuid4()), **payload})
            for event_type, payload in events]


async def _integration_events(session: AsyncSession, r: Redemption, *, settings: Any,
                              now: datetime) -> None:
    """:func:`fulfilment_events`, recorded in integration_event for integrators who
    poll, and sent to the webhook dispatcher when it is enabled."""
    employee = await employees.find(session, r.employee_no)
    destination = webhook_destination(settings)
    for event_type, payload in fulfilment_events(r, employee, now=now):
        session.add(IntegrationEvent(event_id=uuid.UUID(payload["event_id"]),
                                     event_type=event_type, redemption_id=r.id,
                                     employee_no=r.employee_no, payload=payload,
                                     occurred_at=now))
        if destination is not None:
            await enqueue(session, kit_tables.outbox, event_type=event_type,
                          payload=payload, destinations=[destination], occurred_at=now)
