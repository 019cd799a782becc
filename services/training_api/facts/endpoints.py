"""Actions on any training fact, whatever its kind."""

from __future__ import annotations

import uuid

from fastapi import Request, Response

from services.training_api.facts.errors import FactAlreadyVoided, FactNotFound
from services.training_api.facts.feedback import respond
from services.training_api.facts.schemas import VoidedFact, VoidRequest
from services.training_api.facts.service import voiding
from shared.auth import HRAdmin
from shared.db import DBSession
from shared.errors import problems
from shared.routing import APIRouter

router = APIRouter(prefix="/training/v1", tags=["training records"])


@router.post("/facts/{fact_id}/void", response_model=VoidedFact, operation_id="void_fact",
             summary="Void a training record entered by mistake",
             responses=problems(FactNotFound, FactAlreadyVoided))
async def void_fact(fact_id: uuid.UUID, body: VoidRequest, session: DBSession,
                    principal: HRAdmin, request: Request, response: Response) -> VoidedFact:
    """HR voids any training record (completion, interaction, note, exam attempt,
    practical assessment, skill application) by its id, with a reason. The record
    stays, marked voided; points_api reverses the points it earned with
    compensating entries (``points`` shows them when it answers in time); skills
    that only this record proved are no longer held. Voiding twice is a 409."""
    change = await voiding.void(session, fact_id, reason=body.reason, actor=principal.sub)
    return await respond(session, request, response, change, VoidedFact)
