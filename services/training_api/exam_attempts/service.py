"""Exam attempts (考试成绩). A passed attempt proves the skills its course teaches, at
the level HR maps a pass of the exam to, or else at the level the course teaches."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.courses import repository as course_repo
from services.training_api.courses.errors import UnknownExam
from services.training_api.exam_attempts.schemas import ExamAttemptCreate
from services.training_api.facts.models import ExamAttempt
from services.training_api.facts.repository import EmployeeRef
from services.training_api.facts.service import Built, FactKind
from shared.auth import Principal
from shared.contracts.training_events import ExamAttempted


class ExamAttemptService(FactKind[ExamAttempt, ExamAttemptCreate]):
    model = ExamAttempt
    label = "Exam attempts"
    recorders = ("assessor", "hr_admin", "integration")

    async def build(self, session: AsyncSession, fact_id: uuid.UUID, data: ExamAttemptCreate,
                    *, employee: EmployeeRef, principal: Principal,
                    historical: bool = False) -> Built[ExamAttempt]:
        found = await course_repo.get_exam(session, data.exam_code)
        if found is None:
            raise UnknownExam(f"Exam {data.exam_code!r} does not exist")
        exam, course = found
        passed = data.score >= exam.pass_score
        proves: dict[str, int] = {}
        if passed:
            proves = {code: exam.pass_level or level for code, _, level in
                      (await course_repo.course_skills(session, [course.id]))[course.id]}
        fact = ExamAttempt(exam_code=exam.code, score=data.score, pass_score=exam.pass_score,
                           passed=passed, occurred_at=data.attempted_at)
        event = ExamAttempted(
            fact_id=str(fact_id), employee_no=employee.employee_no, occurred_at=data.attempted_at,
            exam_code=exam.code, exam_title=exam.title, course_code=course.code,
            course_title=course.title, score=data.score, pass_score=exam.pass_score)
        return Built(fact=fact, event=event, proves=proves)


exam_attempts = ExamAttemptService()
