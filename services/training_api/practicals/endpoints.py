"""Practical skill assessments: recorded by the assessor who assessed, or HR."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from services.training_api.facts.routes import add_fact_routes
from services.training_api.org.errors import UnknownSkill
from services.training_api.org.schemas import CODE_PATTERN
from services.training_api.practicals import schemas
from services.training_api.practicals.service import practicals
from shared.routing import APIRouter

router = APIRouter(prefix="/training/v1", tags=["practical assessments"])


async def practical_filters(
    skill_code: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    passed: bool | None = None,
) -> dict[str, Any]:
    return {"skill_code": skill_code, "passed": passed}


add_fact_routes(
    router, path="/practical-assessments", noun="practical_assessment",
    plural="practical_assessments", service=practicals,
    create=schemas.PracticalAssessmentCreate, read=schemas.PracticalAssessment,
    recorded=schemas.PracticalAssessmentRecorded, extra_filters=practical_filters,
    record_problems=(UnknownSkill,),
    record_summary="Record a practical skill assessment",
    record_doc=(
        "The result (pass or fail) of a practical assessment of one skill, such as "
        "equipment set-up or product inspection. Recorded by ``assessor`` or ``hr_admin``; "
        "the assessor is the token's subject, and nobody assesses themself. A pass gives the "
        "employee the skill. 201 with ``points``; 200 for a replay."),
)
