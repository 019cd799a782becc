"""Reading accounts and entries, for the employee, their managers, HR and auditors.

Nothing here sums the ledger: balances come from the account row, this month's
points and rank from the period totals kept with every entry.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api import employee_copies
from services.points_api.ledger import repository as repo
from services.points_api.ledger.errors import AccountNotFound, EntryNotFound
from services.points_api.ledger.periods import month_key
from services.points_api.ledger.schemas import Account, CategoryPoints, Entry
from services.points_api.ledger.service import entry_out
from shared.auth import Principal


def _categories(row: Any | None) -> CategoryPoints:
    if row is None:
        return CategoryPoints()
    return CategoryPoints(participation=row.participation_points, outcome=row.outcome_points,
                          growth=row.growth_points)


class AccountService:
    async def get(self, session: AsyncSession, employee_no: str, *, principal: Principal,
                  tz: tzinfo) -> Account:
        """Balances, this month's points and rank. An employee known to points_api but
        without entries yet has an account of zeros."""
        await self._ensure_visible(session, employee_no, principal)
        account = await repo.get_account(session, employee_no)
        month = month_key(datetime.now(UTC), tz)
        total = await repo.get_period_total(session, employee_no, month)
        month_points = total.points if total is not None else 0
        (rank,) = await repo.ranks(session, month, employee_no, [month_points])
        balance = account.balance if account else 0
        held = account.held if account else 0
        return Account(
            employee_no=employee_no, balance=balance, held=held, spendable=balance - held,
            qualifying_points=account.qualifying if account else 0,
            by_category=_categories(account), month=f"{month[1:5]}-{month[6:8]}",
            month_points=month_points, month_by_category=_categories(total), month_rank=rank,
            updated_at=account.updated_at if account else None)

    async def entries(self, session: AsyncSession, employee_no: str, *,
                      filters: repo.EntryFilters, principal: Principal, before_id: int | None,
                      limit: int) -> tuple[list[Entry], int | None]:
        """Newest first, with the reversal links of each entry."""
        await self._ensure_visible(session, employee_no, principal)
        rows = await repo.list_entries(session, employee_no, filters, before_id=before_id,
                                       limit=limit + 1)
        items = [entry_out(entry, reversed_by) for entry, reversed_by in rows[:limit]]
        return items, (items[-1].id if len(rows) > limit else None)

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
        """Employees read their own account, managers those of their departments (with
        sub-departments), HR, auditors, integrations and services all. Anything else
        answers 404, as an unknown employee does, so that existence does not leak."""
        copy = await employee_copies.get_copy(session, employee_no)
        if copy is None and (not principal.is_privileged_reader
                             or await repo.get_account(session, employee_no) is None):
            raise AccountNotFound(f"No account of employee {employee_no!r} visible to you")
        if principal.is_privileged_reader or principal.sub == employee_no:
            return
        managed = set(principal.departments)
        if principal.has("manager") and managed.intersection(
                [*copy["department_path"], copy["department_code"]]):
            return
        raise AccountNotFound(f"No account of employee {employee_no!r} visible to you")


accounts = AccountService()
