"""Courses and exams (the training catalogue)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response

from services.training_api.courses import schemas
from services.training_api.courses.errors import (
    CourseNotFound,
    ExamNotFound,
    PrerequisiteCycle,
    UnknownCourse,
)
from services.training_api.courses.repository import CourseFilters
from services.training_api.courses.service import courses, exams
from services.training_api.org.errors import UnknownJobRole, UnknownSkill
from services.training_api.org.schemas import CODE_PATTERN
from shared.auth import CurrentUser, OrgWriter
from shared.contracts.training_events import CourseDifficulty, CourseFormat
from shared.db import DBSession
from shared.errors import problems
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    decode_keyset,
    encode_cursor,
    text_key,
)
from shared.routing import APIRouter, created_or_ok, upsert_responses

router = APIRouter(prefix="/training/v1", tags=["courses"])
CodePath = Annotated[str, Path(pattern=CODE_PATTERN, description="Course or exam code")]


@router.put("/courses/{code}", response_model=schemas.Course, operation_id="upsert_course",
            summary="Create or update a course",
            responses=upsert_responses(schemas.Course, UnknownSkill, UnknownJobRole, UnknownCourse,
                                       PrerequisiteCycle))
async def upsert_course(code: CodePath, body: schemas.CourseUpsert, session: DBSession,
                        _: OrgWriter, response: Response) -> schemas.Course:
    """Idempotent upsert by course code (201 when created, 200 otherwise), by HR or
    an integration. ``teaches`` (or its shorthand ``skill_codes``, level 1) replaces
    the skills the course teaches and the level it brings the learner to;
    ``prerequisites`` and ``prerequisite_skills`` replace what must come first, so
    that progressions are data. Every skill (409 ``unknown-skill``), job role in
    ``role_points`` or ``open_to_job_roles`` (409 ``unknown-job-role``) and
    prerequisite course (409 ``unknown-course``) must exist, and prerequisites may
    not lead back to the course (409 ``prerequisite-cycle``). An archived course
    stays archived."""
    course, created = await courses.upsert(session, code, data=body)
    created_or_ok(response, created)
    return course


@router.get("/courses/{code}", response_model=schemas.Course, operation_id="get_course",
            summary="Get a course", responses=problems(CourseNotFound))
async def get_course(code: CodePath, session: DBSession, _: CurrentUser) -> schemas.Course:
    """One course with the skills it teaches, archived or not."""
    return await courses.get(session, code)


@router.get("/courses", response_model=Page[schemas.Course], operation_id="list_courses",
            summary="List courses")
async def list_courses(
    session: DBSession, _: CurrentUser, limit: Limit = 50, cursor: Cursor = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    format: CourseFormat | None = None,  # noqa: A002 - the field's name in the API
    difficulty: CourseDifficulty | None = None,
    archived: Annotated[bool | None,
                        Query(description="Only archived (true) or current (false)")] = None,
) -> Page[schemas.Course]:
    """Courses ordered by code, filtered by tag, format, difficulty and archived state."""
    after = decode_keyset(cursor, text_key)
    filters = CourseFilters(tag=tag, format=format, difficulty=difficulty, archived=archived)
    items, last = await courses.list(session, filters, after=after[0] if after else None,
                                     limit=limit)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)


@router.post("/courses/{code}/archive", response_model=schemas.Course,
             operation_id="archive_course", summary="Archive a course",
             responses=problems(CourseNotFound))
async def archive_course(code: CodePath, session: DBSession,
                         principal: OrgWriter) -> schemas.Course:
    """Courses are archived, never deleted: the course and its records stay readable,
    and new completions of it are refused (409 ``course-archived``). Archiving an
    archived course answers 200 and changes nothing."""
    return await courses.archive(session, code, actor=principal.sub)


@router.put("/exams/{code}", response_model=schemas.Exam, operation_id="upsert_exam",
            summary="Create or update an exam",
            responses=upsert_responses(schemas.Exam, UnknownCourse))
async def upsert_exam(code: CodePath, body: schemas.ExamUpsert, session: DBSession,
                      _: OrgWriter, response: Response) -> schemas.Exam:
    """Idempotent upsert by exam code. The exam belongs to a course (409
    ``unknown-course`` if it does not exist); a score at or above ``pass_score``
    passes and proves the course's skills."""
    exam, created = await exams.upsert(session, code, data=body)
    created_or_ok(response, created)
    return exam


@router.get("/exams/{code}", response_model=schemas.Exam, operation_id="get_exam",
            summary="Get an exam", responses=problems(ExamNotFound))
async def get_exam(code: CodePath, session: DBSession, _: CurrentUser) -> schemas.Exam:
    """One exam with its course and pass score."""
    return await exams.get(session, code)


@router.get("/exams", response_model=Page[schemas.Exam], operation_id="list_exams",
            summary="List exams")
async def list_exams(
    session: DBSession, _: CurrentUser, limit: Limit = 50, cursor: Cursor = None,
    course_code: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
) -> Page[schemas.Exam]:
    """Exams ordered by code, optionally of one course."""
    after = decode_keyset(cursor, text_key)
    items, last = await exams.list(session, course_code=course_code,
                                   after=after[0] if after else None, limit=limit)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)
