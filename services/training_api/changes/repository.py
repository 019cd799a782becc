"""Queries of changes and their forecasts: the change itself, who it affects and at
what level they hold its skills, the courses that teach them, how long learners
took at this plant, and monthly completions for the demand forecast."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Subquery, and_, delete, false, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.changes.models import PlannedHire, TrainingChange, TrainingChangeSkill
from services.training_api.courses.models import Course, CourseSkill
from services.training_api.facts.models import CourseCompletion, EmployeeSkill, TrainingFact
from services.training_api.models import Department, Employee, JobRole, JobRoleSkill, Skill
from shared.contracts.events import EmployeeStatus


async def get(session: AsyncSession, code: str, *,
              for_update: bool = False) -> TrainingChange | None:
    stmt = select(TrainingChange).where(TrainingChange.code == code)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def skills_of(session: AsyncSession, change_ids: list[int]) -> dict[int, list[tuple[str,
                                                                                        int]]]:
    out: dict[int, list[tuple[str, int]]] = {i: [] for i in change_ids}
    rows = await session.execute(
        select(TrainingChangeSkill.change_id, TrainingChangeSkill.skill_code,
               TrainingChangeSkill.level)
        .where(TrainingChangeSkill.change_id.in_(change_ids))
        .order_by(TrainingChangeSkill.skill_code))
    for change_id, code, level in rows.all():
        out[change_id].append((code, int(level)))
    return out


async def replace_skills(session: AsyncSession, change_id: int,
                         skills: list[tuple[str, int]]) -> None:
    await session.execute(delete(TrainingChangeSkill).where(
        TrainingChangeSkill.change_id == change_id))
    await session.execute(insert(TrainingChangeSkill), [
        {"change_id": change_id, "skill_code": code, "level": level} for code, level in skills])


async def list_page(session: AsyncSession, *, after: str | None,
                    limit: int) -> list[TrainingChange]:
    stmt = select(TrainingChange).order_by(TrainingChange.code).limit(limit)
    if after is not None:
        stmt = stmt.where(TrainingChange.code > after)
    return list((await session.execute(stmt)).scalars())


async def missing_codes(session: AsyncSession, model: Any, codes: list[str]) -> list[str]:
    """The codes among ``codes`` that ``model`` (Skill, Department, JobRole) lacks."""
    if not codes:
        return []
    found = set((await session.execute(select(model.code).where(model.code.in_(codes))))
                .scalars())
    return [c for c in codes if c not in found]


@dataclass(frozen=True)
class Affected:
    employee_no: str
    name: str
    department_code: str
    job_role_code: str


async def affected(session: AsyncSession, change: TrainingChange) -> list[Affected]:
    """Active employees in the change's departments (subtrees) and roles."""
    stmt = (select(Employee.employee_no, Employee.name, Department.code, JobRole.code)
            .join(Department, Department.id == Employee.department_id)
            .join(JobRole, JobRole.id == Employee.job_role_id)
            .where(Employee.status == EmployeeStatus.ACTIVE).order_by(Employee.employee_no))
    if change.department_codes:
        paths = select(Department.path).where(Department.code.in_(change.department_codes))
        subtrees = [Department.path.startswith(p, autoescape=True)
                    for p in (await session.execute(paths)).scalars()]
        stmt = stmt.where(or_(false(), *subtrees))
    if change.job_role_codes:
        stmt = stmt.where(JobRole.code.in_(change.job_role_codes))
    return [Affected(*row) for row in (await session.execute(stmt)).all()]


async def levels(session: AsyncSession, nos: list[str],
                 skills: list[str]) -> dict[tuple[str, str], int]:
    """(employee, skill) -> current level (the highest a standing record proves)."""
    out: dict[tuple[str, str], int] = {}
    for start in range(0, len(nos), 5000):
        rows = await session.execute(
            select(EmployeeSkill.employee_no, EmployeeSkill.skill_code,
                   func.max(EmployeeSkill.level))
            .where(EmployeeSkill.employee_no.in_(nos[start:start + 5000]),
                   EmployeeSkill.skill_code.in_(skills))
            .group_by(EmployeeSkill.employee_no, EmployeeSkill.skill_code))
        out.update({(no, code): int(level) for no, code, level in rows.all()})
    return out


def _first_courses(skill_code: str) -> Subquery:
    """Per employee: their first standing completion of a course teaching the skill."""
    fact, done = TrainingFact.__table__, CourseCompletion.__table__
    return (select(fact.c.employee_no, func.min(fact.c.occurred_at).label("started"))
            .select_from(done.join(fact, fact.c.id == done.c.id)
                         .join(Course, Course.code == done.c.course_code)
                         .join(CourseSkill, CourseSkill.course_id == Course.id)
                         .join(Skill, Skill.id == CourseSkill.skill_id))
            .where(fact.c.voided_at.is_(None), Skill.code == skill_code)
            .group_by(fact.c.employee_no).subquery("firsts"))


async def learners(session: AsyncSession, skill_code: str,
                   level: int) -> list[tuple[str, str, datetime, datetime | None]]:
    """Everyone (leavers too) who took a course teaching the skill: (employee, role,
    first such course, first proof at ``level`` or above since then, or None)."""
    firsts = _first_courses(skill_code)
    reached = (select(func.min(EmployeeSkill.since))
               .where(EmployeeSkill.employee_no == firsts.c.employee_no,
                      EmployeeSkill.skill_code == skill_code, EmployeeSkill.level >= level,
                      EmployeeSkill.since >= firsts.c.started)
               .scalar_subquery())
    proven_before = (select(func.min(EmployeeSkill.since))
                     .where(EmployeeSkill.employee_no == firsts.c.employee_no,
                            EmployeeSkill.skill_code == skill_code,
                            EmployeeSkill.level >= level,
                            EmployeeSkill.since < firsts.c.started)
                     .scalar_subquery())
    rows = await session.execute(
        select(firsts.c.employee_no, JobRole.code, firsts.c.started, reached)
        .join(Employee, Employee.employee_no == firsts.c.employee_no)
        .join(JobRole, JobRole.id == Employee.job_role_id)
        .where(proven_before.is_(None)))
    return [tuple(row) for row in rows.all()]


async def started(session: AsyncSession, skill_code: str,
                  nos: list[str]) -> dict[str, datetime]:
    firsts = _first_courses(skill_code)
    rows = await session.execute(select(firsts.c.employee_no, firsts.c.started)
                                 .where(firsts.c.employee_no.in_(nos)))
    return {no: when for no, when in rows.all()}


async def teaching(session: AsyncSession, skill_code: str,
                   level: int) -> list[tuple[str, str, str, int]]:
    """Courses in the catalogue teaching the skill at the level or above: (code, title,
    format, level), the nearest level first, then the shortest."""
    rows = await session.execute(
        select(Course.code, Course.title, Course.format, CourseSkill.level)
        .join(CourseSkill, CourseSkill.course_id == Course.id)
        .join(Skill, Skill.id == CourseSkill.skill_id)
        .where(Skill.code == skill_code, CourseSkill.level >= level,
               Course.archived_at.is_(None))
        .order_by(CourseSkill.level, Course.class_hours, Course.code))
    return [(code, title, fmt, int(lvl)) for code, title, fmt, lvl in rows.all()]


async def skill_names(session: AsyncSession, codes: list[str]) -> dict[str, str]:
    rows = await session.execute(select(Skill.code, Skill.name).where(Skill.code.in_(codes)))
    return dict(rows.tuples().all())


async def monthly_completions(session: AsyncSession, *, by: str, since: datetime,
                              until: datetime, tz: str,
                              department_path: str | None) -> list[tuple[str, str, str, int]]:
    """(code, name, YYYY-MM, completions) per course or per skill taught, standing
    completions of active and former employees alike."""
    fact, done = TrainingFact.__table__, CourseCompletion.__table__
    month = func.to_char(func.timezone(tz, fact.c.occurred_at), "YYYY-MM")
    joined = done.join(fact, fact.c.id == done.c.id).join(Course, Course.code == done.c.course_code)
    key, name = Course.code, Course.title
    if by == "skill":
        joined = joined.join(CourseSkill, CourseSkill.course_id == Course.id).join(
            Skill, Skill.id == CourseSkill.skill_id)
        key, name = Skill.code, Skill.name
    conditions = [fact.c.voided_at.is_(None), fact.c.occurred_at >= since,
                  fact.c.occurred_at < until]
    if department_path is not None:
        joined = joined.join(Employee, Employee.employee_no == fact.c.employee_no).join(
            Department, Department.id == Employee.department_id)
        conditions.append(Department.path.startswith(department_path, autoescape=True))
    rows = await session.execute(select(key, name, month, func.count()).select_from(joined)
                                 .where(and_(*conditions)).group_by(key, name, month))
    return [(code, title, m, int(n)) for code, title, m, n in rows.all()]


# -- planned hires ----------------------------------------------------------------------

async def upsert_hire(session: AsyncSession, code: str,
                      values: dict[str, Any]) -> tuple[PlannedHire, bool]:
    """Insert or replace by code in one statement (two replicas may race); whether it
    was created."""
    stmt: Any = insert(PlannedHire).values(code=code, **values).on_conflict_do_update(
        index_elements=[PlannedHire.code], set_={**values, "updated_at": func.now()},
    ).returning(PlannedHire.id, literal_column("xmax = 0"))
    hire_id, created = (await session.execute(stmt)).one()
    hire = await session.get(PlannedHire, hire_id, populate_existing=True)
    assert hire is not None
    return hire, bool(created)


async def get_hire(session: AsyncSession, code: str) -> PlannedHire | None:
    return (await session.execute(select(PlannedHire).where(PlannedHire.code == code))
            ).scalar_one_or_none()


async def delete_hire(session: AsyncSession, code: str) -> bool:
    found = await session.execute(delete(PlannedHire).where(PlannedHire.code == code)
                                  .returning(PlannedHire.id))
    return found.scalar_one_or_none() is not None


async def hires_page(session: AsyncSession, *, after: str | None, limit: int,
                     department_code: str | None, job_role_code: str | None,
                     since: date | None) -> list[PlannedHire]:
    stmt = select(PlannedHire).order_by(PlannedHire.code).limit(limit)
    for column, value in ((PlannedHire.department_code, department_code),
                          (PlannedHire.job_role_code, job_role_code)):
        if value is not None:
            stmt = stmt.where(column == value)
    if since is not None:
        stmt = stmt.where(PlannedHire.month_on >= since)
    if after is not None:
        stmt = stmt.where(PlannedHire.code > after)
    return list((await session.execute(stmt)).scalars())


async def planned_hires(session: AsyncSession, *, first: date, last: date,
                        department_path: str | None) -> list[tuple[date, int, str]]:
    """(month, head count, job role) of the planned hires starting from ``first`` to
    ``last`` (first days of months) in the department subtree, if one is given."""
    stmt = select(PlannedHire.month_on, PlannedHire.headcount, PlannedHire.job_role_code).where(
        PlannedHire.month_on.between(first, last), PlannedHire.headcount > 0)
    if department_path is not None:
        stmt = stmt.join(Department, Department.code == PlannedHire.department_code).where(
            Department.path.startswith(department_path, autoescape=True))
    return [(m, n, role) for m, n, role in (await session.execute(stmt)).all()]


async def role_skills(session: AsyncSession,
                      roles: list[str]) -> list[tuple[str, str, str, int]]:
    """(job role, skill code, skill name, level) of the competency models of ``roles``."""
    if not roles:
        return []
    rows = await session.execute(
        select(JobRole.code, Skill.code, Skill.name, JobRoleSkill.level)
        .join(JobRoleSkill, JobRoleSkill.job_role_id == JobRole.id)
        .join(Skill, Skill.id == JobRoleSkill.skill_id).where(JobRole.code.in_(roles)))
    return [(role, code, name, int(level)) for role, code, name, level in rows.all()]

