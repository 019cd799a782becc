"""The ledger: every change of an employee's points is an appended entry, and the
account and period totals move in the same transaction.

All changes to one employee run under the lock of their account row, so caps,
top-ups and balances are computed from a history nobody else is changing.
Reversals compensate; nothing is edited. A reversal can take away only what the
spendable balance still holds (points already spent stay spent): the rest is
recorded as ``shortfall`` in the entry's details, while qualifying points are
reversed in full (down to zero at most).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api import employee_copies
from services.points_api.ledger import repository as repo
from services.points_api.ledger.errors import (
    AccountNotFound,
    EntryAlreadyReversed,
    EntryIsReversal,
    EntryNotFound,
    InsufficientPoints,
    SelfAdjustment,
)
from services.points_api.ledger.periods import month_key, period_keys
from services.points_api.ledger.schemas import AdjustmentCreate, Entry, ReversalCreate
from services.points_api.models import Account
from shared.contracts.points import AwardedEntry, PointsOutcome
from shared.contracts.training_events import FactVoided
from shared.identity import canonical_employee_no
from shared.periods import ALL_TIME


@dataclass
class Posting:
    """An entry about to be written."""

    kind: str
    amount: int
    qualifying_amount: int
    category: str | None
    reason: str
    occurred_at: datetime
    rule_id: str | None = None
    rule_set_version: int | None = None
    source_event_id: uuid.UUID | None = None
    source_fact_id: str | None = None
    dedupe_key: str | None = None
    reverses_entry_id: int | None = None
    actor: str | None = None
    base_points: int | None = None
    multiplier_rule_ids: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def row(self, employee_no: str) -> dict[str, Any]:
        return {"employee_no": employee_no, **self.__dict__}


def entry_out(entry: Any, reversed_by: int | None = None) -> Entry:
    return Entry(
        id=entry.id, employee_no=entry.employee_no, kind=entry.kind, points=entry.amount,
        qualifying_points=entry.qualifying_amount, category=entry.category, reason=entry.reason,
        rule_id=entry.rule_id, rule_set_version=entry.rule_set_version,
        source_event_id=entry.source_event_id, source_fact_id=entry.source_fact_id,
        dedupe_key=entry.dedupe_key, reverses_entry_id=entry.reverses_entry_id,
        reversed_by_entry_id=reversed_by, actor=entry.actor, base_points=entry.base_points,
        multiplier_rule_ids=list(entry.multiplier_rule_ids or []), details=entry.details or {},
        occurred_at=entry.occurred_at, created_at=entry.created_at)


def reversal_postings(targets: list[Any], *, account: Any, reason: str, actor: str | None,
                      event_id: uuid.UUID | None, details: dict[str, Any]) -> list[Posting]:
    """Compensating entries for ``targets``, taking away no more than the account holds."""
    spendable = account.balance - account.held
    qualifying = account.qualifying
    out = []
    for target in targets:
        amount = bounded(-target.amount, spendable)
        qualifying_amount = bounded(-target.qualifying_amount, qualifying)
        spendable += amount
        qualifying += qualifying_amount
        extra = dict(details)
        if amount != -target.amount:
            extra["shortfall"] = target.amount + amount
        if qualifying_amount != -target.qualifying_amount:
            extra["qualifying_shortfall"] = target.qualifying_amount + qualifying_amount
        out.append(Posting(
            kind="reverse", amount=amount, qualifying_amount=qualifying_amount,
            category=target.category, reason=f"撤销: {target.reason} ({reason})",
            occurred_at=target.occurred_at, rule_id=target.rule_id,
            rule_set_version=target.rule_set_version, source_event_id=event_id,
            source_fact_id=target.source_fact_id, dedupe_key=target.dedupe_key,
            reverses_entry_id=target.id, actor=actor, details=extra))
    return out


def _totals(postings: list[Posting], tz: tzinfo,
            ) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Qualifying points by category, and by period of the company calendar."""
    return _by_category(postings), period_deltas(postings, tz)


def _by_category(postings: list[Posting]) -> dict[str, int]:
    by_category: dict[str, int] = defaultdict(int)
    for p in postings:
        if p.category is not None:
            by_category[p.category] += p.qualifying_amount
    return by_category


def period_deltas(postings: list[Posting], tz: tzinfo) -> dict[str, dict[str, int]]:
    """``{period: {"points": n, "<category>_points": n}}`` the postings add."""
    periods: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for p in postings:
        if p.qualifying_amount:
            # opening balances were earned before Jifen: they count all-time only
            keys = [ALL_TIME] if p.kind == "opening" else period_keys(p.occurred_at, tz)
            for period in keys:
                periods[period]["points"] += p.qualifying_amount
                if p.category is not None:
                    periods[period][f"{p.category}_points"] += p.qualifying_amount
    return periods


def account_delta(employee_no: str, postings: list[Posting]) -> dict[str, Any]:
    """One account's row for ``repository.apply_many_deltas``."""
    by_category = _by_category(postings)
    return {"no": employee_no, "d_balance": sum(p.amount for p in postings),
            "d_qualifying": sum(p.qualifying_amount for p in postings),
            **{f"d_{col}": by_category.get(col.removesuffix("_points"), 0)
               for col in repo.CATEGORY_COLUMNS}}


def bounded(change: int, available: int) -> int:
    """A negative change limited to what is available; positive changes pass."""
    return change if change >= 0 else -min(-change, max(available, 0))


class LedgerService:
    async def post(self, session: AsyncSession, employee_no: str, postings: list[Posting], *,
                   tz: tzinfo) -> tuple[list[Any], Account | None]:
        """Write the entries, move the account and the period totals. The caller holds
        the account lock. Returns the new entries and the account after them."""
        if not postings:
            return [], None
        entries = await repo.insert_entries(session, [p.row(employee_no) for p in postings])
        by_category, periods = _totals(postings, tz)
        account = await repo.apply_deltas(
            session, employee_no, balance=sum(p.amount for p in postings),
            qualifying=sum(p.qualifying_amount for p in postings), by_category=by_category)
        await repo.add_period_totals(session, employee_no, periods)
        return entries, account

    async def post_many(self, session: AsyncSession, postings: dict[str, list[Posting]], *,
                        tz: tzinfo) -> int:
        """:meth:`post` for many employees at once (the caller holds their account
        locks): one insert of every entry, one round of account updates and one of
        period totals. Returns the number of entries."""
        postings = {no: items for no, items in postings.items() if items}
        rows = [p.row(no) for no, items in postings.items() for p in items]
        if not rows:
            return 0
        await repo.insert_entries(session, rows, returning=False)
        await repo.apply_many_deltas(
            session, [account_delta(no, items) for no, items in postings.items()])
        await repo.add_many_period_totals(
            session, {no: period_deltas(items, tz) for no, items in postings.items()})
        return len(rows)

    async def outcome(self, session: AsyncSession, *, account: Any, entries: list[Any],
                      skipped: list[str], tz: tzinfo) -> PointsOutcome:
        """What the employee sees at once: the entries, the new balance, this month's
        points and company rank, and how many places this change moved them."""
        month = month_key(datetime.now(UTC), tz)
        month_points = await repo.period_points(session, account.employee_no, month)
        delta = sum(e.qualifying_amount for e in entries if month_key(e.occurred_at, tz) == month)
        rank_before, rank_after = await repo.ranks(
            session, month, account.employee_no, [month_points - delta, month_points])
        return PointsOutcome(
            employee_no=account.employee_no,
            awarded=[AwardedEntry(entry_id=e.id, rule_id=e.rule_id,
                                  rule_set_version=e.rule_set_version, points=e.amount,
                                  category=e.category or "", reason=e.reason) for e in entries],
            total_points=sum(e.amount for e in entries), balance=account.balance - account.held,
            qualifying_points=account.qualifying, month_points=month_points,
            month_rank=rank_after, month_rank_change=rank_before - rank_after, skipped=skipped)

    async def void_fact(self, session: AsyncSession, event: FactVoided, *,
                        event_id: uuid.UUID, tz: tzinfo) -> PointsOutcome:
        """Reverse every standing entry of the voided fact, and remember the void so that
        the fact's own event, should it arrive late, earns nothing."""
        account = await repo.lock_account(session, event.employee_no)
        await repo.record_voided_fact(session, {
            "fact_id": event.voided_fact_id, "employee_no": event.employee_no,
            "reason": event.reason, "source_event_id": event_id,
            "voided_at": event.occurred_at})
        targets = await repo.unreversed_entries_of_fact(
            session, event.employee_no, event.voided_fact_id)
        postings = reversal_postings(
            targets, account=account, reason=event.reason, actor=None, event_id=event_id,
            details={"void_fact_id": event.fact_id, "void_reason": event.reason,
                     "voided_at": event.occurred_at.isoformat()})
        entries, updated = await self.post(session, event.employee_no, postings, tz=tz)
        skipped = [] if targets else ["该记录没有可撤销的积分"]
        return await self.outcome(session, account=updated or account, entries=entries,
                                  skipped=skipped, tz=tz)

    async def adjust(self, session: AsyncSession, employee_no: str, *, data: AdjustmentCreate,
                     actor: str, tz: tzinfo) -> Entry:
        """A manual correction by HR, with the actor and reason kept on the entry. Taking
        away more than the spendable balance is refused, and so is any change to the
        actor's own account, as approving one's own redemption is."""
        _not_own(employee_no, actor)
        if await employee_copies.get_copy(session, employee_no) is None:
            raise AccountNotFound(f"No employee {employee_no!r} is known to points_api")
        account = await repo.lock_account(session, employee_no)
        spendable = account.balance - account.held
        if data.points < 0 and min(spendable, account.qualifying) + data.points < 0:
            raise InsufficientPoints(
                f"Cannot take away {-data.points} points: {spendable} spendable, "
                f"{account.qualifying} qualifying", spendable=spendable,
                qualifying_points=account.qualifying)
        posting = Posting(kind="adjust", amount=data.points, qualifying_amount=data.points,
                          category=data.category, reason=f"人工调整: {data.reason}",
                          occurred_at=datetime.now(UTC), actor=actor,
                          details={"reason": data.reason})
        entries, _ = await self.post(session, employee_no, [posting], tz=tz)
        return entry_out(entries[0])

    async def reverse_entry(self, session: AsyncSession, entry_id: int, *,
                            data: ReversalCreate, actor: str, tz: tzinfo) -> Entry:
        """A compensating entry for one entry (409 when it was already reversed or is
        itself a reversal)."""
        found = await repo.get_entry(session, entry_id)
        if found is None:
            raise EntryNotFound(f"No ledger entry {entry_id}")
        target = found[0]
        _not_own(target.employee_no, actor)
        account = await repo.lock_account(session, target.employee_no)
        if target.kind == "reverse":
            raise EntryIsReversal(f"Entry {entry_id} is a reversal; adjust instead")
        # checked again under the account lock: a concurrent reversal has committed by now
        if await repo.is_reversed(session, entry_id):
            raise EntryAlreadyReversed(f"Entry {entry_id} was already reversed")
        postings = reversal_postings([target], account=account, reason=data.reason,
                                     actor=actor, event_id=None,
                                     details={"reason": data.reason})
        entries, _ = await self.post(session, target.employee_no, postings, tz=tz)
        return entry_out(entries[0])


def _not_own(employee_no: str, actor: str) -> None:
    if canonical_employee_no(employee_no) == canonical_employee_no(actor):
        raise SelfAdjustment(f"{actor} cannot change the points of their own account; "
                             "another HR administrator can")


ledger = LedgerService()
