"""Skill applications in production: submitted by the employee, decided by a
manager of their department or HR."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response

from services.training_api.clients.points import PointsAPI
from services.training_api.facts.errors import (
    EmployeeLeft,
    FactIsVoided,
    FactNotFound,
    NotYourDepartment,
)
from services.training_api.facts.feedback import respond
from services.training_api.facts.models import ApplicationStatus
from services.training_api.facts.routes import add_fact_routes
from services.training_api.org.errors import UnknownSkill
from services.training_api.org.schemas import CODE_PATTERN
from services.training_api.skill_applications import schemas
from services.training_api.skill_applications.errors import (
    AlreadyDecided,
    NoConfirmationRule,
    PointsOutOfRange,
    SelfConfirmation,
)
from services.training_api.skill_applications.service import skill_applications
from shared.auth import Principal, require_roles
from shared.db import DBSession
from shared.errors import DependencyUnavailable, problems
from shared.routing import APIRouter

router = APIRouter(prefix="/training/v1", tags=["skill applications"])
Decider = Annotated[Principal, Depends(require_roles("manager", "hr_admin"))]
DECISION_PROBLEMS = (FactNotFound, SelfConfirmation, NotYourDepartment, AlreadyDecided,
                     FactIsVoided, EmployeeLeft)


async def application_filters(
    status: ApplicationStatus | None = None,
    skill_code: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
) -> dict[str, Any]:
    return {"status": status, "skill_code": skill_code}


add_fact_routes(
    router, path="/skill-applications", noun="skill_application", plural="skill_applications",
    record_verb="submit", service=skill_applications, create=schemas.SkillApplicationCreate,
    read=schemas.SkillApplication, recorded=schemas.SkillApplicationRecorded,
    extra_filters=application_filters, record_problems=(UnknownSkill,),
    record_summary="Submit a skill application",
    record_doc=(
        "An employee applied a skill in production (lower defect rate, higher efficiency) "
        "and submits the evidence: what was done, the metric before and after, optionally a "
        "work-order reference and the skill. Only the employee themself submits "
        "(``employee_no`` equal to the token's subject). The application waits in status "
        "``submitted`` for a manager's decision, so ``points.status`` is ``none``. 201; 200 "
        "for a replay under the same ``client_id``."),
)


@router.post("/skill-applications/{application_id}/confirm",
             response_model=schemas.SkillApplicationRecorded,
             operation_id="confirm_skill_application", summary="Confirm a skill application",
             responses=problems(*DECISION_PROBLEMS, NoConfirmationRule, PointsOutOfRange,
                                    DependencyUnavailable))
async def confirm_skill_application(
    application_id: uuid.UUID, body: schemas.SkillApplicationConfirm, session: DBSession,
    principal: Decider, points_api: PointsAPI, request: Request, response: Response,
) -> schemas.SkillApplicationRecorded:
    """A ``manager`` whose token's departments include the employee's (sub-departments
    count) or ``hr_admin`` confirms with the points they choose. The points must lie in
    the range of the rule points_api applies (422 ``points-out-of-range`` names it;
    409 ``no-confirmation-rule`` when none applies; 503 with Retry-After when
    points_api cannot answer). Nobody confirms their own (403 ``self-confirmation``);
    a decided application answers 409 ``already-decided``."""
    change = await skill_applications.confirm(session, application_id, body,
                                              principal=principal, points_api=points_api)
    return await respond(session, request, response, change, schemas.SkillApplicationRecorded)


@router.post("/skill-applications/{application_id}/reject",
             response_model=schemas.SkillApplicationRecorded,
             operation_id="reject_skill_application", summary="Reject a skill application",
             responses=problems(*DECISION_PROBLEMS))
async def reject_skill_application(
    application_id: uuid.UUID, body: schemas.SkillApplicationReject, session: DBSession,
    principal: Decider, request: Request, response: Response,
) -> schemas.SkillApplicationRecorded:
    """Rejected with a reason by the same people who may confirm; it earns nothing
    (``points.status`` is ``none``). A decided application answers 409."""
    change = await skill_applications.reject(session, application_id, body, principal=principal)
    return await respond(session, request, response, change, schemas.SkillApplicationRecorded)
