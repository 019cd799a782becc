"""Running a simulation in the background of the replica that accepted it: replay the
window's events inside one REPEATABLE READ snapshot, compare with the ledger, store
the comparison. Nothing is written but the simulation's own rows; a heartbeat says
the run is alive (``status.STALE_AFTER`` tells a dead one)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.selectable import CTE

from services.points_api.ledger.periods import month_key
from services.points_api.milestones import repository as milestone_repo
from services.points_api.milestones.criteria import Facts, trailing_months
from services.points_api.milestones.models import Requirement
from services.points_api.rules.history import PriorEntry
from services.points_api.rules.schemas import MultiplierAward, RuleSet
from services.points_api.rules.service import rule_sets
from services.points_api.whatif import repository as repo
from services.points_api.whatif.comparison import (
    Comparison,
    MilestoneChanges,
    compare,
    summarise,
)
from services.points_api.whatif.models import SimulationStatus
from services.points_api.whatif.replay import LoggedEvent, Replay
from services.points_api.whatif.schemas import ReplayNotes, SimulationSummary
from services.points_api.whatif.window import window_months

log = structlog.get_logger("jifen.points.whatif")

HEARTBEAT_EVERY = timedelta(seconds=20)
CONCURRENT = 2  # simulations running at once in one replica

Sessions = async_sessionmaker[AsyncSession]


class Phases:
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


@dataclass
class _History:
    """What the replay needs from outside the window's events."""

    prior: dict[str, list[PriorEntry]]
    streaks: dict[tuple[str, str], list[tuple[str, datetime]]]
    early_voids: list[LoggedEvent]
    reversed_by_hand: int


class SimulationRunner:
    def __init__(self) -> None:
        self._slots = asyncio.Semaphore(CONCURRENT)

    async def run(self, sessionmaker: Sessions, simulation_id: uuid.UUID, *,
                  tz: tzinfo) -> None:
        """Replay, compare and store; any failure is recorded on the simulation. At most
        ``CONCURRENT`` run at once in a replica (each holds a database snapshot); the
        others wait their turn, their heartbeat going on meanwhile."""
        phases = Phases()
        heartbeat = asyncio.create_task(self._heartbeat(sessionmaker, simulation_id))
        try:
            async with self._slots:
                summary, rows = await self._simulate(sessionmaker, simulation_id, tz=tz,
                                                     phases=phases)
            with phases("store"):
                await _store(sessionmaker, simulation_id, summary, rows)
            log.info("simulation_done", simulation_id=str(simulation_id),
                     events=summary.events, employees=summary.employees,
                     seconds=phases.total(), phases=phases.seconds)
        except Exception as exc:
            log.exception("simulation_failed", simulation_id=str(simulation_id))
            async with sessionmaker() as session, session.begin():
                await repo.update_simulation(session, simulation_id, status=SimulationStatus.FAILED,
                                             error=f"{type(exc).__name__}: {exc}"[:2000],
                                             finished_at=datetime.now(UTC))
        finally:
            heartbeat.cancel()

    async def _heartbeat(self, sessionmaker: Sessions, simulation_id: uuid.UUID) -> None:
        """Says the simulation is alive, whatever phase it is in or while it waits."""
        while True:
            await asyncio.sleep(HEARTBEAT_EVERY.total_seconds())
            try:
                await _progress(sessionmaker, simulation_id)
            except Exception as exc:  # the next beat tries again; staleness tells the rest
                log.warning("simulation_heartbeat_failed", simulation_id=str(simulation_id),
                            error=repr(exc))

    async def _simulate(self, sessionmaker: Sessions, simulation_id: uuid.UUID, *,
                        tz: tzinfo, phases: Phases,
                        ) -> tuple[SimulationSummary, list[dict[str, Any]]]:
        async with sessionmaker() as session:
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            with phases("count"):
                sim = await repo.get_simulation(session, simulation_id)
                assert sim is not None
                rule_set = RuleSet.model_validate({"version": sim.rule_set_version,
                                                   "rules": sim.rules})
                window = repo.window_events(sim.window_from, sim.window_to, sim.department_code)
                total = await repo.count_events(session, window)
                await _progress(sessionmaker, simulation_id, events_total=total)
            with phases("history"):
                history = await _history(session, window, sim, rule_set, tz=tz)
            with phases("replay"):
                replay = await _replay(session, sessionmaker, simulation_id, window, rule_set,
                                       history, tz=tz)
            with phases("actual"):
                actual = await repo.actual_points(session, window, tz=tz)
                names = await _rule_names(session, rule_set, at=sim.window_to)
                compared, by_rule = compare(replay.results, actual)
            with phases("milestones"):
                milestones = await _milestones(session, compared, tz=tz)
        summary = summarise(compared, milestones, by_rule, names, events=replay.stats.events,
                            notes=_notes(rule_set, replay, history))
        rows = [{"simulation_id": simulation_id, "employee_no": no, **c.row(),
                 "milestones_gained": milestones.gained.get(no, []),
                 "milestones_lost": milestones.lost.get(no, [])}
                for no, c in compared.items()]
        return summary, rows


async def _progress(sessionmaker: Sessions, simulation_id: uuid.UUID, **values: Any) -> None:
    async with sessionmaker() as session, session.begin():
        await repo.update_simulation(session, simulation_id, heartbeat_at=datetime.now(UTC),
                                     **values)


async def _store(sessionmaker: Sessions, simulation_id: uuid.UUID, summary: SimulationSummary,
                 rows: list[dict[str, Any]]) -> None:
    async with sessionmaker() as session, session.begin():
        await repo.insert_employee_results(session, rows)
        await repo.update_simulation(
            session, simulation_id, status=SimulationStatus.DONE,
            summary=summary.model_dump(mode="json"),
            finished_at=datetime.now(UTC), heartbeat_at=datetime.now(UTC))


async def _history(session: AsyncSession, window: CTE, sim: Any, rule_set: RuleSet, *,
                   tz: tzinfo) -> _History:
    months = window_months(sim.window_from, sim.window_to, tz)
    prior = await repo.prior_entries(
        session, window, start=sim.window_from, end=sim.window_to,
        capped_rule_ids=[r.id for r in rule_set.rules if r.cap is not None])
    streaks = await repo.streak_qualifications(session, window, months)
    early_voids = await repo.voids_before_log(session, window)
    by_hand = await repo.reversed_by_hand(session, window)
    return _History(prior=prior, streaks=streaks, early_voids=early_voids,
                    reversed_by_hand=by_hand)


async def _replay(session: AsyncSession, sessionmaker: Sessions, simulation_id: uuid.UUID,
                  window: CTE, rule_set: RuleSet, history: _History, *, tz: tzinfo) -> Replay:
    """The window's events fed to the draft in applied order, progress told per batch."""
    replay = Replay(rule_set, tz=tz, prior=history.prior, streaks=history.streaks)
    for event in history.early_voids:
        replay.feed(event)
    async for batch in repo.stream_events(session, window):
        for event in batch:
            replay.feed(event)
        await _progress(sessionmaker, simulation_id, events_done=replay.stats.events)
    return replay


def _notes(rule_set: RuleSet, replay: Replay, history: _History) -> ReplayNotes:
    """What the replay could not do as the ledger did, for HR to weigh."""
    streak_ids = sorted(r.id for r in rule_set.rules if isinstance(r.award, MultiplierAward)
                        and r.streak is not None)
    qualified = {rule_id for found in history.streaks.values() for rule_id, _ in found}
    return ReplayNotes(
        skipped_voided=replay.stats.skipped_voided, unreadable=replay.stats.unreadable,
        confirmer_points_clamped=replay.stats.confirmer_points_clamped,
        unscorable=replay.stats.unscorable, reversed_by_hand=history.reversed_by_hand,
        streak_rules_without_qualifications=[r for r in streak_ids if r not in qualified])


async def _rule_names(session: AsyncSession, rule_set: RuleSet, *,
                      at: datetime) -> dict[str, tuple[str, str]]:
    """Rule id -> (name, category): the draft's, else the rules in force at the
    window's end (for rules the draft dropped)."""
    names: dict[str, tuple[str, str]] = {}
    in_force = await rule_sets.active_rule_set(session, at=at - timedelta(microseconds=1))
    for source in (in_force, rule_set):
        if source is not None:
            names.update({r.id: (r.name, r.category) for r in source.rules})
    return names


async def _milestones(session: AsyncSession, compared: dict[str, Comparison], *,
                      tz: tzinfo) -> MilestoneChanges:
    """For employees whose points change: whose position and certification points
    bars the draft would make them meet, or miss."""
    requirements: list[tuple[str, Requirement]] = [
        ("position", r) for r in await milestone_repo.active_positions(session)]
    requirements += [("certification", r)
                     for r in await milestone_repo.active_certifications(session)]
    changes = MilestoneChanges(requirements)
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
