"""The rule what-if: replay a rule-set version over a window of past events, compare
with what the ledger holds, and, once HR has reviewed it, pay the difference as
adjustment entries exactly once.

A simulation runs in the background of the replica that accepted it (HR polls its
progress) inside one REPEATABLE READ snapshot, so the events and the ledger it
compares are read at the same instant however many events arrive meanwhile. Nothing
is written but the simulation's own rows. A simulation whose replica stopped while
it ran is reported failed once its heartbeat is older than ``STALE_AFTER``.
"""

from __future__ import annotations

import asyncio
import builtins
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy import String, any_, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.points_api.db import employee_copy
from services.points_api.ledger import repository as ledger_repo
from services.points_api.ledger.errors import SelfAdjustment
from services.points_api.ledger.periods import month_key, parse_bound, period_bounds
from services.points_api.ledger.service import Posting, ledger
from services.points_api.milestones import repository as milestone_repo
from services.points_api.milestones.criteria import Facts, trailing_months, window_points
from services.points_api.mix.errors import DepartmentNotFound
from services.points_api.mix.repository import department_known
from services.points_api.models import RuleSetRecord
from services.points_api.rules.errors import RuleSetInvalid
from services.points_api.rules.schemas import MultiplierAward, RuleSet
from services.points_api.rules.service import rule_sets
from services.points_api.whatif import repository as repo
from services.points_api.whatif.errors import (
    InvalidSimulationWindow,
    SimulationAlreadyApplied,
    SimulationIncomplete,
    SimulationNotFinished,
    SimulationNotFound,
    SimulationOverlapsApplied,
)
from services.points_api.whatif.replay import CATEGORIES, EmployeeResult, Replay
from services.points_api.whatif.schemas import (
    Application,
    EmployeeComparison,
    MilestoneComparison,
    Mix,
    Progress,
    ReplayNotes,
    RuleComparison,
    Simulation,
    SimulationApply,
    SimulationCreate,
    SimulationSummary,
    Window,
)
from shared.errors import FieldError
from shared.pagination import (
    bigint_key,
    datetime_key,
    decode_keyset,
    encode_cursor,
    text_key,
    uuid_key,
)
from shared.periods import keys_of_months

log = structlog.get_logger("jifen.points.whatif")

MAX_WINDOW = timedelta(days=400)
STALE_AFTER = timedelta(minutes=2)
HEARTBEAT_EVERY = timedelta(seconds=20)
CONCURRENT = 2  # simulations running at once in one replica
INTERRUPTED = "The service stopped while the simulation ran; start it again"


def _window(data: SimulationCreate, tz: tzinfo) -> tuple[datetime, datetime]:
    if data.period is not None and (data.from_ is not None or data.to is not None):
        raise InvalidSimulationWindow("Give a period or from/to, not both", errors=[
            FieldError(pointer="#/period", detail="not allowed together with from/to")])
    if data.period is not None:
        if data.period == "ALL":
            raise InvalidSimulationWindow("Choose a month, quarter or year", errors=[
                FieldError(pointer="#/period", detail="ALL is not a window")])
        start, end = period_bounds(data.period, tz)
        assert start is not None and end is not None
        return start, end
    if data.from_ is None or data.to is None:
        raise InvalidSimulationWindow("Give a period, or both from and to", errors=[
            FieldError(pointer="#/period" if data.from_ is None and data.to is None
                       else "#/from" if data.from_ is None else "#/to", detail="required")])
    bounds = []
    for name, value, upper in (("from", data.from_, False), ("to", data.to, True)):
        try:
            bounds.append(parse_bound(value, tz, upper=upper))
        except ValueError as exc:
            raise InvalidSimulationWindow(str(exc), errors=[
                FieldError(pointer=f"#/{name}", detail=str(exc))]) from exc
    start, end = bounds
    if start >= end:
        raise InvalidSimulationWindow("from must come before to", errors=[
            FieldError(pointer="#/to", detail="must be later than from")])
    if end - start > MAX_WINDOW:
        raise InvalidSimulationWindow("A window is at most 400 days", errors=[
            FieldError(pointer="#/to", detail="at most 400 days after from")])
    return start, end


def _out(row: Any, *, now: datetime) -> Simulation:
    status, error = row.status, row.error
    if status == "running" and row.heartbeat_at < now - STALE_AFTER:
        status, error = "failed", INTERRUPTED
    percent = None
    if row.events_total is not None:
        percent = 100.0 if row.events_total == 0 else round(
            100 * row.events_done / row.events_total, 1)
    application = None
    if row.applied_at is not None:
        application = Application(applied_at=row.applied_at, applied_by=row.applied_by,
                                  reason=row.apply_reason, entries=row.applied_entries,
                                  points=row.applied_points)
    return Simulation(
        id=row.id, rule_set_version=row.rule_set_version,
        window=Window(from_=row.window_from, to=row.window_to),
        department=row.department_code, status=status,
        progress=Progress(events_done=row.events_done, events_total=row.events_total,
                          percent=percent),
        error=error, created_by=row.created_by, created_at=row.created_at,
        finished_at=row.finished_at,
        summary=None if row.summary is None else SimulationSummary.model_validate(row.summary),
        application=application)


def _mix(by_category: dict[str, int]) -> Mix:
    total = sum(by_category.values())
    return Mix(total=total, by_category=dict(by_category),
               shares={c: (round(v / total, 4) if total else None)
                       for c, v in by_category.items()})


class WhatIfService:
    def __init__(self) -> None:
        self._running: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(CONCURRENT)

    # -- starting and reading ----------------------------------------------------------------

    async def start(self, app: FastAPI, version: int, data: SimulationCreate, *,
                    actor: str, tz: tzinfo) -> Simulation:
        """Record the simulation, then run it in the background; answers at once."""
        start, end = _window(data, tz)
        sessionmaker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
        async with sessionmaker() as session, session.begin():
            validation = await rule_sets.validate(session, version)  # 404 when unknown
            if not validation.valid:
                raise RuleSetInvalid(
                    f"Rule set version {version} has {len(validation.problems)} problem(s); "
                    "fix them to simulate it", errors=[
                        FieldError(pointer=p.pointer, detail=p.detail)
                        for p in validation.problems])
            if data.department is not None and not await department_known(
                    session, data.department):
                raise DepartmentNotFound(f"No employee is in department {data.department!r}",
                                         errors=[FieldError(pointer="#/department",
                                                            detail="no such department")])
            record = await session.get(RuleSetRecord, version)
            assert record is not None
            row = await repo.insert_simulation(session, {
                "id": uuid.uuid4(), "rule_set_version": version, "rules": record.rules,
                "window_from": start, "window_to": end, "department_code": data.department,
                "created_by": actor})
        task = asyncio.create_task(self.run(sessionmaker, row.id, tz=tz),
                                   name=f"simulation-{row.id}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return _out(row, now=datetime.now(UTC))

    async def get(self, session: AsyncSession, simulation_id: uuid.UUID) -> Simulation:
        row = await repo.get_simulation(session, simulation_id)
        if row is None:
            raise SimulationNotFound(f"No simulation {simulation_id}")
        return _out(row, now=datetime.now(UTC))

    async def list(self, session: AsyncSession, *, cursor: str | None,
                   limit: int) -> tuple[list[Simulation], str | None]:
        after = decode_keyset(cursor, datetime_key, uuid_key)
        rows = await repo.list_simulations(session, after=after, limit=limit + 1)
        now = datetime.now(UTC)
        items = [_out(r, now=now) for r in rows[:limit]]
        last = rows[limit - 1] if len(rows) > limit else None
        return items, (None if last is None else encode_cursor(
            [last.created_at.isoformat(), str(last.id)]))

    async def employees(self, session: AsyncSession, simulation_id: uuid.UUID, *, order: str,
                        changed_only: bool, milestones_only: bool, cursor: str | None,
                        limit: int | None) -> tuple[builtins.list[EmployeeComparison], str | None]:
        """The per-employee comparison, a page at a time (``limit`` None: all of it)."""
        await self.get(session, simulation_id)
        stmt = repo.employee_results(simulation_id, order=order, changed_only=changed_only,
                                     milestones_only=milestones_only)
        last: tuple[str] | tuple[int, str] | None = (
            decode_keyset(cursor, text_key) if order == "employee_no"
            else decode_keyset(cursor, bigint_key, text_key))
        if last is not None:
            stmt = repo.after_position(stmt, order=order, last=last)
        if limit is not None:
            stmt = stmt.limit(limit + 1)
        rows = list((await session.execute(stmt)).all())
        page = rows if limit is None else rows[:limit]
        names = dict((await session.execute(select(
            employee_copy.c.employee_no, employee_copy.c.name).where(
                employee_copy.c.employee_no == any_(literal(
                    [r.employee_no for r in page], ARRAY(String)))))).all())
        items = [EmployeeComparison(
            employee_no=r.employee_no, name=names.get(r.employee_no), events=r.events,
            actual_points=r.actual_points, simulated_points=r.simulated_points,
            difference=r.difference, actual_by_category=r.actual_by_category,
            simulated_by_category=r.simulated_by_category,
            milestones_gained=list(r.milestones_gained),
            milestones_lost=list(r.milestones_lost)) for r in page]
        next_cursor = None
        if limit is not None and len(rows) > limit:
            tail = page[-1]
            next_cursor = encode_cursor([tail.employee_no] if order == "employee_no"
                                        else [tail.difference, tail.employee_no])
        return items, next_cursor

    # -- running -----------------------------------------------------------------------------

    async def run(self, sessionmaker: async_sessionmaker[AsyncSession],
                  simulation_id: uuid.UUID, *, tz: tzinfo) -> None:
        """Replay, compare and store; any failure is recorded on the simulation. At most
        ``CONCURRENT`` run at once in a replica (each holds a database snapshot); the
        others wait their turn, their heartbeat going on meanwhile."""
        phases = _Phases()
        heartbeat = asyncio.create_task(self._heartbeat(sessionmaker, simulation_id))
        try:
            async with self._slots:
                summary, rows = await self._simulate(sessionmaker, simulation_id, tz=tz,
                                                     phases=phases)
            with phases("store"):
                async with sessionmaker() as session, session.begin():
                    await repo.insert_employee_results(session, rows)
                    await repo.update_simulation(
                        session, simulation_id, status="done",
                        summary=summary.model_dump(mode="json"), finished_at=datetime.now(UTC),
                        heartbeat_at=datetime.now(UTC))
            log.info("simulation_done", simulation_id=str(simulation_id),
                     events=summary.events, employees=summary.employees,
                     seconds=phases.total(), phases=phases.seconds)
        except Exception as exc:
            log.exception("simulation_failed", simulation_id=str(simulation_id))
            async with sessionmaker() as session, session.begin():
                await repo.update_simulation(session, simulation_id, status="failed",
                                             error=f"{type(exc).__name__}: {exc}"[:2000],
                                             finished_at=datetime.now(UTC))
        finally:
            heartbeat.cancel()

    async def _heartbeat(self, sessionmaker: async_sessionmaker[AsyncSession],
                         simulation_id: uuid.UUID) -> None:
        """Says the simulation is alive, whatever phase it is in or while it waits."""
        while True:
            await asyncio.sleep(HEARTBEAT_EVERY.total_seconds())
            try:
                await self._progress(sessionmaker, simulation_id)
            except Exception as exc:  # the next beat tries again; staleness tells the rest
                log.warning("simulation_heartbeat_failed", simulation_id=str(simulation_id),
                            error=repr(exc))

    async def _progress(self, sessionmaker: async_sessionmaker[AsyncSession],
                        simulation_id: uuid.UUID, **values: Any) -> None:
        async with sessionmaker() as session, session.begin():
            await repo.update_simulation(session, simulation_id, heartbeat_at=datetime.now(UTC),
                                         **values)

    async def _simulate(self, sessionmaker: async_sessionmaker[AsyncSession],
                        simulation_id: uuid.UUID, *, tz: tzinfo, phases: _Phases,
                        ) -> tuple[SimulationSummary, builtins.list[dict[str, Any]]]:
        async with sessionmaker() as session:
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            with phases("count"):
                sim = await repo.get_simulation(session, simulation_id)
                assert sim is not None
                rule_set = RuleSet.model_validate({"version": sim.rule_set_version,
                                                   "rules": sim.rules})
                window = repo.window_events(sim.window_from, sim.window_to, sim.department_code)
                total = await repo.count_events(session, window)
                await self._progress(sessionmaker, simulation_id, events_total=total)
            with phases("history"):
                months = _months(sim.window_from, sim.window_to, tz)
                prior = await repo.prior_entries(
                    session, window, start=sim.window_from, end=sim.window_to,
                    capped_rule_ids=[r.id for r in rule_set.rules if r.cap is not None])
                streaks = await repo.streak_qualifications(session, window, months)
                early_voids = await repo.voids_before_log(session, window)
                by_hand = await repo.reversed_by_hand(session, window)
            with phases("replay"):
                replay = Replay(rule_set, tz=tz, prior=prior, streaks=streaks)
                for event in early_voids:
                    replay.feed(event)
                async for batch in repo.stream_events(session, window):
                    for event in batch:
                        replay.feed(event)
                    await self._progress(sessionmaker, simulation_id,
                                         events_done=replay.stats.events)
            with phases("actual"):
                actual = await repo.actual_points(session, window, tz=tz)
                names = await self._rule_names(session, rule_set, at=sim.window_to)
                compared, by_rule = _compare(replay.results, actual)
            with phases("milestones"):
                milestones = await self._milestones(session, compared, tz=tz)
        streak_ids = sorted(r.id for r in rule_set.rules if isinstance(r.award, MultiplierAward)
                            and r.streak is not None)
        qualified = {rule_id for found in streaks.values() for rule_id, _ in found}
        notes = ReplayNotes(
            skipped_voided=replay.stats.skipped_voided, unreadable=replay.stats.unreadable,
            confirmer_points_clamped=replay.stats.confirmer_points_clamped,
            unscorable=replay.stats.unscorable, reversed_by_hand=by_hand,
            streak_rules_without_qualifications=[r for r in streak_ids if r not in qualified])
        summary = _summary(compared, milestones, by_rule, names, events=replay.stats.events,
                           notes=notes)
        rows = [{"simulation_id": simulation_id, "employee_no": no, **c.row(),
                 "milestones_gained": milestones.gained.get(no, []),
                 "milestones_lost": milestones.lost.get(no, [])}
                for no, c in compared.items()]
        return summary, rows

    async def _rule_names(self, session: AsyncSession, rule_set: RuleSet, *,
                          at: datetime) -> dict[str, tuple[str, str]]:
        """Rule id -> (name, category): the draft's, else the rules in force at the
        window's end (for rules the draft dropped)."""
        names: dict[str, tuple[str, str]] = {}
        in_force = await rule_sets.active_rule_set(session, at=at - timedelta(microseconds=1))
        for source in (in_force, rule_set):
            if source is not None:
                names.update({r.id: (r.name, r.category) for r in source.rules})
        return names

    async def _milestones(self, session: AsyncSession, compared: dict[str, _Comparison], *,
                          tz: tzinfo) -> _MilestoneChanges:
        """For employees whose points change: whose position and certification points
        bars the draft would make them meet, or miss."""
        requirements = [("position", r) for r in await milestone_repo.active_positions(session)]
        requirements += [("certification", r)
                         for r in await milestone_repo.active_certifications(session)]
        changes = _MilestoneChanges(requirements)
        moved = [no for no, c in compared.items() if any(c.month_difference.values())]
        if not requirements or not moved:
            return changes
        current = month_key(datetime.now(UTC), tz)
        windows = {r.points_window_months for _, r in requirements if r.points_window_months}
        months = sorted({m for w in windows for m in trailing_months(current, w)})
        standing = await repo.standing_points(session, moved, months)
        for no in moved:
            lifetime, month_points = standing[no]
            difference = compared[no].month_difference
            actual = Facts(lifetime_points=lifetime, month_points=month_points,
                           current_month=current)
            simulated = Facts(
                lifetime_points=lifetime + sum(difference.values()),
                month_points={m: month_points.get(m, 0) + difference.get(m, 0)
                              for m in set(month_points) | set(difference)},
                current_month=current)
            changes.judge(no, actual, simulated)
        return changes

    # -- applying ----------------------------------------------------------------------------

    async def apply(self, session: AsyncSession, simulation_id: uuid.UUID,
                    data: SimulationApply, *, actor: str, tz: tzinfo) -> Simulation:
        """One adjustment entry per employee and category whose points the simulation
        changes, dated now. The simulation row is locked and marked in the same
        transaction, so a second apply (even a concurrent one) is refused and pays
        nothing. Points already spent stay spent: a negative difference takes no more
        than the account holds and records the rest as ``details.shortfall``. A
        simulation that changes the applier's own account is theirs to leave: 403
        ``self-adjustment``, as for an adjustment of their own account."""
        sim = await repo.get_simulation(session, simulation_id, lock=True)
        if sim is None:
            raise SimulationNotFound(f"No simulation {simulation_id}")
        if sim.applied_at is not None:
            raise SimulationAlreadyApplied(
                f"The difference was applied at {sim.applied_at.isoformat()} by "
                f"{sim.applied_by}", applied_at=sim.applied_at.isoformat(),
                applied_by=sim.applied_by)
        status = _out(sim, now=datetime.now(UTC)).status
        if status != "done":
            raise SimulationNotFinished(f"Simulation {simulation_id} is {status}")
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
        window = (f"{sim.window_from.astimezone(tz).date().isoformat()} – "
                  f"{(sim.window_to.astimezone(tz) - timedelta(microseconds=1)).date()}")
        changed = await repo.changed_employees(session, simulation_id)
        if any(row.employee_no == actor for row in changed):
            # the difference is an adjustment, and nobody adjusts their own account
            raise SelfAdjustment(
                f"The simulation changes the points of {actor}, your own account; another "
                "HR administrator applies it. Nothing was applied")
        accounts = await ledger_repo.lock_accounts(session, [r.employee_no for r in changed])
        postings = {row.employee_no: _adjustments(row, accounts[row.employee_no], sim=sim,
                                                  window=window, reason=data.reason,
                                                  actor=actor) for row in changed}
        entries = await ledger.post_many(session, postings, tz=tz)
        points = sum(p.qualifying_amount for items in postings.values() for p in items)
        now = datetime.now(UTC)
        await repo.update_simulation(session, simulation_id, applied_at=now, applied_by=actor,
                                     apply_reason=data.reason, applied_entries=entries,
                                     applied_points=points)
        log.info("simulation_applied", simulation_id=str(simulation_id), entries=entries,
                 points=points, actor=actor)
        return await self.get(session, simulation_id)


class _Phases:
    """Seconds spent in each phase of a simulation, for the log."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - began, 3)

    def total(self) -> float:
        return round(sum(self.seconds.values()), 3)


class _Comparison:
    """One employee: what their window's events earned and would have earned."""

    __slots__ = ("events", "actual", "simulated", "month_difference")

    def __init__(self) -> None:
        self.events = 0
        self.actual = dict.fromkeys(CATEGORIES, 0)
        self.simulated = dict.fromkeys(CATEGORIES, 0)
        self.month_difference: dict[str, int] = defaultdict(int)

    def row(self) -> dict[str, Any]:
        actual, simulated = sum(self.actual.values()), sum(self.simulated.values())
        return {"events": self.events, "actual_points": actual, "simulated_points": simulated,
                "difference": simulated - actual, "actual_by_category": self.actual,
                "simulated_by_category": self.simulated}


def _compare(results: dict[str, EmployeeResult], actual: list[tuple[str, str, str, str, int]],
             ) -> tuple[dict[str, _Comparison], dict[str, list[int]]]:
    """Per employee, and per rule as [actual, simulated] points."""
    compared: dict[str, _Comparison] = defaultdict(_Comparison)
    by_rule: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for no, result in results.items():
        c = compared[no]
        c.events = result.events
        for category, value in result.by_category.items():
            c.simulated[category] = c.simulated.get(category, 0) + value
        for month, value in result.by_month.items():
            c.month_difference[month] += value
        for rule_id, value in result.by_rule.items():
            by_rule[rule_id][1] += value
    for no, category, rule_id, month, value in actual:
        c = compared[no]
        c.actual[category] = c.actual.get(category, 0) + value
        c.month_difference[month] -= value
        by_rule[rule_id][0] += value
    return dict(compared), dict(by_rule)


class _MilestoneChanges:
    def __init__(self, requirements: list[tuple[str, Any]]) -> None:
        self.requirements = requirements
        self.gained: dict[str, list[str]] = defaultdict(list)
        self.lost: dict[str, list[str]] = defaultdict(list)

    def judge(self, employee_no: str, actual: Facts, simulated: Facts) -> None:
        for kind, requirement in self.requirements:
            meets = window_points(actual, requirement.points_window_months) \
                >= requirement.min_points
            would = window_points(simulated, requirement.points_window_months) \
                >= requirement.min_points
            if would != meets:
                (self.gained if would else self.lost)[employee_no].append(
                    f"{kind}:{requirement.code}")

    def comparisons(self) -> list[MilestoneComparison]:
        gained = Counter(key for keys in self.gained.values() for key in keys)
        lost = Counter(key for keys in self.lost.values() for key in keys)
        return [MilestoneComparison(
            kind=kind, code=r.code, name=r.name, min_points=r.min_points,
            points_window_months=r.points_window_months,
            gained=gained[f"{kind}:{r.code}"], lost=lost[f"{kind}:{r.code}"])
            for kind, r in self.requirements]


def _summary(compared: dict[str, _Comparison], milestones: _MilestoneChanges,
             by_rule: dict[str, list[int]], names: dict[str, tuple[str, str]], *, events: int,
             notes: ReplayNotes) -> SimulationSummary:
    actual_mix: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
    simulated_mix: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
    changed = 0
    for c in compared.values():
        for category, value in c.actual.items():
            actual_mix[category] = actual_mix.get(category, 0) + value
        for category, value in c.simulated.items():
            simulated_mix[category] = simulated_mix.get(category, 0) + value
        if c.actual != c.simulated:
            changed += 1
    return SimulationSummary(
        events=events, employees=len(compared), employees_changed=changed,
        actual=_mix(actual_mix), simulated=_mix(simulated_mix),
        difference=sum(simulated_mix.values()) - sum(actual_mix.values()),
        rules=[RuleComparison(rule_id=rule_id, rule_name=names.get(rule_id, (None, None))[0],
                              category=names.get(rule_id, (None, None))[1],
                              actual_points=actual, simulated_points=simulated,
                              difference=simulated - actual)
               for rule_id, (actual, simulated) in sorted(by_rule.items())
               if actual or simulated],
        milestones=milestones.comparisons(), notes=notes)


def _adjustments(row: Any, account: Any, *, sim: Any, window: str, reason: str,
                 actor: str) -> list[Posting]:
    spendable, qualifying = account.balance - account.held, account.qualifying
    postings = []
    changes = {c: row.simulated_by_category.get(c, 0) - row.actual_by_category.get(c, 0)
               for c in set(row.actual_by_category) | set(row.simulated_by_category)}
    # gains first: points moving from one category to another never hit the floor
    for category, change in sorted(changes.items(), key=lambda item: (-item[1], item[0])):
        if not change:
            continue
        amount = change if change > 0 else -min(-change, max(spendable, 0))
        qualifying_amount = change if change > 0 else -min(-change, max(qualifying, 0))
        spendable += amount
        qualifying += qualifying_amount
        details: dict[str, Any] = {"simulation_id": str(sim.id),
                                   "rule_set_version": sim.rule_set_version,
                                   "window": window, "reason": reason, "difference": change}
        if amount != change:
            details["shortfall"] = amount - change
        if qualifying_amount != change:
            details["qualifying_shortfall"] = qualifying_amount - change
        if not amount and not qualifying_amount:
            continue
        postings.append(Posting(
            kind="adjust", amount=amount, qualifying_amount=qualifying_amount,
            category=category, occurred_at=datetime.now(UTC), actor=actor, details=details,
            reason=f"规则模拟差额（规则版本 {sim.rule_set_version}，{window}）：{reason}"))
    return postings


def _months(start: datetime, end: datetime, tz: tzinfo) -> list[str]:
    """Month keys of the company calendar that [start, end) touches."""
    first, last = start.astimezone(tz), (end - timedelta(microseconds=1)).astimezone(tz)
    return keys_of_months((first.year, first.month), (last.year, last.month))


what_if = WhatIfService()
