"""The course catalogue: courses (with the skills they teach and their points
values) and the exams that belong to them."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.courses import repository as repo
from services.training_api.courses import schemas
from services.training_api.courses.errors import (
    CourseNotFound,
    ExamNotFound,
    PrerequisiteCycle,
    SkillListedTwice,
    UnknownCourse,
)
from services.training_api.courses.models import Course, Exam
from services.training_api.org import repository as org_repo
from services.training_api.org.errors import UnknownJobRole, UnknownSkill
from shared.errors import FieldError


class CourseService:
    async def upsert(self, session: AsyncSession, code: str, *,
                     data: schemas.CourseUpsert) -> tuple[schemas.Course, bool]:
        """Create or update a course and replace the skills it teaches and its
        prerequisites. Archiving is its own action: an upsert neither archives nor
        restores."""
        for name in ("teaches", "prerequisite_skills"):
            codes = [t.skill_code for t in getattr(data, name)]
            if len(set(codes)) != len(codes):
                raise SkillListedTwice(f"{name} names a skill twice", errors=[FieldError(
                    pointer=f"#/{name}", detail="names a skill twice")])
        taught = {t.skill_code: t.level for t in data.teaches}
        needed = {t.skill_code: t.level for t in data.prerequisite_skills}
        skills = await org_repo.skills_by_code(session, set(taught) | set(needed))
        missing = [c for c in [*taught, *needed] if c not in skills]
        if missing:
            raise UnknownSkill(f"Unknown skill code(s): {', '.join(dict.fromkeys(missing))}")
        await self._check_roles(session, set(data.role_points) | set(data.open_to_job_roles))
        values = {"title": data.title, "format": data.format, "difficulty": data.difficulty,
                  "class_hours": data.class_hours, "tags": data.tags, "points": data.points,
                  "role_points": data.role_points, "family_points": data.family_points,
                  "description": data.description, "open_to_job_roles": data.open_to_job_roles,
                  "open_to_families": data.open_to_families}
        course = await repo.get_course(session, code, for_update=True)
        created = course is None
        if course is None:
            course = Course(code=code, **values)
            session.add(course)
        else:
            for field, value in values.items():
                setattr(course, field, value)
        await session.flush()
        await repo.replace_course_skills(session, course.id,
                                         {skills[c].id: level for c, level in taught.items()})
        await repo.replace_prerequisites(
            session, course.id, courses=await self._prerequisite_ids(session, course, data),
            skills={skills[c].id: level for c, level in needed.items()})
        await session.refresh(course)
        return (await self._out(session, [course]))[0], created

    async def _prerequisite_ids(self, session: AsyncSession, course: Course,
                                data: schemas.CourseUpsert) -> list[int]:
        """The prerequisite courses' ids: each must exist (409 ``unknown-course``) and
        none may lead back to this course (409 ``prerequisite-cycle``)."""
        ids = await repo.course_ids(session, set(data.prerequisites))
        missing = [c for c in data.prerequisites if c not in ids]
        if missing:
            raise UnknownCourse(f"Unknown prerequisite course(s): {', '.join(missing)}")
        if course.id in await repo.prerequisite_ancestors(session, list(ids.values())):
            raise PrerequisiteCycle(
                f"{course.code} would (indirectly) be its own prerequisite; prerequisites "
                "must lead to earlier courses only")
        return list(ids.values())

    async def get(self, session: AsyncSession, code: str) -> schemas.Course:
        return (await self._out(session, [await self._find(session, code)]))[0]

    async def list(self, session: AsyncSession, filters: repo.CourseFilters, *,
                   after: str | None, limit: int) -> tuple[list[schemas.Course], str | None]:
        rows = await repo.list_courses(session, filters, after=after, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return await self._out(session, rows), (rows[-1].code if more else None)

    async def archive(self, session: AsyncSession, code: str, *, actor: str) -> schemas.Course:
        """Archived courses stay readable but take no new completions. Archiving an
        archived course changes nothing."""
        course = await self._find(session, code, for_update=True)
        if course.archived_at is None:
            course.archived_at, course.archived_by = datetime.now(UTC), actor
            await session.flush()
            await session.refresh(course)
        return (await self._out(session, [course]))[0]

    async def _find(self, session: AsyncSession, code: str, *, for_update: bool = False) -> Course:
        course = await repo.get_course(session, code, for_update=for_update)
        if course is None:
            raise CourseNotFound(f"No course with code {code!r}")
        return course

    async def _check_roles(self, session: AsyncSession, codes: set[str]) -> None:
        if not codes:
            return
        missing = sorted(codes - await repo.existing_job_roles(session, codes))
        if missing:
            raise UnknownJobRole(f"Unknown job role code(s): {', '.join(missing)}")

    async def _out(
        self, session: AsyncSession, courses: builtins.list[Course]
    ) -> builtins.list[schemas.Course]:
        skills = await repo.course_skills(session, [c.id for c in courses])
        before, levels_before = await repo.prerequisites(session, [c.id for c in courses])
        return [schemas.Course(
            code=c.code, title=c.title, format=c.format, difficulty=c.difficulty,
            class_hours=c.class_hours, tags=c.tags, points=c.points, role_points=c.role_points,
            family_points=c.family_points, description=c.description,
            archived=c.archived_at is not None, archived_at=c.archived_at,
            archived_by=c.archived_by, created_at=c.created_at, updated_at=c.updated_at,
            skills=[schemas.SkillRef(code=code, name=name, level=level)
                    for code, name, level in skills[c.id]],
            teaches=[schemas.TaughtSkillOut(skill_code=code, skill_name=name, level=level)
                     for code, name, level in skills[c.id]],
            prerequisites=before[c.id],
            prerequisite_skills=[schemas.TaughtSkillOut(skill_code=code, skill_name=name,
                                                        level=level)
                                 for code, name, level in levels_before[c.id]],
            open_to_job_roles=c.open_to_job_roles, open_to_families=c.open_to_families,
        ) for c in courses]


def _exam_out(exam: Exam, course: Course) -> schemas.Exam:
    return schemas.Exam(code=exam.code, course_code=course.code, course_title=course.title,
                        title=exam.title, pass_score=exam.pass_score, pass_level=exam.pass_level,
                        created_at=exam.created_at, updated_at=exam.updated_at)


class ExamService:
    async def upsert(self, session: AsyncSession, code: str, *,
                     data: schemas.ExamUpsert) -> tuple[schemas.Exam, bool]:
        """Create or update an exam. A new pass score applies to later attempts only:
        each attempt keeps the pass score it was judged by."""
        course = await repo.get_course(session, data.course_code)
        if course is None:
            raise UnknownCourse(f"Course {data.course_code!r} does not exist")
        found = await repo.get_exam(session, code)
        if found is None:
            exam = Exam(code=code, course_id=course.id, title=data.title,
                        pass_score=data.pass_score, pass_level=data.pass_level)
            session.add(exam)
        else:
            exam = found[0]
            exam.course_id, exam.title, exam.pass_score = course.id, data.title, data.pass_score
            exam.pass_level = data.pass_level
        await session.flush()
        await session.refresh(exam)
        return _exam_out(exam, course), found is None

    async def get(self, session: AsyncSession, code: str) -> schemas.Exam:
        found = await repo.get_exam(session, code)
        if found is None:
            raise ExamNotFound(f"No exam with code {code!r}")
        return _exam_out(*found)

    async def list(self, session: AsyncSession, *, course_code: str | None, after: str | None,
                   limit: int) -> tuple[list[schemas.Exam], str | None]:
        rows = await repo.list_exams(session, course_code=course_code, after=after,
                                     limit=limit + 1)
        items = [_exam_out(e, c) for e, c in rows[:limit]]
        return items, (items[-1].code if len(rows) > limit else None)


courses = CourseService()
exams = ExamService()
