"""Paying a reviewed simulation's difference: one adjustment entry per employee and
category whose points it changes, exactly once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, tzinfo
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.ledger import repository as ledger_repo
from services.points_api.ledger.errors import SelfAdjustment
from services.points_api.ledger.service import Posting, bounded, ledger
from services.points_api.whatif import repository as repo
from services.points_api.whatif.errors import (
    SimulationAlreadyApplied,
    SimulationIncomplete,
    SimulationNotFinished,
    SimulationNotFound,
    SimulationOverlapsApplied,
)
from services.points_api.whatif.models import SimulationStatus
from services.points_api.whatif.schemas import SimulationApply
from services.points_api.whatif.status import simulation_out
from services.points_api.whatif.window import window_label

log = structlog.get_logger("jifen.points.whatif")


async def apply_difference(session: AsyncSession, simulation_id: uuid.UUID,
                           data: SimulationApply, *, actor: str, tz: tzinfo) -> None:
    """Post the adjustments and mark the simulation applied. The simulation row is
    locked and marked in the same transaction, so a second apply (even a concurrent
    one) is refused and pays nothing. Points already spent stay spent: a negative
    difference takes no more than the account holds and records the rest as
    ``details.shortfall``. A simulation that changes the applier's own account is
    theirs to leave: 403 ``self-adjustment``, as for an adjustment of their own
    account."""
    sim = await repo.get_simulation(session, simulation_id, lock=True)
    if sim is None:
        raise SimulationNotFound(f"No simulation {simulation_id}")
    await _check_payable(session, sim)
    window = window_label(sim.window_from, sim.window_to, tz)
    changed = await repo.changed_employees(session, simulation_id)
    if any(row.employee_no == actor for row in changed):
        # the difference is an adjustment, and nobody adjusts their own account
        raise SelfAdjustment(
            f"The simulation changes the points of {actor}, your own account; another "
            "HR administrator applies it. Nothing was applied")
    accounts = await ledger_repo.lock_accounts(session, [r.employee_no for r in changed])
    postings = {row.employee_no: difference_postings(
        row, accounts[row.employee_no], sim=sim, window=window, reason=data.reason,
        actor=actor) for row in changed}
    entries = await ledger.post_many(session, postings, tz=tz)
    points = sum(p.qualifying_amount for items in postings.values() for p in items)
    await repo.update_simulation(session, simulation_id, applied_at=datetime.now(UTC),
                                 applied_by=actor, apply_reason=data.reason,
                                 applied_entries=entries, applied_points=points)
    log.info("simulation_applied", simulation_id=str(simulation_id), entries=entries,
             points=points, actor=actor)


async def _check_payable(session: AsyncSession, sim: Any) -> None:
    """Refuse a simulation applied before, not done, with events it could not read,
    or overlapping one that already paid the same employees."""
    if sim.applied_at is not None:
        raise SimulationAlreadyApplied(
            f"The difference was applied at {sim.applied_at.isoformat()} by "
            f"{sim.applied_by}", applied_at=sim.applied_at.isoformat(),
            applied_by=sim.applied_by)
    status = simulation_out(sim, now=datetime.now(UTC)).status
    if status != SimulationStatus.DONE:
        raise SimulationNotFinished(f"Simulation {sim.id} is {status}")
    unreadable = (sim.summary or {}).get("notes", {}).get("unreadable", 0)
    if unreadable:
        raise SimulationIncomplete(
            f"{unreadable} logged event(s) of the window could not be read, so their "
            "employees' difference is not known; nothing was applied")
    overlapping = await repo.applied_overlaps(session, sim)
    if overlapping:
        raise SimulationOverlapsApplied(
            f"Simulation(s) {', '.join(map(str, overlapping))} already paid a difference "
            "to some of these employees for an overlapping window; nothing was applied",
            simulations=[str(i) for i in overlapping])


def difference_postings(row: Any, account: Any, *, sim: Any, window: str, reason: str,
                        actor: str) -> list[Posting]:
    """One employee's adjustments: per category, simulated minus actual points, a
    negative one bounded by what the account still holds."""
    spendable, qualifying = account.balance - account.held, account.qualifying
    postings = []
    changes = {c: row.simulated_by_category.get(c, 0) - row.actual_by_category.get(c, 0)
               for c in set(row.actual_by_category) | set(row.simulated_by_category)}
    # gains first: points moving from one category to another never hit the floor
    for category, change in sorted(changes.items(), key=lambda item: (-item[1], item[0])):
        if not change:
            continue
        amount, qualifying_amount = bounded(change, spendable), bounded(change, qualifying)
        spendable += amount
        qualifying += qualifying_amount
        if not amount and not qualifying_amount:
            continue
        details: dict[str, Any] = {"simulation_id": str(sim.id),
                                   "rule_set_version": sim.rule_set_version,
                                   "window": window, "reason": reason, "difference": change}
        if amount != change:
            details["shortfall"] = amount - change
        if qualifying_amount != change:
            details["qualifying_shortfall"] = qualifying_amount - change
        postings.append(Posting(
            kind="adjust", amount=amount, qualifying_amount=qualifying_amount,
            category=category, occurred_at=datetime.now(UTC), actor=actor, details=details,
            reason=f"规则模拟差额（规则版本 {sim.rule_set_version}，{window}）：{reason}"))
    return postings
