"""Queries of history imports."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    BindParameter,
    RowMapping,
    String,
    and_,
    any_,
    func,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.courses.models import Course, Exam
from services.training_api.db import jobs, kit_tables
from services.training_api.facts.models import TrainingFact
from services.training_api.facts.repository import EmployeeRef
from services.training_api.history.models import (
    HistoryImportEmployee,
    HistoryOpeningBalance,
    HistoryRecord,
    HistoryRejectedRow,
)
from services.training_api.models import Department, Employee, JobRole, Skill
from shared.jobs import JobStatus

JOB_KIND = "history_import"
_job = jobs
_outbox = kit_tables.outbox


def _texts(values: list[str]) -> BindParameter[list[str]]:
    return literal(values, ARRAY(String))


async def employee_refs(session: AsyncSession, nos: list[str]) -> dict[str, EmployeeRef]:
    rows = await session.execute(
        select(Employee.employee_no, Employee.name, Employee.status, Department.path,
               JobRole.id, JobRole.code)
        .join(Department, Department.id == Employee.department_id)
        .join(JobRole, JobRole.id == Employee.job_role_id)
        .where(Employee.employee_no == any_(_texts(nos))))
    return {row[0]: EmployeeRef(*row) for row in rows.all()}


async def catalogue(session: AsyncSession) -> tuple[dict[str, Any], set[str], set[str]]:
    """(course code -> class hours, exam codes, skill codes)."""
    courses = dict((await session.execute(select(Course.code, Course.class_hours))).all())
    exams = set((await session.execute(select(Exam.code))).scalars())
    skills = set((await session.execute(select(Skill.code))).scalars())
    return courses, exams, skills


async def records_for_update(session: AsyncSession, legacy_ids: list[str]
                             ) -> dict[str, HistoryRecord]:
    rows = await session.execute(
        select(HistoryRecord).where(HistoryRecord.legacy_id == any_(_texts(legacy_ids)))
        .order_by(HistoryRecord.legacy_id).with_for_update())
    return {r.legacy_id: r for r in rows.scalars()}


async def records(session: AsyncSession, legacy_ids: list[str]) -> dict[str, HistoryRecord]:
    rows = await session.execute(
        select(HistoryRecord).where(HistoryRecord.legacy_id == any_(_texts(legacy_ids))))
    return {r.legacy_id: r for r in rows.scalars()}


async def pending_records(session: AsyncSession, legacy_ids: list[str], *,
                          limit: int) -> list[HistoryRecord]:
    """Changed records among ``legacy_ids`` still waiting for their new fact."""
    rows = await session.execute(
        select(HistoryRecord).where(HistoryRecord.fact_pending,
                                    HistoryRecord.legacy_id == any_(_texts(legacy_ids)))
        .order_by(HistoryRecord.occurred_at, HistoryRecord.legacy_id).limit(limit)
        .with_for_update(skip_locked=True))
    return list(rows.scalars())


async def fact_voided(session: AsyncSession, fact_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not fact_ids:
        return set()
    rows = await session.execute(select(TrainingFact.id).where(
        TrainingFact.id.in_(fact_ids), TrainingFact.voided_at.is_not(None)))
    return set(rows.scalars())


async def upsert_records(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    stmt = insert(HistoryRecord)
    changing = ("kind", "mode", "employee_no", "occurred_at", "fact_id", "fact_hash",
                "fact_pending", "legacy_points", "category", "import_id", "line")
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[HistoryRecord.legacy_id],
        set_={**{c: stmt.excluded[c] for c in changing}, "updated_at": func.now()}), rows)


async def add_rejections(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(HistoryRejectedRow), rows)


async def opening_differences(session: AsyncSession, limit: int) -> list[Any]:
    """(employee, category, target, posted, cut-over posted) where the opening balance
    the records imply differs from what was posted to points_api."""
    f = TrainingFact
    targets = (select(HistoryRecord.employee_no, HistoryRecord.category,
                      func.sum(func.coalesce(HistoryRecord.legacy_points, 0)).label("target"))
               .join(f, f.id == HistoryRecord.fact_id)
               .where(HistoryRecord.mode == "opening", f.voided_at.is_(None))
               .group_by(HistoryRecord.employee_no, HistoryRecord.category).subquery())
    b = HistoryOpeningBalance
    employee = func.coalesce(targets.c.employee_no, b.employee_no)
    category = func.coalesce(targets.c.category, b.category)
    target = func.coalesce(targets.c.target, 0)
    posted = func.coalesce(b.points, 0)
    rows = await session.execute(
        select(employee, category, target, posted, b.cut_over_on)
        .select_from(targets.join(b, and_(b.employee_no == targets.c.employee_no,
                                          b.category == targets.c.category), full=True))
        .where(target != posted).order_by(employee, category).limit(limit))
    return list(rows.all())


async def set_opening(session: AsyncSession, *, employee_no: str, category: str, points: int,
                      cut_over_on: str) -> None:
    stmt = insert(HistoryOpeningBalance).values(employee_no=employee_no, category=category,
                                                points=points, cut_over_on=cut_over_on)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[HistoryOpeningBalance.employee_no, HistoryOpeningBalance.category],
        set_={"points": points, "cut_over_on": cut_over_on, "updated_at": func.now()}))


async def events_pending(session: AsyncSession, first: int, last: int) -> tuple[int, int]:
    """(undelivered, dead-lettered) events to points_api among outbox rows first..last."""
    o = _outbox.c
    row = (await session.execute(
        select(func.count().filter(and_(o.delivered_at.is_(None), o.dead_at.is_(None))),
               func.count().filter(o.dead_at.is_not(None)))
        .where(o.id.between(first, last), o.destination == "points"))).one()
    return int(row[0]), int(row[1])


async def opening_targets(session: AsyncSession, employee_nos: list[str]
                          ) -> list[tuple[str, str, int]]:
    f = TrainingFact
    rows = await session.execute(
        select(HistoryRecord.employee_no, HistoryRecord.category,
               func.sum(func.coalesce(HistoryRecord.legacy_points, 0)))
        .join(f, f.id == HistoryRecord.fact_id)
        .where(HistoryRecord.mode == "opening", f.voided_at.is_(None),
               HistoryRecord.employee_no == any_(_texts(employee_nos)))
        .group_by(HistoryRecord.employee_no, HistoryRecord.category))
    return [(no, c, int(p)) for no, c, p in rows.all()]


async def employee_names(session: AsyncSession, nos: list[str]) -> dict[str, str]:
    rows = await session.execute(select(Employee.employee_no, Employee.name)
                                 .where(Employee.employee_no == any_(_texts(nos))))
    return dict(rows.all())


async def add_reconciliation(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(HistoryImportEmployee).on_conflict_do_nothing(), rows)


async def get_job(session: AsyncSession, job_id: uuid.UUID) -> RowMapping | None:
    return (await session.execute(
        select(*[c for c in _job.c if c.name != "input"])
        .where(_job.c.id == job_id, _job.c.kind == JOB_KIND))).mappings().one_or_none()


async def fail_job(session: AsyncSession, job_id: uuid.UUID, error: str) -> None:
    """A job that ends before it starts (its file cannot be read): nobody will run it."""
    await session.execute(update(_job).where(_job.c.id == job_id).values(
        status=JobStatus.FAILED, error=error, finished_at=func.now()))


async def list_jobs(session: AsyncSession, *, after: tuple[Any, Any] | None,
                    limit: int) -> list[RowMapping]:
    stmt = (select(*[c for c in _job.c if c.name != "input"]).where(_job.c.kind == JOB_KIND)
            .order_by(_job.c.created_at.desc(), _job.c.id.desc()).limit(limit))
    if after is not None:
        stmt = stmt.where(or_(_job.c.created_at < after[0],
                              and_(_job.c.created_at == after[0], _job.c.id < after[1])))
    return list((await session.execute(stmt)).mappings().all())


async def rejected_rows(session: AsyncSession, job_id: uuid.UUID, *,
                        after: tuple[int, int] | None,
                        limit: int | None) -> list[HistoryRejectedRow]:
    """In file order (a row's problems in the order found)."""
    r = HistoryRejectedRow
    stmt = select(r).where(r.import_id == job_id).order_by(r.line, r.id)
    if after is not None:
        stmt = stmt.where(tuple_(r.line, r.id) > tuple_(*after))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.execute(stmt)).scalars())


async def reconciliation(session: AsyncSession, job_id: uuid.UUID, *, after: str | None,
                         limit: int | None) -> list[tuple[HistoryImportEmployee, str | None]]:
    r = HistoryImportEmployee
    stmt = (select(r, Employee.name).outerjoin(Employee, Employee.employee_no == r.employee_no)
            .where(r.import_id == job_id).order_by(r.employee_no))
    if after is not None:
        stmt = stmt.where(r.employee_no > after)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(row, name) for row, name in (await session.execute(stmt)).all()]


async def count_differences(session: AsyncSession, job_id: uuid.UUID) -> int:
    r = HistoryImportEmployee
    return int((await session.execute(
        select(func.count()).where(r.import_id == job_id, r.legacy_points.is_not(None),
                                   r.jifen_points.is_not(None),
                                   r.legacy_points != r.jifen_points))).scalar_one())


async def clear_input(session: AsyncSession, job_id: uuid.UUID) -> None:
    """The uploaded file is kept until the job has used it up (a resumed job reads it
    again), then dropped: the records, rejections and reconciliation remain."""
    await session.execute(update(_job).where(_job.c.id == job_id).values(input=None))
