"""Exam attempts: recorded by assessors, HR or the exam system (integration)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from services.training_api.courses.errors import UnknownExam
from services.training_api.exam_attempts import schemas
from services.training_api.exam_attempts.service import exam_attempts
from services.training_api.facts.routes import add_fact_routes
from services.training_api.org.schemas import CODE_PATTERN
from shared.routing import APIRouter

router = APIRouter(prefix="/training/v1", tags=["exam attempts"])


async def attempt_filters(
    exam_code: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    passed: bool | None = None,
) -> dict[str, Any]:
    return {"exam_code": exam_code, "passed": passed}


add_fact_routes(
    router, path="/exam-attempts", noun="exam_attempt", plural="exam_attempts",
    service=exam_attempts, create=schemas.ExamAttemptCreate, read=schemas.ExamAttempt,
    recorded=schemas.ExamAttemptRecorded, extra_filters=attempt_filters,
    record_problems=(UnknownExam,),
    record_summary="Record an exam attempt",
    record_doc=(
        "An employee's score (0-100) in an exam. Recorded by ``assessor``, ``hr_admin`` or "
        "``integration`` (the exam system); nobody records their own. The attempt passes "
        "when the score reaches the exam's pass score, and a passed attempt gives the "
        "employee the skills the exam's course teaches. Retakes are new attempts; the "
        "rules pay the best result once. 201 with ``points``; 200 for a replay."),
)
