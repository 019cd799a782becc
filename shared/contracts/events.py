"""Event envelope and event payloads that travel through the outbox."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class EmployeeStatus(StrEnum):
    """An employee works here (active) or has left; a leaver keeps their records and
    points but earns and redeems no more."""

    ACTIVE = "active"
    LEFT = "left"


class EventEnvelope(BaseModel):
    """What a producer's outbox POSTs to a consumer's ``/v1/internal/events``."""

    event_id: uuid.UUID
    event_type: str
    occurred_at: datetime
    producer: str
    payload: dict[str, Any]


class EventBatch(BaseModel):
    """What the outbox relay POSTs: up to a batch of events for one consumer, in order."""

    events: list[EventEnvelope] = Field(max_length=1000)


class EventReceipt(BaseModel):
    """A consumer's answer for one event: applied now, already applied before (a
    redelivery), ignored (stale or not for this consumer), or failed (retry later,
    or never when ``permanent``)."""

    event_id: uuid.UUID
    status: Literal["applied", "duplicate", "ignored", "failed"]
    result: dict[str, Any] | None = None
    error: str | None = None
    permanent: bool = False


class EventBatchReceipt(BaseModel):
    receipts: list[EventReceipt]


class EmployeeFacts(BaseModel):
    """The employee facts other services keep a read copy of (``employee.upserted``)."""

    model_config = ConfigDict(extra="ignore")

    employee_no: str
    name: str
    department_code: str
    department_path: list[str] = Field(
        default_factory=list, description="Department codes from the root down to the employee's"
    )
    department_is_pilot: bool = False
    job_role_code: str
    job_role_family: str
    is_front_line: bool
    hired_on: date | None = None
    status: EmployeeStatus
    version: int = Field(description="Monotonic per employee; consumers ignore older versions")


EMPLOYEE_UPSERTED = "employee.upserted"
