"""Live-class interactions: recorded by the live-class platform (integration) or HR."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from services.training_api.courses.errors import UnknownCourse
from services.training_api.facts.routes import add_fact_routes
from services.training_api.interactions import schemas
from services.training_api.interactions.service import interactions
from services.training_api.org.schemas import CODE_PATTERN
from shared.routing import APIRouter

router = APIRouter(prefix="/training/v1", tags=["live interactions"])


async def interaction_filters(
    course_code: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    kind: schemas.InteractionKind | None = None,
) -> dict[str, Any]:
    return {"course_code": course_code, "kind": kind}


add_fact_routes(
    router, path="/live-interactions", noun="live_interaction", plural="live_interactions",
    service=interactions, create=schemas.LiveInteractionCreate, read=schemas.LiveInteraction,
    recorded=schemas.LiveInteractionRecorded, extra_filters=interaction_filters,
    record_problems=(UnknownCourse,),
    record_summary="Record a live-class interaction",
    record_doc=(
        "An employee spoke or asked a question in a live class. Recorded by "
        "``integration`` (the live-class platform) or ``hr_admin``. Points are capped per "
        "day by the rules, so a flood of interactions does not pay without limit. 201 with "
        "``points``; 200 for a replay under the same ``client_id``."),
)
