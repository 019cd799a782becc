"""Queries on courses and exams."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.courses.models import (
    Course,
    CoursePrerequisite,
    CoursePrerequisiteSkill,
    CourseSkill,
    Exam,
)
from services.training_api.models import JobRole, Skill


@dataclass
class CourseFilters:
    tag: str | None = None
    format: str | None = None
    difficulty: str | None = None
    archived: bool | None = None


async def get_course(session: AsyncSession, code: str, *,
                     for_update: bool = False) -> Course | None:
    stmt = select(Course).where(Course.code == code)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_courses(session: AsyncSession, f: CourseFilters, *, after: str | None,
                       limit: int) -> list[Course]:
    stmt = select(Course).order_by(Course.code).limit(limit)
    if after is not None:
        stmt = stmt.where(Course.code > after)
    if f.tag is not None:
        stmt = stmt.where(Course.tags.contains([f.tag]))
    if f.format is not None:
        stmt = stmt.where(Course.format == f.format)
    if f.difficulty is not None:
        stmt = stmt.where(Course.difficulty == f.difficulty)
    if f.archived is not None:
        stmt = stmt.where(Course.archived_at.is_not(None) if f.archived
                          else Course.archived_at.is_(None))
    return list((await session.execute(stmt)).scalars())


async def replace_course_skills(session: AsyncSession, course_id: int,
                                levels: dict[int, int]) -> None:
    """Replace what the course teaches: skill id -> level."""
    await session.execute(delete(CourseSkill).where(CourseSkill.course_id == course_id))
    if levels:
        await session.execute(insert(CourseSkill), [
            {"course_id": course_id, "skill_id": s, "level": level}
            for s, level in levels.items()])


async def course_skills(session: AsyncSession,
                        course_ids: list[int]) -> dict[int, list[tuple[str, str, int]]]:
    """course id -> [(skill code, skill name, level taught)] in skill-code order."""
    out: dict[int, list[tuple[str, str, int]]] = {cid: [] for cid in course_ids}
    if not course_ids:
        return out
    rows = await session.execute(
        select(CourseSkill.course_id, Skill.code, Skill.name, CourseSkill.level)
        .join(Skill, Skill.id == CourseSkill.skill_id)
        .where(CourseSkill.course_id.in_(course_ids)).order_by(Skill.code))
    for course_id, code, name, level in rows.all():
        out[course_id].append((code, name, level))
    return out


async def course_ids(session: AsyncSession, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = await session.execute(select(Course.code, Course.id).where(Course.code.in_(codes)))
    return dict(rows.all())


async def prerequisite_ancestors(session: AsyncSession, course_ids: list[int]) -> set[int]:
    """Every course that must come before these ones, directly or through others."""
    if not course_ids:
        return set()
    seed = (select(CoursePrerequisite.prerequisite_id.label("id"))
            .where(CoursePrerequisite.course_id.in_(course_ids))
            .cte("ancestor", recursive=True))
    walk = seed.union(select(CoursePrerequisite.prerequisite_id)
                      .join(seed, CoursePrerequisite.course_id == seed.c.id))
    return set((await session.execute(select(walk.c.id))).scalars()) | set(course_ids)


async def replace_prerequisites(session: AsyncSession, course_id: int, *, courses: list[int],
                                skills: dict[int, int]) -> None:
    """Replace the prerequisite courses (ids) and skill levels (skill id -> level)."""
    for table in (CoursePrerequisite, CoursePrerequisiteSkill):
        await session.execute(delete(table).where(table.course_id == course_id))
    if courses:
        await session.execute(insert(CoursePrerequisite), [
            {"course_id": course_id, "prerequisite_id": p} for p in courses])
    if skills:
        await session.execute(insert(CoursePrerequisiteSkill), [
            {"course_id": course_id, "skill_id": s, "level": level}
            for s, level in skills.items()])


async def prerequisites(session: AsyncSession, course_ids: list[int]
                        ) -> tuple[dict[int, list[str]], dict[int, list[tuple[str, str, int]]]]:
    """course id -> prerequisite course codes; course id -> [(skill code, name, level)]."""
    courses: dict[int, list[str]] = {cid: [] for cid in course_ids}
    skills: dict[int, list[tuple[str, str, int]]] = {cid: [] for cid in course_ids}
    if not course_ids:
        return courses, skills
    rows = await session.execute(
        select(CoursePrerequisite.course_id, Course.code)
        .join(Course, Course.id == CoursePrerequisite.prerequisite_id)
        .where(CoursePrerequisite.course_id.in_(course_ids)).order_by(Course.code))
    for course_id, code in rows.all():
        courses[course_id].append(code)
    skill_rows = await session.execute(
        select(CoursePrerequisiteSkill.course_id, Skill.code, Skill.name,
               CoursePrerequisiteSkill.level)
        .join(Skill, Skill.id == CoursePrerequisiteSkill.skill_id)
        .where(CoursePrerequisiteSkill.course_id.in_(course_ids)).order_by(Skill.code))
    for course_id, code, name, level in skill_rows.all():
        skills[course_id].append((code, name, level))
    return courses, skills


async def get_exam(session: AsyncSession, code: str) -> tuple[Exam, Course] | None:
    row = (await session.execute(select(Exam, Course).join(Course, Course.id == Exam.course_id)
                                 .where(Exam.code == code))).one_or_none()
    return (row[0], row[1]) if row is not None else None


async def list_exams(session: AsyncSession, *, course_code: str | None, after: str | None,
                     limit: int) -> list[tuple[Exam, Course]]:
    stmt = (select(Exam, Course).join(Course, Course.id == Exam.course_id)
            .order_by(Exam.code).limit(limit))
    if after is not None:
        stmt = stmt.where(Exam.code > after)
    if course_code is not None:
        stmt = stmt.where(Course.code == course_code)
    return [(e, c) for e, c in (await session.execute(stmt)).tuples()]


async def existing_job_roles(session: AsyncSession, codes: set[str]) -> set[str]:
    rows = await session.execute(select(JobRole.code).where(JobRole.code.in_(codes)))
    return set(rows.scalars())
