"""The training event log: each applied training event with the employee facts
the rules saw, appended in the transaction that applied it. Its ``seq`` is the
order points_api applied the events in, which is the order a replay follows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.whatif.models import TrainingEventLog
from shared.contracts.events import EventEnvelope
from shared.contracts.training_events import EmployeeContext, TrainingEvent

_log = TrainingEventLog.__table__
_INSERT = insert(_log)


async def record_event(session: AsyncSession, envelope: EventEnvelope, event: TrainingEvent,
                       *, employee: EmployeeContext | None) -> None:
    row: dict[str, Any] = {
        "event_id": envelope.event_id, "event_type": envelope.event_type,
        "employee_no": event.employee_no, "fact_id": event.fact_id,
        "occurred_at": event.occurred_at, "payload": envelope.payload,
        "employee": None if employee is None else employee.model_dump(mode="json")}
    await session.execute(_INSERT, row)
