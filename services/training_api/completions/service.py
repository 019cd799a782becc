"""Course completions (完成课程)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import DateTime, String, and_, bindparam, exists, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.completions.errors import HoursExceedClassHours
from services.training_api.completions.schemas import CourseCompletionCreate
from services.training_api.courses import repository as course_repo
from services.training_api.courses.errors import CourseArchived, UnknownCourse
from services.training_api.courses.models import Course
from services.training_api.facts.models import CourseCompletion
from services.training_api.facts.repository import EmployeeRef
from services.training_api.facts.service import Built, FactKind
from services.training_api.models import Employee
from shared.auth import Principal
from shared.contracts.events import EmployeeStatus
from shared.contracts.training_events import CourseCompleted
from shared.db import DriverConnection, RowAttributes, prebuild
from shared.errors import FieldError


class CompletionService(FactKind[CourseCompletion, CourseCompletionCreate]):
    model = CourseCompletion
    label = "Course completions"
    recorders = ("hr_admin", "integration", "assessor")

    async def build(self, session: AsyncSession, fact_id: uuid.UUID,
                    data: CourseCompletionCreate, *, employee: EmployeeRef,
                    principal: Principal, historical: bool = False) -> Built[CourseCompletion]:
        course = await course_repo.get_course(session, data.course_code)
        if course is None:
            raise UnknownCourse(f"Course {data.course_code!r} does not exist")
        if course.archived_at is not None and not historical:
            raise CourseArchived(f"Course {course.code} ({course.title}) was archived on "
                                 f"{course.archived_at:%Y-%m-%d}; it takes no new completions")
        if data.hours_attended is not None and data.hours_attended > course.class_hours:
            raise HoursExceedClassHours(
                f"{course.title} has {course.class_hours} class hours",
                errors=[FieldError(pointer="#/hours_attended",
                                   detail=f"must be at most {course.class_hours}")])
        return self._built(fact_id, data, course, employee.employee_no)

    # the recording is written only while the employee has not left and the course is
    # as it was read (its updated_at, which every change of a course moves) and active
    driver_guard = and_(
        exists().where(Employee.employee_no == bindparam("g_employee_no", type_=String),
                       Employee.status != EmployeeStatus.LEFT),
        exists().where(Course.code == bindparam("g_course_code", type_=String),
                       Course.updated_at == bindparam("g_course_version",
                                                      type_=DateTime(timezone=True)),
                       Course.archived_at.is_(None)))

    def __init__(self) -> None:
        # courses as last read, by code: the recording statement's guard tells whether
        # one is still current, so a recording of a known course is one statement
        self._courses: dict[str, RowAttributes] = {}

    async def build_on_driver(
        self, db: DriverConnection, fact_id: uuid.UUID, data: CourseCompletionCreate,
    ) -> tuple[Built[CourseCompletion], dict[str, Any]] | None:
        """The course as last read, or the employee and the course in one statement;
        None unless the employee is there and has not left, the course is there and
        not archived, and the hours fit its class hours."""
        course = self._courses.get(data.course_code)
        if course is None:
            found = await db.first(_EMPLOYEE_AND_COURSE, employee_no=data.employee_no,
                                   course_code=data.course_code)
            if (found is None or found["employee_status"] in (None, "left")
                    or found["code"] is None or found["archived_at"] is not None):
                return None
            if len(self._courses) >= KNOWN_COURSES:
                self._courses.clear()
            course = self._courses[data.course_code] = RowAttributes(found)
        if data.hours_attended is not None and data.hours_attended > course.class_hours:
            return None
        return (self._built(fact_id, data, course, data.employee_no),
                {"g_employee_no": data.employee_no, "g_course_code": course.code,
                 "g_course_version": course.updated_at})

    def driver_miss(self, data: CourseCompletionCreate) -> None:
        self._courses.pop(data.course_code, None)

    @staticmethod
    def _built(fact_id: uuid.UUID, data: CourseCompletionCreate, course: Any,
               employee_no: str) -> Built[CourseCompletion]:
        fact = CourseCompletion(course_code=course.code, occurred_at=data.completed_at,
                                hours_attended=data.hours_attended)
        event = CourseCompleted(
            fact_id=str(fact_id), employee_no=employee_no, occurred_at=data.completed_at,
            course_code=course.code, course_title=course.title, course_format=course.format,
            course_difficulty=course.difficulty, class_hours=course.class_hours,
            hours_attended=data.hours_attended, course_tags=course.tags,
            course_points=course.points, course_role_points=course.role_points,
            course_family_points=course.family_points)
        return Built(fact=fact, event=event)


# courses a process keeps as last read (all of them, in any plant we know of)
KNOWN_COURSES = 2000
# what the recording checks, in one round trip (a row even when neither is there)
_EMPLOYEE_AND_COURSE = prebuild(text("""
    SELECT e.status AS employee_status, c.code, c.title, c.format, c.difficulty,
           c.class_hours, c.tags, c.points, c.role_points, c.family_points, c.archived_at,
           c.updated_at
    FROM (SELECT 1) AS one
    LEFT JOIN employee e ON e.employee_no = :employee_no
    LEFT JOIN course c ON c.code = :course_code"""))

completions = CompletionService()
