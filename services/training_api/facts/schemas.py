"""Schemas every kind of training fact shares: the client id, who and when,
voiding, and the points feedback of a recording response."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field

from shared.contracts.base import ReadSchema, Schema
from shared.contracts.fields import name, text, timestamp
from shared.contracts.points import PointsOutcome
from shared.identity import EmployeeNo


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# stored in UTC, so that a response echoes what a later read returns
# (not in the future either: FactKind.record answers 409 occurred-in-future, as the
# schema cannot say "before now")
OccurredAt = Annotated[Annotated[AwareDatetime, timestamp()], AfterValidator(_utc)]
Reason = Annotated[str, text(500)]
ShortText = Annotated[str, name(200)]


class PointsFeedback(ReadSchema):
    """What points_api made of this action, as far as known when the response left."""

    status: Literal["awarded", "pending", "none"] = Field(description=(
        "awarded: points_api has taken the event (outcome holds its result when that "
        "happened during this request; null on a replay of an earlier request). "
        "pending: points_api did not answer in time; the points follow shortly "
        "(``outcome_url`` tells them). "
        "none: this action earns no points (no event, or no rule takes it)."))
    outcome: PointsOutcome | None = None
    outcome_url: str | None = Field(None, description=(
        "With pending, for a new record: where its points can be read once points_api "
        "has taken it (GET, through the gateway; ``?wait=8`` waits for them up to 8 s)"))


class WithPoints(ReadSchema):
    points: PointsFeedback


class FactCreate(Schema):
    client_id: uuid.UUID | None = Field(None, description=(
        "Optional id made by the client (a UUID), unique per kind of record. Sending the "
        "same record again with the same client_id answers 200 with the stored record "
        "and awards nothing twice; other content under a used client_id is a 409."))
    employee_no: EmployeeNo = Field(description="Whose record this is", examples=["E10001"])


class FactRead(ReadSchema):
    id: uuid.UUID
    employee_no: str
    client_id: uuid.UUID | None
    recorded_by: str = Field(description="Token subject of whoever recorded it")
    recorded_at: datetime
    voided_at: datetime | None
    voided_by: str | None
    void_reason: str | None


class VoidRequest(Schema):
    reason: Reason = Field(examples=["录入错误：员工当天未参加"])


class VoidedFact(ReadSchema):
    id: uuid.UUID
    fact_type: str = Field(examples=["course_completion"])
    employee_no: str
    occurred_at: datetime
    voided_at: datetime
    voided_by: str
    void_reason: str
    skills_removed: list[str] = Field(
        description="Skill codes the employee no longer holds because this record proved them")
    points: PointsFeedback
