"""Study notes: shared by the employee themself (or pushed by the community
platform or HR), reviewed by an assessor or HR."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from services.training_api.facts.errors import EmployeeLeft, FactIsVoided, FactNotFound
from services.training_api.facts.feedback import respond
from services.training_api.facts.routes import add_fact_routes
from services.training_api.notes import schemas
from services.training_api.notes.errors import AlreadyReviewed, SelfReview
from services.training_api.notes.service import notes
from shared.auth import Principal, require_roles
from shared.db import DBSession
from shared.errors import problems
from shared.routing import APIRouter

router = APIRouter(prefix="/training/v1", tags=["study notes"])
Reviewer = Annotated[Principal, Depends(require_roles("assessor", "hr_admin"))]

add_fact_routes(
    router, path="/notes", noun="note", plural="notes", service=notes,
    create=schemas.StudyNoteCreate, read=schemas.StudyNote, recorded=schemas.StudyNoteRecorded,
    record_summary="Share a study note",
    record_doc=(
        "An employee shared study notes in the internal community (学习笔记). Recorded by "
        "the employee themself (``employee_no`` equal to the token's subject), or for anyone "
        "by ``integration`` (the community platform) or ``hr_admin``. The note needs a body "
        "or a url. Notes per week are capped by the rules. 201 with ``points``; 200 for a "
        "replay under the same ``client_id``."),
)


@router.post("/notes/{note_id}/review", response_model=schemas.StudyNoteRecorded,
             operation_id="review_note", summary="Review a study note",
             responses=problems(FactNotFound, SelfReview, AlreadyReviewed, FactIsVoided,
                                    EmployeeLeft))
async def review_note(note_id: uuid.UUID, body: schemas.NoteReview, session: DBSession,
                      principal: Reviewer, request: Request,
                      response: Response) -> schemas.StudyNoteRecorded:
    """An ``assessor`` or ``hr_admin`` reviews a note once (409 ``already-reviewed``
    the second time), as standard or featured (精华); nobody reviews their own note
    (403 ``self-review``). The answer carries ``points``: what the review earned."""
    change = await notes.review(session, note_id, body, principal=principal)
    return await respond(session, request, response, change, schemas.StudyNoteRecorded)
