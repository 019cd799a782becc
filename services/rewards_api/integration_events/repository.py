"""Queries on integration events."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.rewards_api.models import IntegrationEvent


async def list_after(session: AsyncSession, *, after_id: int | None, event_type: str | None,
                     employee_no: str | None, limit: int) -> list[IntegrationEvent]:
    stmt = select(IntegrationEvent).order_by(IntegrationEvent.id).limit(limit)
    if after_id is not None:
        stmt = stmt.where(IntegrationEvent.id > after_id)
    if event_type is not None:
        stmt = stmt.where(IntegrationEvent.event_type == event_type)
    if employee_no is not None:
        stmt = stmt.where(IntegrationEvent.employee_no == employee_no)
    return list((await session.execute(stmt)).scalars())
