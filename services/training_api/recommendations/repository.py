"""Queries of the recommendations. The per-request reads are each one indexed
look-up of one employee (or one role); the model job reads the plant in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Select,
    func,
    select,
    text,
)
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
)
from services.training_api.models import Department, Employee, JobRole, Skill
from services.training_api.recommendations.models import (
    ModelRunStatus,
    RecommendationDismissal,
    RecommendationModelRun,
    RecommendationNeighbour,
    RecommendationRoleSignal,
    RecommendationSetting,
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
    name: str
    department_code: str


async def who(session: AsyncSession, employee_no: str) -> Who | None:
    row = (await session.execute(
        select(Employee.employee_no, Employee.department_id, Department.path, JobRole.id,
               JobRole.code, JobRole.family, JobRole.course_formats, Employee.name,
               Department.code)
        .join(Department, Department.id == Employee.department_id)
        .join(JobRole, JobRole.id == Employee.job_role_id)
        .where(Employee.employee_no == employee_no))).one_or_none()
    return Who(*row) if row is not None else None


@dataclass(frozen=True)
class Context:
    """What one request needs before anything else, read in one round trip: the
    employee, the catalogue's version, the latest ready colleague model, HR's
    settings (None: the defaults)."""

    who: Who
    catalogue_version: int
    run_id: int | None
    built_at: datetime | None
    settings: dict[str, Any] | None


CONTEXT = text("""
SELECT e.employee_no, e.department_id, d.path, r.id, r.code, r.family, r.course_formats,
       e.name, d.code, (SELECT version FROM recommendation_catalogue_version WHERE id = 1),
       run.id, run.finished_at, (SELECT "values" FROM recommendation_setting WHERE id = 1)
FROM employee e JOIN department d ON d.id = e.department_id
JOIN job_role r ON r.id = e.job_role_id
LEFT JOIN LATERAL (SELECT id, finished_at FROM recommendation_model_run
                   WHERE status = 'ready' ORDER BY id DESC LIMIT 1) run ON true
WHERE e.employee_no = :no
""")


async def context(session: AsyncSession, employee_no: str) -> Context | None:
    row = (await session.execute(CONTEXT, {"no": employee_no})).one_or_none()
    if row is None:
        return None
    *who, version, run_id, built_at, values = row
    return Context(Who(*who), int(version or 0), run_id, built_at, values)


async def catalogue(session: AsyncSession) -> list[CourseInfo]:
    """Every course that is not archived, with what it teaches and needs first (kept
    in memory by version, see memory.py)."""
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


async def course_current(session: AsyncSession, code: str) -> bool:
    """A course of the catalogue that is not archived."""
    return bool(await session.scalar(select(Course.id).where(
        Course.code == code, Course.archived_at.is_(None))))


def _standing_completions(employee_no: str) -> Select[str]:
    return (select(CourseCompletion.course_code)
            .where(CourseCompletion.employee_no == employee_no,
                   CourseCompletion.voided_at.is_(None)))


async def completed(session: AsyncSession, employee_no: str) -> set[str]:
    return set((await session.execute(_standing_completions(employee_no))).scalars())


@dataclass(frozen=True)
class Facts:
    """One employee as the ranker needs them (see ``ranker.Learner``)."""

    required: dict[str, int]
    levels: dict[str, int]
    completed: set[str]
    record_skills: dict[str, int]  # skill -> standing records that earned points in it
    dismissed: set[str]
    plans: dict[str, PlanDue]  # course -> the earliest-due plan


# the plan ``p`` (its department ``pd``) applies to employee :no of role :role in the
# department at :path: their role or any, their department's subtree or anywhere, a
# list naming them
PLAN_APPLIES = """
  (p.job_role_id IS NULL OR p.job_role_id = :role)
  AND (p.department_id IS NULL OR starts_with(:path, pd.path))
  AND (NOT p.by_list OR EXISTS (SELECT 1 FROM training_plan_member m
                                WHERE m.plan_id = p.id AND m.employee_no = :no))"""

# One round trip, rows tagged by kind. Records per skill: completions of courses
# teaching it, proofs of it, confirmed applications of it. Plans: those that apply to
# the employee (their role or any, their department's subtree or anywhere, a list
# naming them) due from :oldest on (older overdue plans are HR's matter).
LEARNER_FACTS = text("""
WITH done AS (
  SELECT cc.course_code FROM training_fact f JOIN course_completion cc ON cc.id = f.id
  WHERE f.employee_no = :no AND f.voided_at IS NULL
)
SELECT 'required' AS kind, s.code AS key, jrs.level::int AS n, NULL::text AS name,
       NULL::date AS day
FROM job_role_skill jrs JOIN skill s ON s.id = jrs.skill_id WHERE jrs.job_role_id = :role
UNION ALL
SELECT 'level', skill_code, max(level)::int, NULL, NULL FROM employee_skill
WHERE employee_no = :no GROUP BY skill_code
UNION ALL
SELECT 'done', course_code, NULL, NULL, NULL FROM done
UNION ALL
SELECT 'record', skill, count(*)::int, NULL, NULL FROM (
  SELECT s.code AS skill FROM done JOIN course c ON c.code = done.course_code
  JOIN course_skill cs ON cs.course_id = c.id JOIN skill s ON s.id = cs.skill_id
  UNION ALL
  SELECT skill_code FROM employee_skill WHERE employee_no = :no
  UNION ALL
  SELECT sa.skill_code FROM training_fact f JOIN skill_application sa ON sa.id = f.id
  WHERE f.employee_no = :no AND f.voided_at IS NULL AND sa.status = 'confirmed'
    AND sa.skill_code IS NOT NULL
) records GROUP BY skill
UNION ALL
SELECT 'dismissed', course_code, NULL, NULL, NULL FROM recommendation_dismissal
WHERE employee_no = :no
UNION ALL
SELECT 'plan', pc.course_code, NULL, p.name, p.due_on
FROM training_plan_course pc JOIN training_plan p ON p.id = pc.plan_id
LEFT JOIN department pd ON pd.id = p.department_id
WHERE p.due_on >= :oldest AND """ + PLAN_APPLIES + """
""")


PLAN_ITEMS = text("""
SELECT p.name, pc.course_code, c.title, p.due_on
FROM training_plan_course pc JOIN training_plan p ON p.id = pc.plan_id
JOIN course c ON c.code = pc.course_code
LEFT JOIN department pd ON pd.id = p.department_id
WHERE p.due_on >= :oldest AND """ + PLAN_APPLIES + """
  AND NOT EXISTS (
    SELECT 1 FROM training_fact f JOIN course_completion cc ON cc.id = f.id
    WHERE f.employee_no = :no AND cc.course_code = pc.course_code AND f.voided_at IS NULL
      AND (p.starts_on IS NULL OR f.occurred_at >= timezone(:tz, p.starts_on::timestamp)))
ORDER BY p.due_on, p.name, pc.course_code
LIMIT :limit
""")


async def plan_items(session: AsyncSession, w: Who, *, today: date, tz: str,
                     limit: int) -> list[tuple[str, str, str, date]]:
    """(plan, course, title, due) of the plans that apply to the employee, due from 90
    days ago on, whose course they have not completed since the plan started (as the
    plan report counts), soonest first."""
    rows = await session.execute(PLAN_ITEMS, {
        "no": w.employee_no, "role": w.job_role_id, "path": w.department_path, "tz": tz,
        "oldest": date.fromordinal(today.toordinal() - 90), "limit": limit})
    return [tuple(r) for r in rows.all()]


RECENT_RECORDS = text("""
SELECT f.id, f.fact_type, f.occurred_at,
  CASE f.fact_type
    WHEN 'course_completion' THEN '完成课程 ' || coalesce(c.title, cc.course_code)
    WHEN 'live_interaction' THEN '直播' || CASE li.kind WHEN 'speak' THEN '发言' ELSE '提问' END
                                 || coalesce(' ' || lc.title, '')
    WHEN 'study_note' THEN '学习笔记《' || sn.title || '》'
    WHEN 'exam_attempt' THEN '考试 ' || coalesce(x.title, ea.exam_code) || ' ' || ea.score
                             || ' 分' || CASE WHEN ea.passed THEN '（通过）' ELSE '（未通过）' END
    WHEN 'practical_assessment' THEN '实操考核 ' || coalesce(ps.name, pa.skill_code) || ' '
                                     || pa.level || ' 级'
                                     || CASE WHEN pa.passed THEN '合格' ELSE '未通过' END
    WHEN 'skill_application' THEN '技能应用 ' || coalesce(aps.name || ' ', '')
                                  || CASE sa.status WHEN 'confirmed' THEN '（已确认）'
                                                    WHEN 'rejected' THEN '（未通过）'
                                                    ELSE '（待确认）' END
    WHEN 'skill_level' THEN '技能等级 ' || coalesce(ls.name, sl.skill_code) || ' ' || sl.level
                            || ' 级'
    ELSE f.fact_type
  END
FROM training_fact f
LEFT JOIN course_completion cc ON cc.id = f.id LEFT JOIN course c ON c.code = cc.course_code
LEFT JOIN live_interaction li ON li.id = f.id LEFT JOIN course lc ON lc.code = li.course_code
LEFT JOIN study_note sn ON sn.id = f.id
LEFT JOIN exam_attempt ea ON ea.id = f.id LEFT JOIN exam x ON x.code = ea.exam_code
LEFT JOIN practical_assessment pa ON pa.id = f.id LEFT JOIN skill ps ON ps.code = pa.skill_code
LEFT JOIN skill_application sa ON sa.id = f.id LEFT JOIN skill aps ON aps.code = sa.skill_code
LEFT JOIN skill_level_record sl ON sl.id = f.id LEFT JOIN skill ls ON ls.code = sl.skill_code
WHERE f.employee_no = :no AND f.voided_at IS NULL
ORDER BY f.occurred_at DESC, f.id DESC
LIMIT :limit
""")


async def recent_records(session: AsyncSession, employee_no: str, *,
                         limit: int) -> list[tuple[Any, str, datetime, str]]:
    """(id, fact type, when, a line in Chinese) of the latest standing records."""
    rows = await session.execute(RECENT_RECORDS, {"no": employee_no, "limit": limit})
    return [tuple(r) for r in rows.all()]


async def learner_facts(session: AsyncSession, w: Who, *, today: date) -> Facts:
    """Everything about one employee the ranker reads, in one round trip."""
    rows = (await session.execute(LEARNER_FACTS, {
        "no": w.employee_no, "role": w.job_role_id, "path": w.department_path,
        "oldest": date.fromordinal(today.toordinal() - 90)})).all()
    facts = Facts({}, {}, set(), {}, set(), {})
    numbers = {"required": facts.required, "level": facts.levels, "record": facts.record_skills}
    for kind, key, n, name, day in sorted(rows, key=lambda r: r.day or date.min, reverse=True):
        if kind in numbers:
            numbers[kind][key] = int(n)
        elif kind in ("done", "dismissed"):
            (facts.completed if kind == "done" else facts.dismissed).add(key)
        else:
            facts.plans[key] = PlanDue(name, day)  # latest due first: the earliest wins
    return facts


async def role_signal(session: AsyncSession, role_code: str) -> RecommendationRoleSignal | None:
    return await session.get(RecommendationRoleSignal, role_code)


async def all_neighbours(session: AsyncSession) -> dict[str, dict[str, float]]:
    rows = await session.execute(select(RecommendationNeighbour.course_code,
                                        RecommendationNeighbour.neighbours))
    return {code: n for code, n in rows.all()}


async def all_skill_names(session: AsyncSession) -> dict[str, str]:
    rows = await session.execute(select(Skill.code, Skill.name))
    return {code: name for code, name in rows.all()}


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


MARK_SHOWN = text("""
INSERT INTO recommendation_shown (employee_no, course_code, first_shown_at, last_shown_at,
                                  times, reasons)
SELECT :no, shown.code, :at, :at, 1, string_to_array(shown.kinds, ',')
FROM unnest(CAST(:codes AS text[]), CAST(:kinds AS text[])) AS shown(code, kinds)
ON CONFLICT (employee_no, course_code) DO UPDATE
SET last_shown_at = excluded.last_shown_at, times = recommendation_shown.times + 1,
    reasons = excluded.reasons
""")


async def mark_shown(session: AsyncSession, employee_no: str,
                     shown: Sequence[tuple[str, list[str]]], at: datetime) -> None:
    """Remember what the employee was shown (course, reason kinds), in one statement."""
    if shown:
        await session.execute(MARK_SHOWN, {
            "no": employee_no, "at": at, "codes": [code for code, _ in shown],
            "kinds": [",".join(kinds) for _, kinds in shown]})


# the model build's advisory lock (two int4 keys: pg_locks shows them as classid, objid)
LOCK_CLASS, LOCK_KEY = 0x4A46, 12


async def last_run(session: AsyncSession, *, ready: bool) -> RecommendationModelRun | None:
    stmt = (select(RecommendationModelRun).order_by(RecommendationModelRun.id.desc()).limit(1)
            .execution_options(populate_existing=True))
    if ready:
        stmt = stmt.where(RecommendationModelRun.status == ModelRunStatus.READY)
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
