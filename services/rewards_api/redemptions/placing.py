"""Placing a redemption: the first half of the two-phase hold.

Three short transactions around one call to points_api, never a transaction
open across the call (row locks held during a network call would serialise
every redemption of an item behind the slowest answer):

1. reserve: count the units against the employee's limit, reserve stock, and
   record the redemption as ``reserving`` - committed before points_api is asked,
   so that a crash at any later point leaves a record to finish from;
2. ask points_api for a hold keyed by the redemption id;
3. record the outcome: pending approval or fulfilled, or failed with stock and
   limit given back.

A process that dies between 1 and 3 leaves the redemption ``reserving``; the
sweeper (recovery.py) asks points_api about the hold and finishes the
redemption either way.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rewards_api import employees
from services.rewards_api.catalogue import repository as catalogue_repo
from services.rewards_api.catalogue.eligibility import ineligibility, period_key, unavailability
from services.rewards_api.catalogue.errors import ItemNotFound
from services.rewards_api.clients.points import PointsClient
from services.rewards_api.config import Settings
from services.rewards_api.errors import InsufficientPoints, PointsUnavailable
from services.rewards_api.models import Redemption, RedemptionStatus, RewardItem
from services.rewards_api.redemptions import repository as repo
from services.rewards_api.redemptions import settlement
from services.rewards_api.redemptions.access import check_requester
from services.rewards_api.redemptions.errors import (
    ItemNotAvailable,
    LimitReached,
    NotEligible,
    OutOfStock,
    QuantityNotAllowed,
)
from services.rewards_api.redemptions.schemas import RedemptionCreate
from shared.auth import Principal
from shared.contracts.holds import HoldCreate


@dataclass
class Placed:
    redemption: Redemption
    created: bool
    employee_name: str | None = None


def hold_expiry(item: RewardItem, now: datetime, settings: Settings) -> datetime:
    if item.requires_approval:
        return now + timedelta(hours=settings.approval_window_hours)
    return now + timedelta(minutes=settings.instant_hold_minutes)


def hold_reason(item_name: str, quantity: int) -> str:
    return f"兑换 {item_name}" + (f" ×{quantity}" if quantity > 1 else "")


class PlacingService:
    async def place(self, sessionmaker: async_sessionmaker[AsyncSession], points: PointsClient,
                    *, principal: Principal, data: RedemptionCreate, idempotency_key: str | None,
                    settings: Settings) -> Placed:
        employee_no = data.employee_no or principal.sub
        check_requester(principal, employee_no)
        async with sessionmaker() as session:
            if idempotency_key:
                existing = await repo.by_key(session, principal.sub, idempotency_key)
                if existing is not None:
                    return Placed(existing, created=False,
                                  employee_name=await repo.employee_name(session,
                                                                         existing.employee_no))
            employee = await employees.get(session, employee_no)
            item = await catalogue_repo.get_item(session, data.item_code)
        if item is None:
            raise ItemNotFound(f"No reward item {data.item_code!r}")
        now = datetime.now(UTC)
        await self.check(points, item, employee, data.quantity, now)
        redemption = await self._reserve(sessionmaker, item, employee_no, data.quantity,
                                         principal=principal, idempotency_key=idempotency_key,
                                         settings=settings, now=now)
        if isinstance(redemption, Placed):
            placed = redemption
        else:
            placed = await self._hold(sessionmaker, points, redemption, settings=settings)
        placed.employee_name = employee["name"]
        return placed

    async def check(self, points: PointsClient, item: Any,
                     employee: Mapping[str, Any], quantity: int, now: datetime) -> None:
        """What can be refused before anything is reserved."""
        reason = unavailability(item, now)
        if reason:
            raise ItemNotAvailable(reason)
        if item.kind == "voucher" and quantity != 1:
            raise QuantityNotAllowed("Voucher items are redeemed one code at a time")
        # all but the minimum of qualifying points first (given as met): the balance is
        # only asked for when nothing else refuses
        reason = ineligibility(item, employee, item.min_qualifying_points)
        if reason is None and item.min_qualifying_points > 0:
            balances = await points.balances(employee["employee_no"])
            reason = ineligibility(item, employee, balances.qualifying_points)
        if reason:
            raise NotEligible(reason)

    async def _reserve(self, sessionmaker: async_sessionmaker[AsyncSession], item: RewardItem,
                       employee_no: str, quantity: int, *, principal: Principal,
                       idempotency_key: str | None, settings: Settings,
                       now: datetime) -> Redemption | Placed:
        """Transaction 1. The limit counter is locked before the item row, the order
        every transaction that touches both follows."""
        period = (period_key(item.limit_period, now, settings.tz)
                  if item.limit_period and item.limit_count else None)
        redemption = Redemption(
            id=uuid.uuid4(), employee_no=employee_no, item_code=item.code, item_name=item.name,
            item_kind=item.kind, quantity=quantity, unit_cost_points=item.cost_points,
            points=item.cost_points * quantity,
            leave_days=item.leave_days * quantity if item.leave_days is not None else None,
            subsidy_amount=(item.subsidy_amount * quantity
                            if item.subsidy_amount is not None else None),
            requires_approval=item.requires_approval, status=RedemptionStatus.RESERVING,
            limit_period_key=period, hold_expires_at=hold_expiry(item, now, settings),
            requested_by=principal.sub, idempotency_key=idempotency_key, hold_checks=0)
        try:
            async with sessionmaker() as session, session.begin():
                if period is not None and item.limit_count is not None and not (
                        await repo.consume_limit(session, employee_no=employee_no,
                                                 item_code=item.code, period_key=period,
                                                 quantity=quantity, limit=item.limit_count)):
                    raise LimitReached(f"{employee_no} may redeem {item.limit_count} of "
                                       f"{item.name} per {item.limit_period}")
                redemption.stock_tracked = await self._take_stock(session, item, quantity)
                session.add(redemption)
        except IntegrityError:
            # the same caller and Idempotency-Key raced past the lookup: answer the winner
            if idempotency_key:
                async with sessionmaker() as session:
                    existing = await repo.by_key(session, principal.sub, idempotency_key)
                if existing is not None:
                    return Placed(existing, created=False)
            raise
        return redemption

    async def _take_stock(self, session: AsyncSession, item: RewardItem, quantity: int) -> bool:
        """True when stock was reserved, False for an unlimited item (left untouched,
        so that unlimited items have no hot row)."""
        if item.stock_total is None:
            return False
        if await repo.reserve_stock(session, item.code, quantity):
            return True
        fresh = await catalogue_repo.get_item(session, item.code)
        if fresh is not None and fresh.stock_total is None:  # made unlimited meanwhile
            return False
        left = fresh.stock_remaining if fresh is not None else 0
        raise OutOfStock(f"{item.name}: {left} left, {quantity} asked for")

    async def _hold(self, sessionmaker: async_sessionmaker[AsyncSession], points: PointsClient,
                    redemption: Redemption, *, settings: Settings) -> Placed:
        """Transactions 2 and 3: the hold, then its outcome."""
        request = HoldCreate(hold_id=redemption.id, employee_no=redemption.employee_no,
                             points=redemption.points, expires_at=redemption.hold_expires_at,
                             reason=hold_reason(redemption.item_name, redemption.quantity))
        try:
            await points.create_hold(request)
        except InsufficientPoints as exc:
            await self._record_failure(sessionmaker, redemption.id, "insufficient-points",
                                       hold_may_exist=False)
            exc.extra["redemption_id"] = str(redemption.id)
            raise
        except PointsUnavailable as exc:
            await self._record_failure(sessionmaker, redemption.id, "points-unavailable",
                                       hold_may_exist=exc.maybe_created)
            exc.extra["redemption_id"] = str(redemption.id)
            raise
        async with sessionmaker() as session, session.begin():
            row = await repo.get(session, redemption.id, for_update=True)
            assert row is not None
            if row.status != RedemptionStatus.RESERVING:  # the sweeper finished it meanwhile
                return Placed(row, created=True)
            await settlement.hold_confirmed(session, row, settings=settings)
        return Placed(row, created=True)

    async def _record_failure(self, sessionmaker: async_sessionmaker[AsyncSession],
                              redemption_id: uuid.UUID, reason: str, *,
                              hold_may_exist: bool) -> None:
        async with sessionmaker() as session, session.begin():
            row = await repo.get(session, redemption_id, for_update=True)
            if row is not None and row.status == RedemptionStatus.RESERVING:
                await settlement.fail(session, row, reason=reason, hold_may_exist=hold_may_exist)


placing = PlacingService()
