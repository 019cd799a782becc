"""Queries of the rule what-if: the window's events in the order they were applied,
the ledger history around them, what they actually earned, and the simulations."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    cast,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import CTE

from services.points_api.db import employee_copy
from services.points_api.incentives.models import StreakQualification
from services.points_api.models import Account, LedgerEntry, PeriodTotal, VoidedFact
from services.points_api.rules.history import BEFORE_LOG, PriorEntry
from services.points_api.whatif.models import (
    RuleSimulation,
    RuleSimulationEmployee,
    TrainingEventLog,
)
from services.points_api.whatif.replay import LoggedEvent
from shared.contracts.training_events import FACT_VOIDED

_log = TrainingEventLog.__table__
_entry = LedgerEntry.__table__
_voided = VoidedFact.__table__
_sim = RuleSimulation.__table__
_sim_employee = RuleSimulationEmployee.__table__
_streak = StreakQualification.__table__
_period = PeriodTotal.__table__
_account = Account.__table__
# the longest cap period is a month: history this far around the window is enough
CAP_MARGIN = timedelta(days=32)
_EVENT_COLUMNS = ("seq", "event_id", "event_type", "employee_no", "fact_id", "occurred_at",
                  "payload", "employee", "recorded_at")


def window_events(start: datetime, end: datetime, department: str | None) -> CTE:
    """The training facts that occurred in [start, end), of the department's subtree
    (as the employee copy places employees now) or of everyone."""
    stmt = select(*[_log.c[name] for name in _EVENT_COLUMNS]).where(
        _log.c.occurred_at >= start, _log.c.occurred_at < end,
        _log.c.event_type != FACT_VOIDED)
    if department is not None:
        stmt = stmt.where(_log.c.employee_no.in_(select(employee_copy.c.employee_no).where(
            or_(employee_copy.c.department_path.contains([department]),
                employee_copy.c.department_code == department))))
    return stmt.cte("window_events")


async def count_events(session: AsyncSession, window: CTE) -> int:
    return int((await session.execute(select(func.count()).select_from(window))).scalar_one())


async def stream_events(session: AsyncSession, window: CTE, *,
                        batch: int = 5000) -> AsyncIterator[list[LoggedEvent]]:
    """The window's events and the void events of their facts, in applied order."""
    voids = (select(*[_log.c[name] for name in _EVENT_COLUMNS])
             .join(_voided, _voided.c.source_event_id == _log.c.event_id)
             .where(_voided.c.fact_id.in_(select(window.c.fact_id))))
    stmt = union_all(select(window), voids).order_by("seq")
    result = await session.stream(stmt.execution_options(yield_per=batch))
    async for rows in result.partitions(batch):
        yield [LoggedEvent(*row) for row in rows]


async def voids_before_log(session: AsyncSession, window: CTE) -> list[LoggedEvent]:
    """Voids of the window's facts applied before the event log began (so before any
    logged event), as void events at the log's start."""
    stmt = (select(_voided.c.fact_id, _voided.c.employee_no, _voided.c.source_event_id,
                   _voided.c.voided_at)
            .where(_voided.c.fact_id.in_(select(window.c.fact_id)),
                   ~exists().where(_log.c.event_id == _voided.c.source_event_id)))
    return [LoggedEvent(seq=BEFORE_LOG, event_id=event_id, event_type=FACT_VOIDED,
                        employee_no=employee_no, fact_id=fact_id, occurred_at=voided_at,
                        payload={"voided_fact_id": fact_id}, employee=None)
            for fact_id, employee_no, event_id, voided_at in (await session.execute(stmt)).all()]


async def reversed_by_hand(session: AsyncSession, window: CTE) -> int:
    """Earnings of the window's events that HR reversed by hand (not replayed)."""
    e, r = _entry.alias("e"), _entry.alias("r")
    stmt = (select(func.count())
            .select_from(window.join(e, and_(e.c.source_event_id == window.c.event_id,
                                             e.c.kind == "earn"))
                         .join(r, and_(r.c.reverses_entry_id == e.c.id,
                                       r.c.source_event_id.is_(None)))))
    return int((await session.execute(stmt)).scalar_one())


async def prior_entries(session: AsyncSession, window: CTE, *, start: datetime, end: datetime,
                        capped_rule_ids: Iterable[str]) -> dict[str, list[PriorEntry]]:
    """Per employee of the window, the ledger entries of facts outside it that the replay's
    caps (earnings of capped rules around the window) and best-result top-ups (entries with
    a dedupe key) depend on, each with the log positions of its writing and reversing
    events."""
    capped = sorted(set(capped_rule_ids))
    e = _entry.alias("e")
    reversal = _entry.alias("r")
    written, reversed_by = _log.alias("written"), _log.alias("reversed_by")
    wanted: list[ColumnElement[bool]] = [e.c.dedupe_key.is_not(None)]
    if capped:
        wanted.append(and_(e.c.kind == "earn", e.c.rule_id.in_(capped),
                           e.c.occurred_at >= start - CAP_MARGIN,
                           e.c.occurred_at < end + CAP_MARGIN))
    outside = ~exists().where(window.c.fact_id == e.c.source_fact_id)
    # an earning of a simulated fact written before the event log began (the fact was
    # sent again since): history like the others, and the rule has paid the fact
    before_log = and_(e.c.kind == "earn", written.c.seq.is_(None))
    stmt = (select(e.c.employee_no, e.c.kind, e.c.rule_id, e.c.amount, e.c.qualifying_amount,
                   e.c.occurred_at, e.c.dedupe_key, written.c.seq,
                   reversal.c.id.is_not(None), reversed_by.c.seq, e.c.source_fact_id)
            .select_from(e.outerjoin(written, written.c.event_id == e.c.source_event_id)
                         .outerjoin(reversal, and_(reversal.c.reverses_entry_id == e.c.id,
                                                   e.c.kind == "earn"))
                         .outerjoin(reversed_by,
                                    reversed_by.c.event_id == reversal.c.source_event_id))
            .where(e.c.employee_no.in_(select(window.c.employee_no).distinct()),
                   e.c.kind.in_(("earn", "reverse")), or_(*wanted),
                   or_(outside, before_log)))
    out: dict[str, list[PriorEntry]] = defaultdict(list)
    for (employee_no, kind, rule_id, amount, qualifying, occurred_at, key, seq, is_reversed,
         reversed_seq, fact_id) in (await session.execute(stmt)).all():
        if is_reversed and reversed_seq is None:
            reversed_seq = BEFORE_LOG  # reversed by hand: taken as never standing
        out[employee_no].append(PriorEntry(
            kind=kind, rule_id=rule_id, amount=int(amount), qualifying_amount=int(qualifying),
            occurred_at=occurred_at, dedupe_key=key,
            seq=BEFORE_LOG if seq is None else int(seq),
            reversed_seq=None if reversed_seq is None else int(reversed_seq),
            fact_id=fact_id))
    return out


async def streak_qualifications(session: AsyncSession, window: CTE, months: list[str],
                                ) -> dict[tuple[str, str], list[tuple[str, datetime]]]:
    """(employee, month) -> the streak rules they qualified for then, and since when."""
    stmt = select(_streak.c.employee_no, _streak.c.month, _streak.c.rule_id,
                  _streak.c.qualified_at).where(
        _streak.c.month.in_(months),
        _streak.c.employee_no.in_(select(window.c.employee_no).distinct()))
    found: dict[tuple[str, str], list[tuple[str, datetime]]] = defaultdict(list)
    for employee_no, month, rule_id, qualified_at in (await session.execute(stmt)).all():
        found[(employee_no, month)].append((rule_id, qualified_at))
    return dict(found)


def _month_of(column: ColumnElement[datetime], tz: tzinfo) -> ColumnElement[str]:
    return func.to_char(func.timezone(str(tz), column), literal('"M"YYYY-MM'))


async def actual_points(session: AsyncSession, window: CTE, *, tz: tzinfo,
                        ) -> list[tuple[str, str, str, str, int]]:
    """What the window's events earned: per (employee, category, rule, month), their earn
    entries net of the reversals their facts' voids made (HR's own reversals and
    adjustments are not the rules' doing and stay out)."""
    e, r = _entry.alias("e"), _entry.alias("r")
    net = e.c.qualifying_amount + func.coalesce(r.c.qualifying_amount, 0)
    month = _month_of(e.c.occurred_at, tz)
    stmt = (select(e.c.employee_no, e.c.category, e.c.rule_id, month,
                   cast(func.sum(net), BigInteger))
            .select_from(window.join(e, and_(e.c.source_event_id == window.c.event_id,
                                             e.c.kind == "earn"))
                         .outerjoin(r, and_(r.c.reverses_entry_id == e.c.id,
                                            r.c.source_event_id.is_not(None))))
            .group_by(e.c.employee_no, e.c.category, e.c.rule_id, month))
    return [(row[0], row[1], row[2], row[3], int(row[4]))
            for row in (await session.execute(stmt)).all()]


async def standing_points(session: AsyncSession, employee_nos: list[str],
                          months: list[str]) -> dict[str, tuple[int, dict[str, int]]]:
    """Lifetime qualifying points and the given months' points of each employee."""
    out: dict[str, tuple[int, dict[str, int]]] = {}
    for chunk in _chunks(employee_nos, 5000):
        lifetime = dict((await session.execute(select(
            _account.c.employee_no, _account.c.qualifying).where(
                _account.c.employee_no.in_(chunk)))).all())
        months_of: dict[str, dict[str, int]] = defaultdict(dict)
        if months:
            rows = await session.execute(select(
                _period.c.employee_no, _period.c.period, _period.c.points).where(
                    _period.c.employee_no.in_(chunk), _period.c.period.in_(months)))
            for employee_no, period, points in rows.all():
                months_of[employee_no][period] = int(points)
        for employee_no in chunk:
            out[employee_no] = (int(lifetime.get(employee_no, 0)), months_of[employee_no])
    return out


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for index in range(0, len(items), size):
        yield items[index:index + size]


# -- simulations -----------------------------------------------------------------------------


async def insert_simulation(session: AsyncSession, values: dict[str, Any]) -> RuleSimulation:
    return (await session.scalars(insert(RuleSimulation).values(**values)
                                  .returning(RuleSimulation))).one()


async def get_simulation(session: AsyncSession, simulation_id: uuid.UUID, *,
                         lock: bool = False) -> RuleSimulation | None:
    stmt = select(RuleSimulation).where(RuleSimulation.id == simulation_id)
    if lock:
        stmt = stmt.with_for_update()
    # a simulation changes through plain UPDATEs: what the session holds may be stale
    return (await session.scalars(stmt, execution_options={"populate_existing": True})
            ).one_or_none()


async def update_simulation(session: AsyncSession, simulation_id: uuid.UUID,
                            **values: Any) -> None:
    await session.execute(update(_sim).where(_sim.c.id == simulation_id).values(**values))


async def list_simulations(session: AsyncSession, *, after: tuple[datetime, uuid.UUID] | None,
                           limit: int) -> list[RuleSimulation]:
    stmt = (select(RuleSimulation)
            .order_by(RuleSimulation.created_at.desc(), RuleSimulation.id.desc()).limit(limit))
    if after is not None:
        stmt = stmt.where(tuple_(RuleSimulation.created_at, RuleSimulation.id) < tuple_(*after))
    return list((await session.scalars(stmt)).all())


_RESULT_COLUMNS = ("simulation_id", "employee_no", "events", "actual_points", "simulated_points",
                   "difference", "actual_by_category", "simulated_by_category",
                   "milestones_gained", "milestones_lost")


async def insert_employee_results(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """COPY: a simulation of the whole plant writes a row for each of its employees."""
    connection = await (await session.connection()).get_raw_connection()
    records = [tuple(json.dumps(row[c]) if c.endswith("_by_category") else row[c]
                     for c in _RESULT_COLUMNS) for row in rows]
    await connection.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        _sim_employee.name, records=records, columns=list(_RESULT_COLUMNS))


def employee_results(simulation_id: uuid.UUID, *, order: str, changed_only: bool,
                     milestones_only: bool) -> Select[Any]:
    stmt = select(_sim_employee).where(_sim_employee.c.simulation_id == simulation_id)
    if changed_only:
        stmt = stmt.where(_sim_employee.c.actual_by_category.is_distinct_from(
            _sim_employee.c.simulated_by_category))
    if milestones_only:
        stmt = stmt.where(or_(func.cardinality(_sim_employee.c.milestones_gained) > 0,
                              func.cardinality(_sim_employee.c.milestones_lost) > 0))
    c = _sim_employee.c
    if order == "gain":
        return stmt.order_by(c.difference.desc(), c.employee_no)
    if order == "loss":
        return stmt.order_by(c.difference, c.employee_no)
    return stmt.order_by(c.employee_no)


def after_position(stmt: Select[Any], *, order: str,
                   last: tuple[str] | tuple[int, str]) -> Select[Any]:
    c = _sim_employee.c
    if order == "gain" and len(last) == 2:
        difference, employee_no = last
        return stmt.where(or_(c.difference < difference,
                              and_(c.difference == difference, c.employee_no > employee_no)))
    if order == "loss":
        return stmt.where(tuple_(c.difference, c.employee_no) > tuple_(*last))
    return stmt.where(c.employee_no > last[0])


async def applied_overlaps(session: AsyncSession, sim: Any) -> list[uuid.UUID]:
    """Applied simulations whose window overlaps ``sim``'s and that paid a difference to
    an employee ``sim`` would pay again."""
    other, mine = _sim.alias("other"), _sim_employee.alias("mine")
    theirs = _sim_employee.alias("theirs")
    changed = [mine.c.actual_by_category.is_distinct_from(mine.c.simulated_by_category),
               theirs.c.actual_by_category.is_distinct_from(theirs.c.simulated_by_category)]
    stmt = (select(other.c.id).distinct()
            .select_from(other.join(theirs, theirs.c.simulation_id == other.c.id)
                         .join(mine, and_(mine.c.simulation_id == sim.id,
                                          mine.c.employee_no == theirs.c.employee_no)))
            .where(other.c.id != sim.id, other.c.applied_at.is_not(None),
                   other.c.window_from < sim.window_to, other.c.window_to > sim.window_from,
                   *changed))
    return list((await session.execute(stmt)).scalars())


async def changed_employees(session: AsyncSession, simulation_id: uuid.UUID) -> list[Any]:
    """Employees whose points or split between categories the simulation changes."""
    c = _sim_employee.c
    stmt = (select(_sim_employee).where(
        c.simulation_id == simulation_id,
        c.actual_by_category.is_distinct_from(c.simulated_by_category))
            .order_by(c.employee_no))
    return list((await session.execute(stmt)).all())
