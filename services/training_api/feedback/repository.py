"""Queries on feedback."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.feedback.models import Feedback
from services.training_api.models import Department, Employee


@dataclass
class FeedbackFilters:
    status: str | None = None
    topic: str | None = None
    tag: str | None = None
    department_path: str | None = None
    employee_no: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


# A feedback with its author's name and department (code, name)
FeedbackView = Row[Feedback, str, str, str]


def _view() -> Select[Feedback, str, str, str]:
    return (select(Feedback, Employee.name, Department.code, Department.name)
            .join(Employee, Employee.employee_no == Feedback.employee_no)
            .join(Department, Department.id == Feedback.department_id))


async def get_view(session: AsyncSession, feedback_id: int) -> FeedbackView | None:
    return (await session.execute(_view().where(Feedback.id == feedback_id))).one_or_none()


async def get_for_update(session: AsyncSession, feedback_id: int) -> Feedback | None:
    return (await session.execute(select(Feedback).where(Feedback.id == feedback_id)
                                  .with_for_update())).scalar_one_or_none()


async def by_client_id(session: AsyncSession, employee_no: str,
                       client_id: uuid.UUID) -> FeedbackView | None:
    return (await session.execute(_view().where(Feedback.employee_no == employee_no,
                                                Feedback.client_id == client_id))).one_or_none()


async def list_views(session: AsyncSession, f: FeedbackFilters, *, before: int | None,
                     limit: int) -> list[FeedbackView]:
    stmt = _view().order_by(Feedback.id.desc()).limit(limit)
    if before is not None:
        stmt = stmt.where(Feedback.id < before)
    if f.status is not None:
        stmt = stmt.where(Feedback.status == f.status)
    if f.topic is not None:
        stmt = stmt.where(Feedback.topic == f.topic)
    if f.tag is not None:
        stmt = stmt.where(Feedback.tags.contains([f.tag]))
    if f.department_path is not None:
        stmt = stmt.where(Department.path.startswith(f.department_path, autoescape=True))
    if f.employee_no is not None:
        stmt = stmt.where(Feedback.employee_no == f.employee_no)
    if f.created_from is not None:
        stmt = stmt.where(Feedback.created_at >= f.created_from)
    if f.created_to is not None:
        stmt = stmt.where(Feedback.created_at < f.created_to)
    return list((await session.execute(stmt)).all())


async def author(session: AsyncSession, employee_no: str) -> Row[str, int] | None:
    """(status, department id) of the author."""
    return (await session.execute(select(Employee.status, Employee.department_id).where(
        Employee.employee_no == employee_no))).one_or_none()
