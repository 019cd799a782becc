"""Feedback (意见反馈) on rules, courses or rewards: filed by employees, listed,
tagged and closed by HR. Closing is final; tags can change at any time."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.facts.errors import ClientIdConflict, EmployeeLeft, UnknownEmployee
from services.training_api.feedback import repository as repo
from services.training_api.feedback import schemas
from services.training_api.feedback.errors import (
    FeedbackClosed,
    FeedbackForOthers,
    FeedbackNotFound,
)
from services.training_api.feedback.models import Feedback, FeedbackStatus
from shared.auth import Principal
from shared.contracts.events import EmployeeStatus

PROXY_ROLES = ("hr_admin", "integration")
READERS = ("hr_admin", "auditor")


def _out(row: repo.FeedbackView) -> schemas.Feedback:
    fb, name, dept_code, dept_name = row
    return schemas.Feedback(
        id=fb.id, employee_no=fb.employee_no, employee_name=name, department_code=dept_code,
        department_name=dept_name, topic=fb.topic, subject=fb.subject, text=fb.body,
        tags=list(fb.tags), status=fb.status, created_at=fb.created_at,
        recorded_by=fb.recorded_by, tagged_by=fb.tagged_by, closed_at=fb.closed_at,
        closed_by=fb.closed_by, resolution=fb.resolution)


class FeedbackService:
    async def submit(self, session: AsyncSession, data: schemas.FeedbackCreate, *,
                     principal: Principal) -> tuple[schemas.Feedback, bool]:
        """File feedback (created), or return the one filed before under the same
        client id with the same content (not created)."""
        employee_no = data.employee_no or principal.sub
        if employee_no != principal.sub and not principal.has(*PROXY_ROLES):
            raise FeedbackForOthers("You can give feedback for yourself only")
        if data.client_id is not None:
            existing = await repo.by_client_id(session, employee_no, data.client_id)
            if existing is not None:
                fb = existing[0]
                if (fb.topic, fb.subject, fb.body) != (data.topic, data.subject, data.text):
                    raise ClientIdConflict(f"client_id {data.client_id} was used for other "
                                           "feedback")
                return _out(existing), False
        author = await repo.author(session, employee_no)
        if author is None:
            raise UnknownEmployee(f"Employee {employee_no!r} does not exist")
        if author.status == EmployeeStatus.LEFT:
            raise EmployeeLeft(f"Employee {employee_no!r} has left")
        fb = Feedback(employee_no=employee_no, department_id=author.department_id,
                      client_id=data.client_id, topic=data.topic, subject=data.subject,
                      body=data.text, tags=[], status=FeedbackStatus.OPEN,
                      recorded_by=principal.sub)
        session.add(fb)
        await session.flush()
        return await self._view(session, fb.id), True

    async def get(self, session: AsyncSession, feedback_id: int, *,
                  principal: Principal) -> schemas.Feedback:
        """HR and auditors read all feedback, employees their own; others get 404."""
        row = await repo.get_view(session, feedback_id)
        if row is None or not (principal.has(*READERS) or row[0].employee_no == principal.sub):
            raise FeedbackNotFound(f"No feedback {feedback_id} visible to you")
        return _out(row)

    async def list(self, session: AsyncSession, filters: repo.FeedbackFilters, *,
                   before: int | None, limit: int) -> tuple[list[schemas.Feedback], int | None]:
        rows = await repo.list_views(session, filters, before=before, limit=limit + 1)
        items = [_out(r) for r in rows[:limit]]
        return items, (items[-1].id if len(rows) > limit else None)

    async def tag(self, session: AsyncSession, feedback_id: int, tags: builtins.list[str], *,
                  actor: str) -> schemas.Feedback:
        fb = await self._lock(session, feedback_id)
        fb.tags, fb.tagged_by = tags, actor
        await session.flush()
        return await self._view(session, feedback_id)

    async def close(self, session: AsyncSession, feedback_id: int, resolution: str, *,
                    actor: str) -> schemas.Feedback:
        fb = await self._lock(session, feedback_id)
        if fb.status == FeedbackStatus.CLOSED:
            raise FeedbackClosed(f"Feedback {feedback_id} was closed by {fb.closed_by}")
        fb.status, fb.closed_at, fb.closed_by = FeedbackStatus.CLOSED, datetime.now(UTC), actor
        fb.resolution = resolution
        await session.flush()
        return await self._view(session, feedback_id)

    async def _lock(self, session: AsyncSession, feedback_id: int) -> Feedback:
        fb = await repo.get_for_update(session, feedback_id)
        if fb is None:
            raise FeedbackNotFound(f"No feedback {feedback_id}")
        return fb

    async def _view(self, session: AsyncSession, feedback_id: int) -> schemas.Feedback:
        row = await repo.get_view(session, feedback_id)
        assert row is not None
        return _out(row)


feedback = FeedbackService()
