"""Queries on training plans: the plans themselves, and who they apply to and who
completed them (every assignment computed in the database)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.courses.models import Course
from services.training_api.facts.models import CourseCompletion, TrainingFact
from services.training_api.models import Department, Employee, JobRole
from services.training_api.plans.models import (
    TrainingPlan,
    TrainingPlanCourse,
    TrainingPlanMember,
)


async def get_plan(session: AsyncSession, code: str, *, for_update: bool = False
                   ) -> TrainingPlan | None:
    stmt = select(TrainingPlan).where(TrainingPlan.code == code)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_plans(session: AsyncSession, *, after: str | None, limit: int,
                     due_from: date | None, due_to: date | None) -> list[TrainingPlan]:
    stmt = select(TrainingPlan).order_by(TrainingPlan.code).limit(limit)
    if after is not None:
        stmt = stmt.where(TrainingPlan.code > after)
    if due_from is not None:
        stmt = stmt.where(TrainingPlan.due_on >= due_from)
    if due_to is not None:
        stmt = stmt.where(TrainingPlan.due_on <= due_to)
    return list((await session.execute(stmt)).scalars())


async def replace_courses(session: AsyncSession, plan_id: int, codes: list[str]) -> None:
    await session.execute(delete(TrainingPlanCourse).where(TrainingPlanCourse.plan_id == plan_id))
    await session.execute(insert(TrainingPlanCourse),
                          [{"plan_id": plan_id, "course_code": c} for c in codes])


async def replace_members(session: AsyncSession, plan_id: int, nos: list[str]) -> None:
    await session.execute(delete(TrainingPlanMember).where(TrainingPlanMember.plan_id == plan_id))
    for start in range(0, len(nos), 5000):
        await session.execute(insert(TrainingPlanMember), [
            {"plan_id": plan_id, "employee_no": no} for no in nos[start:start + 5000]])


async def existing_employees(session: AsyncSession, nos: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(nos), 5000):
        rows = await session.execute(select(Employee.employee_no).where(
            Employee.employee_no.in_(nos[start:start + 5000])))
        found.update(rows.scalars())
    return found


async def existing_courses(session: AsyncSession, codes: list[str]) -> dict[str, str]:
    rows = await session.execute(select(Course.code, Course.title).where(Course.code.in_(codes)))
    return dict(rows.tuples().all())


@dataclass(frozen=True)
class PlanView:
    plan: TrainingPlan
    job_role_code: str | None
    department_code: str | None
    listed: int | None
    courses: list[tuple[str, str]]


async def views(session: AsyncSession, plans: Sequence[TrainingPlan]) -> list[PlanView]:
    ids = [p.id for p in plans]
    if not ids:
        return []
    roles: dict[int | None, str] = dict(
        (await session.execute(select(JobRole.id, JobRole.code))).tuples().all())
    depts: dict[int | None, str] = dict((await session.execute(
        select(Department.id, Department.code).where(
            Department.id.in_([p.department_id for p in plans if p.department_id]))
    )).tuples().all())
    courses: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    for plan_id, code, title in (await session.execute(
            select(TrainingPlanCourse.plan_id, Course.code, Course.title)
            .join(Course, Course.code == TrainingPlanCourse.course_code)
            .where(TrainingPlanCourse.plan_id.in_(ids)).order_by(Course.code))).all():
        courses[plan_id].append((code, title))
    listed = dict((await session.execute(
        select(TrainingPlanMember.plan_id, func.count()).where(
            TrainingPlanMember.plan_id.in_(ids)).group_by(TrainingPlanMember.plan_id)
    )).tuples().all())
    return [PlanView(plan=p, job_role_code=roles.get(p.job_role_id),
                     department_code=depts.get(p.department_id),
                     listed=int(listed.get(p.id, 0)) if p.by_list else None,
                     courses=courses[p.id]) for p in plans]


# -- progress ------------------------------------------------------------------------
# One statement per plan, with the plan's target and dates as constants: the planner
# then sees plain filters and hash joins instead of one join over every plan at once.


@dataclass(frozen=True)
class PlanTarget:
    id: int
    course_codes: tuple[str, ...]
    job_role_id: int | None
    department_path: str | None
    by_list: bool
    start: datetime | None  # completions count from this instant (UTC)
    due_end: datetime  # completed on time before this instant (UTC)
    due_on: date


async def targets(session: AsyncSession, plans: Sequence[TrainingPlan],
                  tz: tzinfo) -> list[PlanTarget]:
    if not plans:
        return []
    paths: dict[int | None, str] = dict((await session.execute(
        select(Department.id, Department.path).where(
            Department.id.in_([p.department_id for p in plans if p.department_id]))
    )).tuples().all())
    courses: dict[int, list[str]] = {p.id: [] for p in plans}
    for plan_id, code in (await session.execute(
            select(TrainingPlanCourse.plan_id, TrainingPlanCourse.course_code).where(
                TrainingPlanCourse.plan_id.in_(list(courses))))).tuples():
        courses[plan_id].append(code)
    return [PlanTarget(
        id=p.id, course_codes=tuple(sorted(courses[p.id])), job_role_id=p.job_role_id,
        department_path=paths.get(p.department_id), by_list=p.by_list,
        start=_midnight(p.starts_on, tz) if p.starts_on else None,
        due_end=_midnight(p.due_on + timedelta(days=1), tz), due_on=p.due_on) for p in plans]


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _assigned_where(p: CTE, plan: PlanTarget) -> list[ColumnElement[bool]]:
    """Conditions on the population ``p``: the employees the plan applies to."""
    conditions = [or_(p.c.hired_on.is_(None), p.c.hired_on <= plan.due_on)]
    if plan.job_role_id is not None:
        conditions.append(p.c.job_role_id == plan.job_role_id)
    if plan.department_path is not None:
        conditions.append(p.c.department_path.startswith(plan.department_path, autoescape=True))
    if plan.by_list:
        conditions.append(p.c.employee_no.in_(select(TrainingPlanMember.employee_no).where(
            TrainingPlanMember.plan_id == plan.id)))
    return conditions


def _completions(plans: Sequence[PlanTarget]) -> tuple[CTE, dict[int, str]]:
    """One scan of the standing completions of every plan course: per (employee, course)
    the first completion, and the first since each plan start. Returns the CTE and, per
    plan, the name of its column."""
    fact, done = TrainingFact.__table__, CourseCompletion.__table__
    starts = sorted({p.start for p in plans if p.start is not None})
    firsts = [func.min(fact.c.occurred_at).label("first_any")]
    firsts += [func.min(fact.c.occurred_at).filter(fact.c.occurred_at >= start).label(
        f"first_{i}") for i, start in enumerate(starts)]
    cte = (select(fact.c.employee_no, done.c.course_code, *firsts)
           .select_from(done.join(fact, fact.c.id == done.c.id))
           .where(done.c.course_code.in_(sorted({c for p in plans for c in p.course_codes})),
                  fact.c.voided_at.is_(None))
           .group_by(fact.c.employee_no, done.c.course_code).cte("completion"))
    column = {p.id: "first_any" if p.start is None else f"first_{starts.index(p.start)}"
              for p in plans}
    return cte, column


def _per_employee(p: CTE, comp: CTE, plan: PlanTarget, column: str) -> Subquery:
    first = comp.c[column]
    return (select(p.c.employee_no, p.c.group_key, func.count(first).label("done"),
                   func.max(first).label("finished"),
                   func.array_remove(func.array_agg(case((first.is_not(None),
                                                          comp.c.course_code))), None
                                     ).label("courses"))
            .select_from(p.outerjoin(comp, and_(comp.c.employee_no == p.c.employee_no,
                                                comp.c.course_code.in_(plan.course_codes))))
            .where(*_assigned_where(p, plan))
            .group_by(p.c.employee_no, p.c.group_key).subquery(f"per_{plan.id}"))


@dataclass(frozen=True)
class Progress:
    key: int | str  # plan id or group key
    assigned: int
    completed: int
    on_time: int


@dataclass(frozen=True)
class PlanProgress:
    groups: list[Progress]  # per group key of the population
    courses: dict[str, int]  # course code -> assigned employees who completed it


async def plans_progress(session: AsyncSession, pop: Select[Any],
                         plans: Sequence[PlanTarget]) -> dict[int, PlanProgress]:
    """For every plan, in one statement: per group, the employees it applies to, those
    who completed every course and those who did by the end of the due date; per
    course, the completions. Each plan's target and dates are constants of its own
    branch, so the planner sees plain filters."""
    if not plans:
        return {}
    p = pop.cte("pop")
    comp, column = _completions(plans)
    branches = []
    for plan in plans:
        per = _per_employee(p, comp, plan, column[plan.id])
        completed = per.c.done == len(plan.course_codes)
        branches.append(select(
            literal(plan.id).label("plan_id"), literal("group").label("kind"),
            per.c.group_key.label("key"), func.count(), func.count().filter(completed),
            func.count().filter(completed, per.c.finished < plan.due_end)
        ).group_by(per.c.group_key))
        course = func.unnest(per.c.courses).table_valued("code").render_derived(
            f"done_{plan.id}")
        branches.append(select(literal(plan.id), literal("course"), course.c.code,
                               func.count(), literal(0), literal(0))
                        .select_from(per.join(course, literal(True)))
                        .group_by(course.c.code))
    out = {plan.id: PlanProgress([], {}) for plan in plans}
    for plan_id, kind, key, a, c, o in (await session.execute(union_all(*branches))).all():
        if kind == "group":
            out[plan_id].groups.append(Progress(str(key), int(a), int(c), int(o)))
        else:
            out[plan_id].courses[str(key)] = int(a)
    return out


async def behind_page(session: AsyncSession, pop: Select[Any], plan: PlanTarget, *,
                      after: str | None, limit: int) -> list[tuple[str, list[str]]]:
    """Employees the plan applies to who have not completed every course, by employee
    number, with the courses they did complete."""
    comp, column = _completions([plan])
    per = _per_employee(pop.cte("pop"), comp, plan, column[plan.id])
    stmt = (select(per.c.employee_no, per.c.courses)
            .where(per.c.done < len(plan.course_codes))
            .order_by(per.c.employee_no).limit(limit))
    if after is not None:
        stmt = stmt.where(per.c.employee_no > after)
    return [(no, list(done)) for no, done in (await session.execute(stmt)).all()]


async def assignment_finishes(session: AsyncSession, pop: Select[Any],
                              plans: Sequence[PlanTarget]) -> list[tuple[str, date, Any]]:
    """Every assignment (employee x plan) of the population: the employee, the plan's
    due date and when they completed its last course (None while they have not)."""
    if not plans:
        return []
    p = pop.cte("pop")
    comp, column = _completions(plans)
    branches = []
    for plan in plans:
        per = _per_employee(p, comp, plan, column[plan.id])
        finished = case((per.c.done == len(plan.course_codes), per.c.finished))
        branches.append(select(per.c.employee_no, literal(plan.due_on).label("due_on"),
                               finished.label("finished")))
    return [(no, due, finished) for no, due, finished in
            (await session.execute(union_all(*branches))).all()]
