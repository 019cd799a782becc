"""The rule what-if: replay a rule-set version over a window of past events, compare
with what the ledger holds, and, once HR has reviewed it, pay the difference as
adjustment entries exactly once.

A simulation runs in the background of the replica that accepted it (HR polls its
progress) inside one REPEATABLE READ snapshot, so the events and the ledger it
compares are read at the same instant however many events arrive meanwhile
(``running``). Nothing is written but the simulation's own rows until HR applies it
(``applying``). A simulation whose replica stopped while it ran is reported failed
once its heartbeat is older than ``status.STALE_AFTER``.
"""

from __future__ import annotations

import asyncio
import builtins
import uuid
from datetime import UTC, datetime, tzinfo
from typing import Any

from fastapi import FastAPI
from sqlalchemy import String, any_, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.points_api.db import employee_copy
from services.points_api.mix.errors import DepartmentNotFound
from services.points_api.mix.repository import department_known
from services.points_api.models import RuleSetRecord
from services.points_api.rules.errors import RuleSetInvalid
from services.points_api.rules.service import rule_sets
from services.points_api.whatif import repository as repo
from services.points_api.whatif.applying import apply_difference
from services.points_api.whatif.errors import SimulationNotFound
from services.points_api.whatif.running import SimulationRunner
from services.points_api.whatif.schemas import (
    EmployeeComparison,
    Simulation,
    SimulationApply,
    SimulationCreate,
)
from services.points_api.whatif.status import simulation_out
from services.points_api.whatif.window import simulation_window
from shared.errors import FieldError
from shared.pagination import (
    bigint_key,
    datetime_key,
    decode_keyset,
    encode_cursor,
    text_key,
    uuid_key,
)


class WhatIfService:
    def __init__(self) -> None:
        self._running: set[asyncio.Task[None]] = set()
        self._runner = SimulationRunner()

    async def start(self, app: FastAPI, version: int, data: SimulationCreate, *,
                    actor: str, tz: tzinfo) -> Simulation:
        """Record the simulation, then run it in the background; answers at once."""
        start, end = simulation_window(data, tz)
        sessionmaker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
        async with sessionmaker() as session, session.begin():
            rules = await _simulable_rules(session, version, data.department)
            row = await repo.insert_simulation(session, {
                "id": uuid.uuid4(), "rule_set_version": version, "rules": rules,
                "window_from": start, "window_to": end, "department_code": data.department,
                "created_by": actor})
        task = asyncio.create_task(self._runner.run(sessionmaker, row.id, tz=tz),
                                   name=f"simulation-{row.id}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return simulation_out(row, now=datetime.now(UTC))

    async def get(self, session: AsyncSession, simulation_id: uuid.UUID) -> Simulation:
        row = await repo.get_simulation(session, simulation_id)
        if row is None:
            raise SimulationNotFound(f"No simulation {simulation_id}")
        return simulation_out(row, now=datetime.now(UTC))

    async def list(self, session: AsyncSession, *, cursor: str | None,
                   limit: int) -> tuple[list[Simulation], str | None]:
        after = decode_keyset(cursor, datetime_key, uuid_key)
        rows = await repo.list_simulations(session, after=after, limit=limit + 1)
        now = datetime.now(UTC)
        items = [simulation_out(r, now=now) for r in rows[:limit]]
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
        names = await _names(session, [r.employee_no for r in page])
        items = [_comparison_out(r, names.get(r.employee_no)) for r in page]
        next_cursor = None
        if limit is not None and len(rows) > limit:
            tail = page[-1]
            next_cursor = encode_cursor([tail.employee_no] if order == "employee_no"
                                        else [tail.difference, tail.employee_no])
        return items, next_cursor

    async def apply(self, session: AsyncSession, simulation_id: uuid.UUID,
                    data: SimulationApply, *, actor: str, tz: tzinfo) -> Simulation:
        """Pay the difference once (``applying.apply_difference``), then the
        simulation as it now stands."""
        await apply_difference(session, simulation_id, data, actor=actor, tz=tz)
        return await self.get(session, simulation_id)


async def _simulable_rules(session: AsyncSession, version: int,
                           department: str | None) -> list[dict[str, Any]]:
    """The rules of ``version`` (404 when unknown), refused when they have problems or
    the department has no employee: a simulation of them would explain nothing."""
    validation = await rule_sets.validate(session, version)
    if not validation.valid:
        raise RuleSetInvalid(
            f"Rule set version {version} has {len(validation.problems)} problem(s); "
            "fix them to simulate it", errors=[
                FieldError(pointer=p.pointer, detail=p.detail) for p in validation.problems])
    if department is not None and not await department_known(session, department):
        raise DepartmentNotFound(f"No employee is in department {department!r}", errors=[
            FieldError(pointer="#/department", detail="no such department")])
    record = await session.get(RuleSetRecord, version)
    assert record is not None
    return record.rules


async def _names(session: AsyncSession, employee_nos: builtins.list[str]) -> dict[str, str]:
    rows = await session.execute(select(employee_copy.c.employee_no, employee_copy.c.name)
                                 .where(employee_copy.c.employee_no == any_(
                                     literal(employee_nos, ARRAY(String)))))
    return dict(rows.all())


def _comparison_out(row: Any, name: str | None) -> EmployeeComparison:
    return EmployeeComparison(
        employee_no=row.employee_no, name=name, events=row.events,
        actual_points=row.actual_points, simulated_points=row.simulated_points,
        difference=row.difference, actual_by_category=row.actual_by_category,
        simulated_by_category=row.simulated_by_category,
        milestones_gained=list(row.milestones_gained),
        milestones_lost=list(row.milestones_lost))


what_if = WhatIfService()
