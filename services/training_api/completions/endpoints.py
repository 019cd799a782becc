"""Course completions: recorded by HR, an integration (the LMS) or an assessor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from services.training_api.completions import schemas
from services.training_api.completions.errors import HoursExceedClassHours
from services.training_api.completions.service import completions
from services.training_api.courses.errors import CourseArchived, UnknownCourse
from services.training_api.facts.routes import add_fact_routes
from services.training_api.org.schemas import CODE_PATTERN
from shared.routing import APIRouter

router = APIRouter(prefix="/training/v1", tags=["course completions"])


async def completion_filters(
    course_code: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
) -> dict[str, Any]:
    return {"course_code": course_code}


add_fact_routes(
    router, path="/course-completions", noun="course_completion", plural="course_completions",
    service=completions, create=schemas.CourseCompletionCreate, read=schemas.CourseCompletion,
    recorded=schemas.CourseCompletionRecorded, extra_filters=completion_filters,
    record_problems=(UnknownCourse, CourseArchived, HoursExceedClassHours),
    record_summary="Record a course completion",
    record_doc=(
        "An employee completed a course (完成课程). Recorded by ``hr_admin``, "
        "``integration`` (the learning platform) or ``assessor``; nobody records their own. "
        "The course must exist (409 ``unknown-course``) and not be archived (409 "
        "``course-archived``); the employee must exist and not have left. "
        "``hours_attended`` may not exceed the course's class hours. 201 with the "
        "record and ``points`` (the points earned when points_api answers in time, else "
        "``pending``); 200 for a replay under the same ``client_id``."),
)
