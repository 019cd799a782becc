"""Fulfilment events for integrators (attendance, payroll) who poll."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from services.rewards_api.integration_events import repository as repo
from services.rewards_api.integration_events.schemas import IntegrationEvent, IntegrationEventType
from shared.auth import Principal, require_roles
from shared.contracts.fields import MAX_ID
from shared.db import DBSession
from shared.errors import BadCursor, problems
from shared.identity import EmployeeNoQuery
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    decode_keyset,
    encode_cursor,
    int_key,
)
from shared.routing import APIRouter

router = APIRouter(prefix="/rewards/v1", tags=["integration"])
IntegrationReader = Annotated[Principal, Depends(require_roles("hr_admin", "integration",
                                                                "auditor"))]


@router.get("/integration-events", response_model=Page[IntegrationEvent],
            operation_id="list_integration_events",
            summary="Fulfilment events for attendance and payroll",
            responses=problems(BadCursor))
async def list_integration_events(
    session: DBSession, _: IntegrationReader, limit: Limit = 50, cursor: Cursor = None,
    event_type: IntegrationEventType | None = None,
    employee_no: EmployeeNoQuery = None,
    after_id: Annotated[int | None, Query(
        ge=0, le=MAX_ID, description="Only events after this id: keep the last id you "
                                        "applied and poll with it for what is new")] = None,
) -> Page[IntegrationEvent]:
    """HR, integrations and auditors. Oldest first. ``event_id`` is unique per
    event: apply each once."""
    after = decode_keyset(cursor, int_key)
    if after is not None:
        after_id = max(after[0], after_id or 0)
    rows = await repo.list_after(session, after_id=after_id, event_type=event_type,
                                 employee_no=employee_no, limit=limit + 1)
    items = [IntegrationEvent.model_validate(r) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor([items[-1].id]) if more else None)
