"""The catalogue: HR maintains items; employees browse what they may redeem,
with their spendable balance beside each cost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.rewards_api import employees
from services.rewards_api.catalogue import repository as repo
from services.rewards_api.catalogue import schemas
from services.rewards_api.catalogue.eligibility import ineligibility, period_key, unavailability
from services.rewards_api.catalogue.errors import (
    EmptyActiveWindow,
    ItemKindImmutable,
    ItemNotFound,
    StockBelowCommitted,
)
from services.rewards_api.clients.points import Balances, PointsClient
from services.rewards_api.errors import EmployeeNotFound, PointsUnavailable
from services.rewards_api.models import RewardItem
from shared.auth import Principal
from shared.db import DriverConnection, RowAttributes
from shared.errors import Forbidden


def _unknown_shopper(principal: Principal, employee_no: str) -> EmployeeNotFound:
    """404 ``employee-not-found``, the same for every role: a catalogue is an
    employee's, so a caller who reads only their own (employee, manager, assessor)
    and whose token names no employee the mall knows has none."""
    if employee_no != principal.sub:
        return employees.not_found(employee_no)
    return EmployeeNotFound(
        f"The catalogue is shown to the employee a token names, and the rewards mall "
        f"knows no employee {employee_no!r} (not synced from the HR suite yet, or not "
        "an employee): whatever the role, only HR, auditors and integrations browse "
        "without being an employee")


@dataclass
class Shopper:
    """The employee a catalogue is shown for, with their points when known."""

    employee: Mapping[str, Any]
    balances: Balances | None


def item_out(item: RewardItem | RowAttributes, *, now: datetime | None = None,
             shopper: Shopper | None = None,
             used: int | None = None) -> schemas.Item:
    now = now or datetime.now(UTC)
    in_stock = item.stock_remaining is None or item.stock_remaining > 0
    out = schemas.Item(
        code=item.code, name=item.name, description=item.description, kind=item.kind,
        leave_days=item.leave_days, subsidy_amount=item.subsidy_amount,
        cost_points=item.cost_points,
        stock=schemas.Stock(total=item.stock_total, remaining=item.stock_remaining,
                            reserved=item.stock_reserved, issued=item.stock_issued),
        limit=(schemas.Limit(count=item.limit_count, period=item.limit_period)
               if item.limit_count is not None else None),
        eligibility=schemas.Eligibility(min_qualifying_points=item.min_qualifying_points,
                                        role_families=item.role_families,
                                        department_codes=item.department_codes),
        requires_approval=item.requires_approval, active_from=item.active_from,
        active_until=item.active_until, archived=item.archived_at is not None,
        archived_at=item.archived_at, available=in_stock and unavailability(item, now) is None,
        created_at=item.created_at, updated_at=item.updated_at, updated_by=item.updated_by)
    if shopper is not None and shopper.balances is not None:
        out.spendable_points = shopper.balances.spendable
        out.affordable = shopper.balances.spendable >= item.cost_points
    if shopper is not None and item.limit_count is not None:
        out.limit_remaining = max(0, item.limit_count - (used or 0))
    return out


def _apply(item: RewardItem, data: schemas.ItemUpsert, actor: str) -> None:
    if data.active_from and data.active_until and data.active_until <= data.active_from:
        raise EmptyActiveWindow(f"{data.active_until.isoformat()} is not after "
                                f"{data.active_from.isoformat()}: the item would never be "
                                "redeemable")
    item.name, item.description, item.kind = data.name, data.description, data.kind
    item.leave_days, item.subsidy_amount = data.leave_days, data.subsidy_amount
    item.cost_points = data.cost_points
    item.limit_count = data.limit.count if data.limit else None
    item.limit_period = data.limit.period if data.limit else None
    item.min_qualifying_points = data.eligibility.min_qualifying_points
    item.role_families = list(dict.fromkeys(data.eligibility.role_families))
    item.department_codes = list(dict.fromkeys(data.eligibility.department_codes))
    item.requires_approval = data.requires_approval
    item.active_from, item.active_until = data.active_from, data.active_until
    item.updated_by = actor
    item.updated_at = datetime.now(UTC)


def _set_stock(item: RewardItem, total: int | None) -> None:
    """Stock is what HR makes available in total; what remains follows from the
    units already reserved and issued, which a new total cannot undercut."""
    if total is None:
        item.stock_total = item.stock_remaining = None
        return
    committed = item.stock_reserved + item.stock_issued
    if total < committed:
        raise StockBelowCommitted(
            f"{committed} units are already reserved or issued; stock must be at least that")
    item.stock_total, item.stock_remaining = total, total - committed


class CatalogueService:
    async def upsert(self, session: AsyncSession, code: str, *, data: schemas.ItemUpsert,
                     actor: str) -> tuple[RewardItem, bool]:
        """Create or replace an item (idempotent). The item row is locked, so a stock
        change and concurrent redemptions see one another."""
        item = await repo.get_item(session, code, for_update=True)
        created = item is None
        if item is None:
            item = RewardItem(code=code, stock_reserved=0, stock_issued=0)
            _apply(item, data, actor)
            # a voucher item starts with an empty pool: imports add to it
            _set_stock(item, 0 if data.kind == "voucher" else data.stock)
            session.add(item)
        else:
            if item.kind != data.kind:
                raise ItemKindImmutable(
                    f"{code} is a {item.kind} item; archive it and create a new item instead")
            _apply(item, data, actor)
            if data.kind != "voucher":
                _set_stock(item, data.stock)
        await session.flush()
        await session.refresh(item)
        return item, created

    async def set_archived(self, session: AsyncSession, code: str, *, archived: bool,
                           actor: str) -> RewardItem:
        """Archived items leave the employees' catalogue; redemptions already made
        carry on (they can still be approved, rejected or cancelled)."""
        item = await self.get(session, code, for_update=True)
        if archived and item.archived_at is None:
            item.archived_at = datetime.now(UTC)
        elif not archived:
            item.archived_at = None
        item.updated_by, item.updated_at = actor, datetime.now(UTC)
        await session.flush()
        await session.refresh(item)
        return item

    async def get(self, session: AsyncSession, code: str, *,
                  for_update: bool = False) -> RewardItem:
        item = await repo.get_item(session, code, for_update=for_update)
        if item is None:
            raise ItemNotFound(f"No reward item {code!r}")
        return item

    async def shopper(self, session: AsyncSession, points: PointsClient, *,
                      principal: Principal, employee_no: str | None) -> Shopper | None:
        """Whom the catalogue is shown for: the caller, or for HR, auditors and
        integrations the employee they name (None: the whole catalogue). The
        balances are left out when points_api cannot answer."""
        if employee_no is None and principal.is_privileged_reader:
            return None
        employee_no = self._shopper_no(principal, employee_no)
        try:
            balances: Balances | None = await points.balances(employee_no)
        except PointsUnavailable:
            balances = None
        employee = await employees.find(session, employee_no)
        if employee is None:
            raise _unknown_shopper(principal, employee_no)
        return Shopper(employee=employee, balances=balances)

    def _shopper_no(self, principal: Principal, employee_no: str | None) -> str:
        if employee_no is None:
            return principal.sub
        if employee_no != principal.sub and not principal.is_privileged_reader:
            raise Forbidden("Only HR, auditors and integrations browse for someone else")
        return employee_no

    async def page(self, db: DriverConnection, points: PointsClient, *, principal: Principal,
                   employee_no: str | None, filters: repo.ItemFilters, after: str | None,
                   limit: int, tz: tzinfo) -> tuple[list[schemas.Item], str | None]:
        """A page of the catalogue, as :meth:`shopper` and :meth:`browse` make it, in one
        statement: the employee copy, the items and the limits' usage together (after
        the call to points_api for the balances, when shown for an employee)."""
        now = datetime.now(UTC)
        if employee_no is None and principal.is_privileged_reader:
            rows = await db.all(repo.ITEMS_PAGE, kind=filters.kind, archived=filters.archived,
                                requires_approval=filters.requires_approval, after=after,
                                limit=limit + 1)
            more, rows = len(rows) > limit, rows[:limit]
            items = [item_out(RowAttributes(r), now=now) for r in rows]
            return items, (rows[-1]["code"] if more else None)
        employee_no = self._shopper_no(principal, employee_no)
        try:
            balances: Balances | None = await points.balances(employee_no)
        except PointsUnavailable:
            balances = None
        rows = await db.all(
            repo.VISIBLE_PAGE, employee_no=employee_no, now=now,
            qualifying=balances.qualifying_points if balances else None, kind=filters.kind,
            after=after, limit=limit + 1, month_key=period_key("month", now, tz),
            quarter_key=period_key("quarter", now, tz), year_key=period_key("year", now, tz))
        head = rows[0]
        if head["copy_no"] is None:
            raise _unknown_shopper(principal, employee_no)
        shopper = Shopper(employee={
            "employee_no": head["copy_no"], "name": head["copy_name"],
            "department_code": head["copy_department"], "department_path": head["copy_path"],
            "job_role_family": head["copy_family"], "status": head["copy_status"]},
            balances=balances)
        found = [r for r in rows if r["code"] is not None]
        more, found = len(found) > limit, found[:limit]
        items = [item_out(RowAttributes(r), now=now, shopper=shopper, used=r["used"] or 0)
                 for r in found]
        return items, (found[-1]["code"] if more else None)

    async def show(self, session: AsyncSession, code: str, *, shopper: Shopper | None,
                   tz: tzinfo) -> schemas.Item:
        """One item; an employee sees only what their catalogue holds (else 404)."""
        now = datetime.now(UTC)
        item = await self.get(session, code)
        if shopper is not None:
            qualifying = shopper.balances.qualifying_points if shopper.balances else None
            if (unavailability(item, now) or ineligibility(item, shopper.employee, qualifying)
                    or (qualifying is None and item.min_qualifying_points > 0)):
                raise ItemNotFound(f"No reward item {code!r} in your catalogue")
        used = await self._usage(session, shopper, [item], now=now, tz=tz)
        return item_out(item, now=now, shopper=shopper, used=used.get(item.code))

    async def _usage(self, session: AsyncSession, shopper: Shopper | None,
                     items: list[RewardItem], *, now: datetime, tz: tzinfo) -> dict[str, int]:
        if shopper is None:
            return {}
        keys = {i.code: period_key(i.limit_period, now, tz) for i in items if i.limit_period}
        found = await repo.usage(session, shopper.employee["employee_no"],
                                 list(keys.items()))
        return {code: found.get((code, key), 0) for code, key in keys.items()}


catalogue = CatalogueService()
