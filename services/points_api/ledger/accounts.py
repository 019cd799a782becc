"""Reading accounts and entries, for the employee, their managers, HR and auditors.

Nothing here sums the ledger: balances come from the account row, this month's
points and rank from the period totals kept with every entry. The account and a
page of its entries are each one statement on a read connection: the employee
copy that decides who may see them comes in the same round trip.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.points_api import employee_copies
from services.points_api.ledger import repository as repo
from services.points_api.ledger.errors import AccountNotFound, EntryNotFound, FactPointsNotFound
from services.points_api.ledger.periods import month_key
from services.points_api.ledger.schemas import Account, CategoryPoints, Entry, FactPoints
from services.points_api.ledger.service import entry_out
from shared.auth import Principal
from shared.contracts.points import AwardedEntry
from shared.db import DriverConnection, RowAttributes, driver_connection

# how often a long poll for a fact's points looks again
FACT_POLL_SECONDS = 0.2


def _categories(row: Any | None) -> CategoryPoints:
    if row is None:
        return CategoryPoints()
    return CategoryPoints(participation=row.participation_points, outcome=row.outcome_points,
                          growth=row.growth_points)


def may_see(principal: Principal, employee_no: str, copy: Mapping[str, Any] | None, *,
            has_account: bool) -> bool:
    """Employees see their own account, managers those of their departments (with
    sub-departments), HR, auditors, integrations and services all; an employee
    points_api has no copy of is visible to those who see all, when an account exists."""
    if copy is None:
        return principal.is_privileged_reader and has_account
    return principal.may_read_employee(
        employee_no, [*copy["department_path"], copy["department_code"]])


def _copy_of(row: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return row if row["copy_no"] is not None else None


class AccountService:
    async def get(self, db: DriverConnection, employee_no: str, *, principal: Principal,
                  tz: tzinfo) -> Account:
        """Balances, this month's points and rank, in one statement. An employee known
        to points_api but without entries yet has an account of zeros."""
        month = month_key(datetime.now(UTC), tz)
        row = await db.first(repo.ACCOUNT_VIEW, employee_no=employee_no, month=month)
        assert row is not None  # one row, whatever exists
        if not may_see(principal, employee_no, _copy_of(row),
                       has_account=row["balance"] is not None):
            raise AccountNotFound(f"No account of employee {employee_no!r} visible to you")
        balance, held = row["balance"] or 0, row["held"] or 0
        return Account(
            employee_no=employee_no, balance=balance, held=held, spendable=balance - held,
            qualifying_points=row["qualifying"] or 0,
            by_category=CategoryPoints(participation=row["participation_points"] or 0,
                                       outcome=row["outcome_points"] or 0,
                                       growth=row["growth_points"] or 0),
            month=f"{month[1:5]}-{month[6:8]}", month_points=row["month_points"] or 0,
            month_by_category=CategoryPoints(participation=row["month_participation"] or 0,
                                             outcome=row["month_outcome"] or 0,
                                             growth=row["month_growth"] or 0),
            month_rank=1 + row["higher"], updated_at=row["updated_at"])

    async def entries(self, db: DriverConnection, employee_no: str, *,
                      filters: repo.EntryFilters, principal: Principal, before_id: int | None,
                      limit: int) -> tuple[list[Entry], int | None]:
        """Newest first, with the reversal links of each entry, in one statement."""
        rows = await db.all(repo.ENTRIES_PAGE, employee_no=employee_no, before_id=before_id,
                            category=filters.category, kind=filters.kind, start=filters.start,
                            end=filters.end, limit=limit + 1)
        if not may_see(principal, employee_no, _copy_of(rows[0]),
                       has_account=rows[0]["has_account"]):
            raise AccountNotFound(f"No account of employee {employee_no!r} visible to you")
        found = [r for r in rows if r["id"] is not None]
        items = [entry_out(RowAttributes(r), r["reversed_by_entry_id"]) for r in found[:limit]]
        return items, (items[-1].id if len(found) > limit else None)

    async def fact_points(self, engine: AsyncEngine, fact_id: str, *, principal: Principal,
                          tz: tzinfo, wait: float = 0.0) -> FactPoints:
        """The points of one training fact (one statement), waiting up to ``wait``
        seconds for its event to be applied (a pooled connection only for each look).
        A fact not applied yet answers ``pending`` and says nothing else; an applied
        one follows the account's visibility (404 for others)."""
        deadline = time.monotonic() + wait
        while True:
            month = month_key(datetime.now(UTC), tz)
            conn, db = await driver_connection(engine)
            try:
                row = await db.first(repo.FACT_POINTS, fact_id=fact_id, month=month)
            finally:
                await conn.close()
            if row is not None or time.monotonic() >= deadline:
                break
            await asyncio.sleep(min(FACT_POLL_SECONDS, max(deadline - time.monotonic(), 0)))
        if row is None:
            return FactPoints(fact_id=fact_id, status="pending")
        no = row["employee_no"]
        if not may_see(principal, no, _copy_of(row), has_account=row["balance"] is not None):
            raise FactPointsNotFound(f"No points of fact {fact_id} visible to you")
        awarded = [AwardedEntry.model_validate(a) for a in row["awarded"]]
        return FactPoints(
            fact_id=fact_id, status="applied", employee_no=no, awarded=awarded,
            total_points=sum(a.points for a in awarded), reversed_points=row["reversed"],
            balance=(row["balance"] or 0) - (row["held"] or 0),
            qualifying_points=row["qualifying"] or 0, month_points=row["month_points"] or 0,
            month_rank=1 + row["higher"])

    async def entry(self, session: AsyncSession, entry_id: int, *,
                    principal: Principal) -> Entry:
        found = await repo.get_entry(session, entry_id)
        if found is None:
            raise EntryNotFound(f"No ledger entry {entry_id}")
        entry, reversed_by = found
        try:
            await self._ensure_visible(session, entry.employee_no, principal)
        except AccountNotFound as exc:
            raise EntryNotFound(f"No ledger entry {entry_id}") from exc
        return entry_out(entry, reversed_by)

    async def _ensure_visible(self, session: AsyncSession, employee_no: str,
                              principal: Principal) -> None:
        """:func:`may_see`, in the caller's transaction. Anything not visible answers
        404, as an unknown employee does, so that existence does not leak."""
        copy = await employee_copies.get_copy(session, employee_no)
        has_account = copy is None and principal.is_privileged_reader and (
            await repo.get_account(session, employee_no) is not None)
        if not may_see(principal, employee_no, copy, has_account=has_account):
            raise AccountNotFound(f"No account of employee {employee_no!r} visible to you")


accounts = AccountService()
