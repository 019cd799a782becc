"""Queries of the early warning: the history the indicators are computed from, runs,
their rankings, the audit trail of reads and the weekly digests."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.attrition.models import (
    AttritionDigest,
    AttritionRead,
    AttritionRun,
    AttritionScore,
    RunStatus,
)
from services.training_api.facts.models import ExamAttempt, PracticalAssessment, TrainingFact
from services.training_api.models import Department, Employee
from services.training_api.plans import repository as plans_repo
from services.training_api.plans.models import TrainingPlan
from services.training_api.reports.scope import ReportScope, population
from services.training_api.surveys.models import (
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)

# single-choice questions read as "willing to continue?": answered "no" = not willing
WILLING_CODES = ("continue", "willingness")


def _day(column: ColumnElement[datetime], tz: str) -> ColumnElement[date]:
    return func.date(func.timezone(tz, column))


# The history is read as plain rows: the risk run turns them into tables in a worker
# process, so that neither the numeric libraries nor the model hold up the service.

async def employees(session: AsyncSession) -> list[tuple[Any, ...]]:
    """(employee_no, department_code, department_path, hired_on, left_on, status)."""
    rows = await session.execute(
        select(Employee.employee_no, Department.code, Department.path, Employee.hired_on,
               Employee.left_on, Employee.status)
        .join(Department, Department.id == Employee.department_id))
    return [tuple(row) for row in rows.all()]


async def records(session: AsyncSession, *, since: datetime,
                  tz: str) -> list[tuple[Any, ...]]:
    """(employee_no, day, failed) of the standing training records of every kind;
    failed = a failed exam attempt or practical assessment."""
    fact = TrainingFact.__table__
    exam, practical = ExamAttempt.__table__, PracticalAssessment.__table__
    failed = func.coalesce(or_(exam.c.passed.is_(False), practical.c.passed.is_(False)), False)
    rows = await session.execute(
        select(fact.c.employee_no, _day(fact.c.occurred_at, tz), failed)
        .select_from(fact.outerjoin(exam, exam.c.id == fact.c.id)
                     .outerjoin(practical, practical.c.id == fact.c.id))
        .where(fact.c.voided_at.is_(None), fact.c.occurred_at >= since))
    return [tuple(row) for row in rows.all()]


async def answers(session: AsyncSession, *, since: datetime,
                  tz: str) -> list[tuple[Any, ...]]:
    """Per response to a satisfaction survey: (employee_no, day, mean of its scale
    answers or None, 1.0 willing to go on / 0.0 not / None not asked)."""
    r, a, q = SurveyResponse.__table__, SurveyAnswer.__table__, SurveyQuestion.__table__
    willing = func.max(func.coalesce(a.c.choice, "")).filter(q.c.code.in_(WILLING_CODES),
                                                              q.c.kind == "single_choice")
    rows = await session.execute(
        select(r.c.employee_no, _day(r.c.answered_at, tz),
               func.avg(a.c.scale).filter(q.c.kind == "scale"), willing)
        .select_from(r.join(Survey, Survey.id == r.c.survey_id)
                     .join(a, a.c.response_id == r.c.id)
                     .join(q, q.c.id == a.c.question_id))
        .where(Survey.kind == "satisfaction", r.c.answered_at >= since)
        .group_by(r.c.id, r.c.employee_no, r.c.answered_at))
    return [(no, day, None if mean is None else float(mean),
             None if not choice else (0.0 if str(choice).lower() in ("no", "否") else 1.0))
            for no, day, mean, choice in rows.all()]


async def plan_items(session: AsyncSession, *, since: date,
                     tz: Any) -> list[tuple[Any, ...]]:
    """(employee_no, due_on, finished_on or None) of the assignments of the plans due
    since ``since``, leavers included."""
    plans = list((await session.execute(select(TrainingPlan).where(
        TrainingPlan.due_on >= since))).scalars())
    targets = await plans_repo.targets(session, plans, tz)
    pop = population(ReportScope(), include_left=True)
    rows = await plans_repo.assignment_finishes(session, pop, targets)
    return [(no, due, None if finished is None else finished.astimezone(tz).date())
            for no, due, finished in rows]


async def give_memory(session: AsyncSession) -> None:
    """The history is read in a few large sorted scans: keep them off the disk."""
    await session.execute(text("SET LOCAL work_mem = '64MB'"))


async def lock_runs(session: AsyncSession) -> None:
    """Until the transaction ends, nobody else starts a run (on any replica)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('attrition:runs'))"))


async def running(session: AsyncSession, *, since: datetime) -> AttritionRun | None:
    """A run still running with a heartbeat after ``since``."""
    stmt = select(AttritionRun).where(AttritionRun.status == RunStatus.RUNNING,
                                      AttritionRun.heartbeat_at >= since).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_run(session: AsyncSession, **values: Any) -> AttritionRun:
    run = AttritionRun(**values)
    session.add(run)
    await session.flush()
    await session.refresh(run)
    return run


async def update_run(session: AsyncSession, run_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(AttritionRun).where(AttritionRun.id == run_id).values(**values))


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> AttritionRun | None:
    return await session.get(AttritionRun, run_id)


async def latest_done(session: AsyncSession) -> AttritionRun | None:
    stmt = (select(AttritionRun).where(AttritionRun.status == RunStatus.DONE)
            .order_by(AttritionRun.finished_at.desc()).limit(1))
    return (await session.execute(stmt)).scalar_one_or_none()


async def runs_page(session: AsyncSession, *, before: datetime | None,
                    limit: int) -> list[AttritionRun]:
    stmt = select(AttritionRun).order_by(AttritionRun.started_at.desc()).limit(limit)
    if before is not None:
        stmt = stmt.where(AttritionRun.started_at < before)
    return list((await session.execute(stmt)).scalars())


async def insert_scores(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 2000):
        await session.execute(insert(AttritionScore), rows[start:start + 2000])


def _scores(run_id: uuid.UUID, path: str | None, level: str | None,
            hidden: list[str]) -> Select[Any]:
    stmt = select(AttritionScore).where(AttritionScore.run_id == run_id)
    if hidden:
        stmt = stmt.where(AttritionScore.employee_no.not_in(hidden))
    if path is not None:
        stmt = stmt.where(AttritionScore.department_path.startswith(path, autoescape=True))
    if level is not None:
        stmt = stmt.where(AttritionScore.level == level)
    return stmt


async def scores_page(session: AsyncSession, run_id: uuid.UUID, *, path: str | None,
                      level: str | None, after_rank: int | None, limit: int | None,
                      hidden: list[str]) -> list[AttritionScore]:
    """The run's ranking within ``path``, without the employees in ``hidden``."""
    stmt = _scores(run_id, path, level, hidden).order_by(AttritionScore.rank)
    if after_rank is not None:
        stmt = stmt.where(AttritionScore.rank > after_rank)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.execute(stmt)).scalars())


async def employee_names(session: AsyncSession, nos: list[str]) -> dict[str, tuple[str, str,
                                                                                 str]]:
    """employee_no -> (name, department code, department name)."""
    rows = await session.execute(
        select(Employee.employee_no, Employee.name, Department.code, Department.name)
        .join(Department, Department.id == Employee.department_id)
        .where(Employee.employee_no.in_(nos)))
    return {no: (name, code, dept) for no, name, code, dept in rows.all()}


async def add_read(session: AsyncSession, **values: Any) -> None:
    session.add(AttritionRead(**values))
    await session.flush()


async def reads_page(session: AsyncSession, *, before_id: int | None,
                     limit: int) -> list[AttritionRead]:
    stmt = select(AttritionRead).order_by(AttritionRead.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(AttritionRead.id < before_id)
    return list((await session.execute(stmt)).scalars())


async def high_risk(session: AsyncSession, run_id: uuid.UUID) -> list[tuple[str, str]]:
    """(employee_no, department path) of the run's high-risk employees, by rank."""
    rows = await session.execute(
        select(AttritionScore.employee_no, AttritionScore.department_path)
        .where(AttritionScore.run_id == run_id, AttritionScore.level == "high")
        .order_by(AttritionScore.rank))
    return [(no, path) for no, path in rows.all()]


async def department_heads(session: AsyncSession, code: str) -> list[str]:
    """The employee numbers of a department's heads (manager_employee_nos)."""
    found = await session.scalar(select(Department.manager_nos).where(Department.code == code))
    return list(found or [])


async def departments_with_managers(session: AsyncSession) -> list[tuple[str, str, list[str]]]:
    """(code, path, manager employee numbers) of departments with managers."""
    rows = await session.execute(select(Department.code, Department.path, Department.manager_nos)
                                 .where(func.cardinality(Department.manager_nos) > 0))
    return [(code, path, list(managers)) for code, path, managers in rows.all()]


async def previous_digest(session: AsyncSession, department: str,
                          week: str) -> AttritionDigest | None:
    stmt = (select(AttritionDigest).where(and_(AttritionDigest.department_code == department,
                                               AttritionDigest.week < week))
            .order_by(AttritionDigest.week.desc()).limit(1))
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_digest(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """The digest's id; None when the department's digest of that week exists."""
    stmt = (insert(AttritionDigest).values(values)
            .on_conflict_do_nothing(index_elements=["week", "department_code"])
            .returning(AttritionDigest.id))
    return (await session.execute(stmt)).scalar_one_or_none()


async def digests_page(session: AsyncSession, *, before_id: int | None,
                       limit: int) -> list[AttritionDigest]:
    stmt = select(AttritionDigest).order_by(AttritionDigest.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(AttritionDigest.id < before_id)
    return list((await session.execute(stmt)).scalars())


async def reasons(session: AsyncSession, run_id: uuid.UUID,
                  nos: list[str]) -> dict[str, tuple[int, list[str]]]:
    """employee_no -> (rank, the texts of their reasons) in the run."""
    rows = await session.execute(
        select(AttritionScore.employee_no, AttritionScore.rank, AttritionScore.reasons)
        .where(AttritionScore.run_id == run_id, AttritionScore.employee_no.in_(nos)))
    return {no: (rank, [r["text"] for r in found]) for no, rank, found in rows.all()}


async def department_name(session: AsyncSession, code: str) -> str:
    name = (await session.execute(select(Department.name).where(Department.code == code))
            ).scalar_one_or_none()
    return name or code
