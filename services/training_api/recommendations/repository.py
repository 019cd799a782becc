"""Queries of the recommendations. The per-request reads are each one indexed
look-up of one employee (or one role); the model job reads the plant in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, text, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.courses.models import (
    Course,
    CoursePrerequisite,
    CoursePrerequisiteSkill,
    CourseSkill,
)
from services.training_api.facts.models import (
    CourseCompletion,
    EmployeeSkill,
    SkillApplication,
)
from services.training_api.models import Department, Employee, JobRole, JobRoleSkill, Skill
from services.training_api.plans.models import (
    TrainingPlan,
    TrainingPlanCourse,
    TrainingPlanMember,
)
from services.training_api.recommendations.models import (
    RecommendationDismissal,
    RecommendationModelRun,
    RecommendationNeighbour,
    RecommendationRoleSignal,
    RecommendationSetting,
    RecommendationShown,
)
from services.training_api.recommendations.ranker import CourseInfo, PlanDue


@dataclass(frozen=True)
class Who:
    employee_no: str
    department_id: int
    department_path: str
    job_role_id: int
    job_role_code: str
    family: str
    course_formats: list[str]


async def who(session: AsyncSession, employee_no: str) -> Who | None:
    row = (await session.execute(
        select(Employee.employee_no, Employee.department_id, Department.path, JobRole.id,
               JobRole.code, JobRole.family, JobRole.course_formats)
        .join(Department, Department.id == Employee.department_id)
        .join(JobRole, JobRole.id == Employee.job_role_id)
        .where(Employee.employee_no == employee_no))).one_or_none()
    return Who(*row) if row is not None else None


async def catalogue(session: AsyncSession) -> list[CourseInfo]:
    """Every course that is not archived, with what it teaches and needs first: read
    on every request, so an archived course disappears at once."""
    teaches = (select(func.jsonb_object_agg(Skill.code, CourseSkill.level))
               .select_from(CourseSkill).join(Skill, Skill.id == CourseSkill.skill_id)
               .where(CourseSkill.course_id == Course.id).scalar_subquery())
    needs = (select(func.jsonb_object_agg(Skill.code, CoursePrerequisiteSkill.level))
             .select_from(CoursePrerequisiteSkill)
             .join(Skill, Skill.id == CoursePrerequisiteSkill.skill_id)
             .where(CoursePrerequisiteSkill.course_id == Course.id).scalar_subquery())
    first = Course.__table__.alias("first")
    before = (select(func.array_agg(first.c.code)).select_from(first)
              .join(CoursePrerequisite, CoursePrerequisite.prerequisite_id == first.c.id)
              .where(CoursePrerequisite.course_id == Course.id).scalar_subquery())
    rows = await session.execute(
        select(Course.code, Course.title, Course.format, teaches, before, needs,
               Course.open_to_job_roles, Course.open_to_families)
        .where(Course.archived_at.is_(None)).order_by(Course.code))
    return [CourseInfo(code=code, title=title, format=fmt, teaches=taught or {},
                       prerequisites=tuple(pre or ()), prerequisite_skills=need or {},
                       open_to_job_roles=frozenset(roles), open_to_families=frozenset(fams))
            for code, title, fmt, taught, pre, need, roles, fams in rows.all()]


async def required(session: AsyncSession, job_role_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Skill.code, JobRoleSkill.level).select_from(JobRoleSkill)
        .join(Skill, Skill.id == JobRoleSkill.skill_id)
        .where(JobRoleSkill.job_role_id == job_role_id))
    return dict(rows.all())


def _standing_completions(employee_no: str) -> Any:
    return (select(CourseCompletion.course_code)
            .where(CourseCompletion.employee_no == employee_no,
                   CourseCompletion.voided_at.is_(None)))


async def completed(session: AsyncSession, employee_no: str) -> set[str]:
    return set((await session.execute(_standing_completions(employee_no))).scalars())


async def record_skills(session: AsyncSession, employee_no: str) -> dict[str, int]:
    """skill -> the employee's standing records that earned points in it: completions
    of courses teaching it, proofs of it, confirmed applications of it."""
    done = _standing_completions(employee_no).subquery()
    taught = (select(Skill.code.label("skill")).select_from(done)
              .join(Course, Course.code == done.c.course_code)
              .join(CourseSkill, CourseSkill.course_id == Course.id)
              .join(Skill, Skill.id == CourseSkill.skill_id))
    proven = select(EmployeeSkill.skill_code).where(EmployeeSkill.employee_no == employee_no)
    applied = select(SkillApplication.skill_code).where(
        SkillApplication.employee_no == employee_no, SkillApplication.status == "confirmed",
        SkillApplication.voided_at.is_(None), SkillApplication.skill_code.is_not(None))
    every = union_all(taught, proven, applied).subquery()
    rows = await session.execute(select(every.c.skill, func.count()).group_by(every.c.skill))
    return {skill: int(n) for skill, n in rows.all()}


async def dismissed(session: AsyncSession, employee_no: str) -> set[str]:
    return set((await session.execute(
        select(RecommendationDismissal.course_code)
        .where(RecommendationDismissal.employee_no == employee_no))).scalars())


async def plan_courses(session: AsyncSession, w: Who, *, today: date) -> dict[str, PlanDue]:
    """course -> the earliest-due plan that applies to the employee and is due from
    90 days ago on (older overdue plans are HR's matter, not a recommendation)."""
    dept = Department.__table__.alias("plan_department")
    applies = and_(
        or_(TrainingPlan.job_role_id.is_(None), TrainingPlan.job_role_id == w.job_role_id),
        or_(TrainingPlan.department_id.is_(None),
            literal(w.department_path).startswith(dept.c.path)),
        or_(~TrainingPlan.by_list, TrainingPlan.id.in_(
            select(TrainingPlanMember.plan_id)
            .where(TrainingPlanMember.employee_no == w.employee_no))))
    rows = await session.execute(
        select(TrainingPlanCourse.course_code, TrainingPlan.name, TrainingPlan.due_on)
        .join(TrainingPlan, TrainingPlan.id == TrainingPlanCourse.plan_id)
        .outerjoin(dept, dept.c.id == TrainingPlan.department_id)
        .where(applies, TrainingPlan.due_on >= date.fromordinal(today.toordinal() - 90))
        .order_by(TrainingPlan.due_on.desc()))
    return {code: PlanDue(name, due) for code, name, due in rows.all()}  # earliest wins


async def role_signal(session: AsyncSession, role_code: str) -> RecommendationRoleSignal | None:
    return await session.get(RecommendationRoleSignal, role_code)


async def neighbours_of(session: AsyncSession, codes: Sequence[str]) -> dict[str, dict[str, float]]:
    if not codes:
        return {}
    rows = await session.execute(select(RecommendationNeighbour.course_code,
                                        RecommendationNeighbour.neighbours)
                                 .where(RecommendationNeighbour.course_code.in_(list(codes))))
    return dict(rows.all())


async def settings_row(session: AsyncSession) -> RecommendationSetting | None:
    return await session.get(RecommendationSetting, 1)


async def save_settings(session: AsyncSession, values: dict[str, Any], actor: str) -> None:
    stmt = insert(RecommendationSetting).values(id=1, values=values, updated_by=actor)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["id"], set_={"values": values, "updated_by": actor,
                                     "updated_at": func.now()}))


async def dismiss(session: AsyncSession, employee_no: str, course_code: str) -> None:
    await session.execute(insert(RecommendationDismissal).values(
        employee_no=employee_no, course_code=course_code).on_conflict_do_nothing())


async def undismiss(session: AsyncSession, employee_no: str, course_code: str) -> None:
    await session.execute(RecommendationDismissal.__table__.delete().where(
        RecommendationDismissal.employee_no == employee_no,
        RecommendationDismissal.course_code == course_code))


async def mark_shown(session: AsyncSession, employee_no: str,
                     shown: Sequence[tuple[str, list[str]]], at: datetime) -> None:
    """Remember what the employee was shown (course, reason kinds), in one statement."""
    if not shown:
        return
    stmt = insert(RecommendationShown).values([
        {"employee_no": employee_no, "course_code": code, "first_shown_at": at,
         "last_shown_at": at, "times": 1, "reasons": kinds} for code, kinds in shown])
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["employee_no", "course_code"],
        set_={"last_shown_at": stmt.excluded.last_shown_at,
              "times": RecommendationShown.times + 1, "reasons": stmt.excluded.reasons}))


# the model build's advisory lock (two int4 keys: pg_locks shows them as classid, objid)
LOCK_CLASS, LOCK_KEY = 0x4A46, 12


async def last_run(session: AsyncSession, *, ready: bool) -> RecommendationModelRun | None:
    stmt = select(RecommendationModelRun).order_by(RecommendationModelRun.id.desc()).limit(1)
    if ready:
        stmt = stmt.where(RecommendationModelRun.status == "ready")
    return (await session.execute(stmt)).scalar_one_or_none()


async def build_running(session: AsyncSession) -> bool:
    """Whether a model build holds its lock now (on any replica)."""
    return bool(await session.scalar(text("""
        SELECT EXISTS (SELECT 1 FROM pg_locks
                       WHERE locktype = 'advisory' AND granted AND classid = :cls
                         AND objid = :key AND objsubid = 2
                         AND database = (SELECT oid FROM pg_database
                                         WHERE datname = current_database()))"""),
        {"cls": LOCK_CLASS, "key": LOCK_KEY}))
