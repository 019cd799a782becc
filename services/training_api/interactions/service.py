"""Live-class interactions (直播课发言、提问)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.courses import repository as course_repo
from services.training_api.courses.errors import UnknownCourse
from services.training_api.facts.models import LiveInteraction
from services.training_api.facts.repository import EmployeeRef
from services.training_api.facts.service import Built, FactKind
from services.training_api.interactions.schemas import LiveInteractionCreate
from shared.auth import Principal
from shared.contracts.training_events import LiveInteraction as LiveInteractionEvent


class InteractionService(FactKind[LiveInteraction, LiveInteractionCreate]):
    model = LiveInteraction
    label = "Live interactions"
    recorders = ("integration", "hr_admin")

    async def build(self, session: AsyncSession, fact_id: uuid.UUID,
                    data: LiveInteractionCreate, *, employee: EmployeeRef,
                    principal: Principal, historical: bool = False) -> Built[LiveInteraction]:
        title = None
        if data.course_code is not None:
            course = await course_repo.get_course(session, data.course_code)
            if course is None:
                raise UnknownCourse(f"Course {data.course_code!r} does not exist")
            title = course.title
        fact = LiveInteraction(course_code=data.course_code, kind=data.kind,
                               occurred_at=data.occurred_at)
        event = LiveInteractionEvent(
            fact_id=str(fact_id), employee_no=employee.employee_no, occurred_at=data.occurred_at,
            kind=data.kind, course_code=data.course_code, course_title=title)
        return Built(fact=fact, event=event)


interactions = InteractionService()
