"""The queries behind the training metrics. Each one aggregates in the database:
a report never loads a row per employee into Python, except the page of people
it lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CTE,
    Date,
    DateTime,
    Integer,
    Select,
    String,
    Subquery,
    Values,
    and_,
    case,
    cast,
    column,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
    values,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.facts.models import TrainingFact
from services.training_api.models import Department, Employee, JobRole, JobRoleSkill, Skill
from services.training_api.skill_records import repository as skill_repo

# Time-to-competency buckets: upper bounds in days (inclusive), then "longer".
DAY_BUCKETS = (7, 14, 21, 28, 42, 56, 91)


@dataclass(frozen=True)
class Counts:
    """Counts of one group: employees and those who meet the metric, all and front-line."""

    key: str
    total: int
    hits: int
    front_line_total: int
    front_line_hits: int


REPORT_WORK_MEM = "64MB"


async def give_report_memory(session: AsyncSession) -> None:
    """Reports hash and sort a row per employee (and per required skill): with the
    default 4 MB they spill to disk at plant scale. For this transaction only."""
    await session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))


def _active(start: datetime, end: datetime) -> Subquery:
    """The employees with at least one standing (not voided) training fact of any kind
    in [start, end), each once (read from the index on the standing facts by time)."""
    return (select(TrainingFact.employee_no)
            .where(TrainingFact.occurred_at >= start, TrainingFact.occurred_at < end,
                   TrainingFact.voided_at.is_(None))
            .distinct().subquery("active"))


async def participation(session: AsyncSession, pop: Select[Any], *, start: datetime,
                        end: datetime) -> list[Counts]:
    p = pop.cte("pop")
    active = _active(start, end)
    rows = (select(p.c.group_key, p.c.is_front_line,
                   active.c.employee_no.is_not(None).label("hit"))
            .select_from(p.outerjoin(active, active.c.employee_no == p.c.employee_no))
            .subquery())
    return await _counts(session, rows)


async def _counts(session: AsyncSession, p: Subquery) -> list[Counts]:
    stmt = (select(p.c.group_key, func.count(), func.count().filter(p.c.hit),
                   func.count().filter(p.c.is_front_line),
                   func.count().filter(and_(p.c.is_front_line, p.c.hit)))
            .group_by(p.c.group_key).order_by(p.c.group_key))
    return [Counts(str(k), *map(int, rest)) for k, *rest in (await session.execute(stmt)).all()]


def _required() -> Subquery:
    return (select(JobRoleSkill.job_role_id.label("job_role_id"),
                   Skill.code.label("skill_code"), JobRoleSkill.level.label("level"))
            .join(Skill, Skill.id == JobRoleSkill.skill_id).subquery("required"))


def _requirements(pop: Select[Any] | CTE, *, held_before: datetime | None,
                  skill_code: str | None = None) -> Select[str, str, bool, str, bool]:
    """One row per (employee, required skill) with ``held``: standing proofs of the
    skill dated before ``held_before`` (any time when None) reach the required level.
    ``pop`` is the population, a select or a CTE of it."""
    p = pop if not isinstance(pop, Select) else pop.subquery("pop")
    r = _required()
    held = skill_repo.levels_held(held_before=held_before)
    stmt = (select(p.c.employee_no, p.c.group_key, p.c.is_front_line, r.c.skill_code,
                   func.coalesce(held.c.level >= r.c.level, False).label("held"))
            .select_from(p.join(r, r.c.job_role_id == p.c.job_role_id).outerjoin(
                held, and_(held.c.employee_no == p.c.employee_no,
                           held.c.skill_code == r.c.skill_code))))
    if skill_code is not None:
        stmt = stmt.where(r.c.skill_code == skill_code)
    return stmt


@dataclass(frozen=True)
class Attainment:
    groups: list[Counts]
    skills: list[tuple[str, int, int]]  # (skill code, employees who need it, who hold it)
    without_model: int  # employees whose role requires no skill


async def attainment(session: AsyncSession, pop: Select[Any], *,
                     as_of: datetime) -> Attainment:
    """In one statement: per group, employees whose role requires skills and those
    holding all of them; per skill, who needs and who holds it; and how many
    employees have no competency model."""
    p = pop.cte("pop")
    req = _requirements(p, held_before=as_of).cte("requirement")
    per = (select(req.c.group_key, req.c.is_front_line, func.bool_and(req.c.held).label("hit"))
           .group_by(req.c.employee_no, req.c.group_key, req.c.is_front_line).subquery())
    groups = select(literal("group").label("kind"), per.c.group_key.label("key"),
                    func.count(), func.count().filter(per.c.hit),
                    func.count().filter(per.c.is_front_line),
                    func.count().filter(and_(per.c.is_front_line, per.c.hit))
                    ).group_by(per.c.group_key)
    skills = select(literal("skill"), req.c.skill_code, func.count(),
                    func.count().filter(req.c.held), literal(0), literal(0)
                    ).group_by(req.c.skill_code)
    none = (select(literal("none"), literal(""), func.count(), literal(0), literal(0),
                   literal(0)).select_from(p)
            .where(~exists().where(JobRoleSkill.job_role_id == p.c.job_role_id)))
    rows = (await session.execute(union_all(groups, skills, none))).all()
    return Attainment(
        groups=sorted((Counts(str(k), *map(int, v)) for kind, k, *v in rows if kind == "group"),
                      key=lambda c: c.key),
        skills=sorted((str(k), int(v[0]), int(v[1])) for kind, k, *v in rows if kind == "skill"),
        without_model=next(int(v[0]) for kind, _, *v in rows if kind == "none"))


async def lacking_page(session: AsyncSession, pop: Select[Any], *, as_of: datetime,
                       skill_code: str | None, after: str | None,
                       limit: int) -> list[tuple[str, list[str]]]:
    """Employees (by number) lacking required skills: (employee_no, missing skill codes)."""
    req = _requirements(pop, held_before=as_of, skill_code=skill_code).subquery()
    stmt = (select(req.c.employee_no,
                   func.array_agg(req.c.skill_code).filter(~req.c.held))
            .where(~req.c.held).group_by(req.c.employee_no)
            .order_by(req.c.employee_no).limit(limit))
    if after is not None:
        stmt = stmt.where(req.c.employee_no > after)
    return [(no, sorted(codes)) for no, codes in (await session.execute(stmt)).all()]


async def employee_details(session: AsyncSession, nos: Sequence[str]) -> dict[str, Any]:
    """employee_no -> (name, department code, department name, role code, role name,
    hired_on, is_front_line) for a page of people."""
    if not nos:
        return {}
    rows = await session.execute(
        select(Employee.employee_no, Employee.name, Department.code, Department.name,
               JobRole.code, JobRole.name, Employee.hired_on, Employee.is_front_line)
        .join(Department, Department.id == Employee.department_id)
        .join(JobRole, JobRole.id == Employee.job_role_id)
        .where(Employee.employee_no.in_(list(nos))))
    return {row[0]: row for row in rows.all()}


async def skill_names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = await session.execute(select(Skill.code, Skill.name).where(Skill.code.in_(codes)))
    return dict(rows.tuples().all())


@dataclass(frozen=True)
class Cohort:
    month: str  # YYYY-MM, or "all"
    hires: int
    competent: int
    median_days: float | None
    buckets: list[int]  # len(DAY_BUCKETS) + 1: counts per bucket, the last one "longer"


async def time_to_competency(session: AsyncSession, pop: Select[Any], *,
                             timezone: str) -> tuple[list[Cohort], Cohort | None]:
    """Per hiring month, and for all months together (the second value): new hires
    whose role requires skills, those who now hold all of them at the required level,
    the median days from hired_on to the day the last one was first proven at its
    level (in the company's time zone; a skill proven before hiring counts as day 0),
    and the distribution of those days."""
    p = pop.subquery("pop")
    r = _required()
    first_proof = skill_repo.first_reached(p.c.employee_no, r.c.skill_code, r.c.level)
    rows = (select(p.c.employee_no, p.c.hired_on, first_proof.label("first_at"))
            .select_from(p.join(r, r.c.job_role_id == p.c.job_role_id)).subquery())
    reached_day = func.date(func.timezone(timezone, func.max(rows.c.first_at)))
    per_employee = (select(
        func.to_char(rows.c.hired_on, "YYYY-MM").label("cohort"),
        (func.count() == func.count(rows.c.first_at)).label("competent"),
        func.greatest(0, cast(reached_day - rows.c.hired_on, Integer)).label("days"))
        .group_by(rows.c.employee_no, rows.c.hired_on).subquery())
    e = per_employee.c
    done = e.competent.is_(True)
    buckets, lower = [], -1
    for upper in DAY_BUCKETS:
        buckets.append(func.count().filter(done, e.days > lower, e.days <= upper))
        lower = upper
    buckets.append(func.count().filter(done, e.days > lower))
    stmt = (select(e.cohort, func.count(), func.count().filter(done),
                   func.percentile_cont(0.5).within_group(e.days).filter(done), *buckets)
            .group_by(func.rollup(e.cohort)).order_by(e.cohort.nulls_last()))
    cohorts, total = [], None
    for cohort, hires, competent, median, *counts in (await session.execute(stmt)).all():
        found = Cohort(month=cohort or "all", hires=int(hires), competent=int(competent),
                       median_days=None if median is None else round(float(median), 1),
                       buckets=[int(c) for c in counts])
        if cohort is None:
            total = found
        else:
            cohorts.append(found)
    return cohorts, total


@dataclass(frozen=True)
class Month:
    key: str  # YYYY-MM
    last_day: date
    start: datetime  # UTC bounds of the month on the company's calendar
    end: datetime


def _months_table(months: Sequence[Month]) -> Values:
    return values(column("month", String), column("last_day", Date),
                  column("start_at", DateTime(timezone=True)),
                  column("end_at", DateTime(timezone=True)), name="months").data(
        [(m.key, m.last_day, m.start, m.end) for m in months])


async def monthly_participation(session: AsyncSession, pop: Select[Any], *,
                                months: Sequence[Month], timezone: str) -> list[Counts]:
    """Participation per month (key YYYY-MM); each month counts the employees hired
    by its last day. ``pop`` must not restrict hiring dates itself."""
    p = pop.subquery("pop")
    m = _months_table(months)
    local_month = func.to_char(func.timezone(timezone, TrainingFact.occurred_at), "YYYY-MM")
    active = (select(TrainingFact.employee_no, local_month.label("month"))
              .where(TrainingFact.occurred_at >= months[0].start,
                     TrainingFact.occurred_at < months[-1].end,
                     TrainingFact.voided_at.is_(None),
                     TrainingFact.employee_no.in_(select(p.c.employee_no)))
              .distinct().subquery("active"))
    rows = (select(m.c.month.label("group_key"), p.c.is_front_line,
                   active.c.employee_no.is_not(None).label("hit"))
            .select_from(p.join(m, or_(p.c.hired_on.is_(None), p.c.hired_on <= m.c.last_day))
                         .outerjoin(active, and_(active.c.employee_no == p.c.employee_no,
                                                 active.c.month == m.c.month)))
            .subquery())
    return _fill(months, await _counts(session, rows))


async def monthly_attainment(session: AsyncSession, pop: Select[Any], *,
                             months: Sequence[Month]) -> list[Counts]:
    """Skill attainment at the end of each month (key YYYY-MM), among the employees
    hired by then whose role requires skills."""
    p = pop.subquery("pop")
    r = _required()
    first_proof = skill_repo.first_reached(p.c.employee_no, r.c.skill_code, r.c.level)
    rows = (select(p.c.employee_no, p.c.hired_on, p.c.is_front_line,
                   first_proof.label("first_at"))
            .select_from(p.join(r, r.c.job_role_id == p.c.job_role_id)).subquery())
    per_employee = (select(rows.c.hired_on, rows.c.is_front_line, case(
        (func.count() == func.count(rows.c.first_at), func.max(rows.c.first_at))).label(
        "reached_at")).group_by(rows.c.employee_no, rows.c.hired_on, rows.c.is_front_line)
        .subquery())
    e = per_employee.c
    m = _months_table(months)
    at_month_end = (select(m.c.month.label("group_key"), e.is_front_line,
                           func.coalesce(e.reached_at < m.c.end_at, False).label("hit"))
                    .select_from(per_employee.join(m, or_(e.hired_on.is_(None),
                                                          e.hired_on <= m.c.last_day)))
                    .subquery())
    return _fill(months, await _counts(session, at_month_end))


def _fill(months: Sequence[Month], rows: list[Counts]) -> list[Counts]:
    found = {r.key: r for r in rows}
    return [found.get(m.key, Counts(m.key, 0, 0, 0, 0)) for m in months]


async def department_names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = await session.execute(select(Department.code, Department.name).where(
        Department.code.in_(codes)))
    return dict(rows.tuples().all())

