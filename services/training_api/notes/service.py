"""Study notes shared in the community (学习笔记) and their review."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.facts import repository as repo
from services.training_api.facts.errors import FactNotFound
from services.training_api.facts.models import StudyNote
from services.training_api.facts.repository import EmployeeRef
from services.training_api.facts.service import (
    Built,
    Change,
    FactKind,
    active_employee,
    check_not_voided,
    publish,
)
from services.training_api.notes.errors import AlreadyReviewed, SelfReview
from services.training_api.notes.schemas import NoteReview, StudyNoteCreate
from shared.auth import Principal
from shared.contracts.training_events import NoteReviewed, NoteShared


class NoteService(FactKind[StudyNote, StudyNoteCreate]):
    model = StudyNote
    label = "Study notes"
    recorders = ("hr_admin", "integration")
    self_service = True

    async def build(self, session: AsyncSession, fact_id: uuid.UUID, data: StudyNoteCreate, *,
                    employee: EmployeeRef, principal: Principal,
                    historical: bool = False) -> Built[StudyNote]:
        fact = StudyNote(title=data.title, body=data.body, url=data.url,
                         occurred_at=data.shared_at)
        event = NoteShared(fact_id=str(fact_id), employee_no=employee.employee_no,
                           occurred_at=data.shared_at, title=data.title)
        return Built(fact=fact, event=event)

    async def review(self, session: AsyncSession, note_id: uuid.UUID, data: NoteReview, *,
                     principal: Principal) -> Change[StudyNote]:
        """Review a note once, as standard or featured; the review is its own event,
        so a featured note earns its extra points when it is featured."""
        note = await repo.get_fact(session, StudyNote, note_id, for_update=True)
        if note is None:
            raise FactNotFound(f"No study note {note_id}")
        if note.employee_no == principal.sub:
            raise SelfReview("Another assessor or HR reviews your note")
        check_not_voided(note)
        if note.reviewed_at is not None:
            raise AlreadyReviewed(f"Note {note_id} was reviewed by {note.reviewed_by} "
                                  f"on {note.reviewed_at:%Y-%m-%d}")
        await active_employee(session, note.employee_no)
        now = datetime.now(UTC)
        note.reviewed_at, note.reviewed_by, note.featured = now, principal.sub, data.featured
        await session.flush()
        events = await publish(session, NoteReviewed(
            fact_id=str(note.id), employee_no=note.employee_no, occurred_at=now,
            title=note.title, featured=data.featured, reviewer=principal.sub))
        return Change(fact=note, events=events)


notes = NoteService()
