"""Queries on department figures and pilot start dates."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Boolean, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.kpis.models import DepartmentKpi, PilotPhase
from services.training_api.models import Department

KPI_FIELDS = ("defect_rate", "skill_defect_share", "efficiency")


async def upsert_kpis(session: AsyncSession, rows: list[dict[str, Any]]) -> list[bool]:
    """Insert or replace figures; returns, per row, whether it was inserted."""
    inserted: list[bool] = []
    for start in range(0, len(rows), 2000):
        new = insert(DepartmentKpi).values(rows[start:start + 2000])
        stmt = new.on_conflict_do_update(
            index_elements=[DepartmentKpi.department_id, DepartmentKpi.month],
            set_={**{f: getattr(new.excluded, f) for f in KPI_FIELDS},
                  "source": new.excluded.source, "updated_by": new.excluded.updated_by,
                  "updated_at": func.now()},
        ).returning(literal_column("xmax = 0", Boolean))
        inserted.extend(bool(v) for v in (await session.execute(stmt)).scalars())
    return inserted


async def get_kpi(session: AsyncSession, department_id: int,
                  month: date) -> DepartmentKpi | None:
    return (await session.execute(select(DepartmentKpi).where(
        DepartmentKpi.department_id == department_id,
        DepartmentKpi.month == month))).scalar_one_or_none()


async def kpis_between(session: AsyncSession, department_id: int, first: date,
                       last: date) -> list[DepartmentKpi]:
    return list((await session.execute(select(DepartmentKpi).where(
        DepartmentKpi.department_id == department_id, DepartmentKpi.month >= first,
        DepartmentKpi.month <= last).order_by(DepartmentKpi.month))).scalars())


async def existing_months(session: AsyncSession, keys: list[tuple[int, date]]) -> set[
        tuple[int, date]]:
    if not keys:
        return set()
    rows = await session.execute(select(DepartmentKpi.department_id, DepartmentKpi.month).where(
        func.row(DepartmentKpi.department_id, DepartmentKpi.month).in_(
            [func.row(d, m) for d, m in keys])))
    return set(rows.tuples().all())


async def department_ids(session: AsyncSession) -> dict[str, int]:
    return dict((await session.execute(select(Department.code, Department.id))).tuples().all())


async def upsert_pilot(session: AsyncSession, values: dict[str, Any]) -> None:
    stmt = insert(PilotPhase).values(values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[PilotPhase.department_id],
        set_={"started_on": stmt.excluded.started_on, "note": stmt.excluded.note,
              "updated_by": stmt.excluded.updated_by, "updated_at": func.now()}))


async def get_pilot(session: AsyncSession, department_id: int) -> PilotPhase | None:
    return (await session.execute(select(PilotPhase).where(
        PilotPhase.department_id == department_id).execution_options(
        populate_existing=True))).scalar_one_or_none()


async def nearest_pilot_start(session: AsyncSession, path: str) -> date | None:
    """The pilot start of the department or of its nearest ancestor."""
    codes = [c for c in path.split("/") if c]
    rows = await session.execute(
        select(Department.code, PilotPhase.started_on)
        .join(PilotPhase, PilotPhase.department_id == Department.id)
        .where(Department.code.in_(codes)))
    found = dict(rows.tuples().all())
    return next((found[c] for c in reversed(codes) if c in found), None)
