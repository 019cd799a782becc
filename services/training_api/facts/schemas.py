"""Schemas every kind of training fact shares: the client id, who and when,
voiding, and the points feedback of a recording response."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from shared.contracts.base import ReadSchema, Schema, VisibleText
from shared.contracts.points import PointsOutcome
from shared.identity import EmployeeNo

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# Devices' clocks run a little ahead; a time further ahead than this is a mistake.
CLOCK_SKEW = timedelta(minutes=5)


def _plausible_time(value: datetime) -> datetime:
    if value < EARLIEST:
        raise ValueError("must be in the year 2000 or later")
    if value > datetime.now(UTC) + CLOCK_SKEW:
        raise ValueError("must not lie in the future")
    return value.astimezone(UTC)


def scaled(places: int) -> AfterValidator:
    """Decimals as the database stores them, so that a response echoes what a read
    returns. Put it after the field's digit limits, which keep quantize in range."""
    exponent = Decimal(1).scaleb(-places)

    def quantize(value: Decimal) -> Decimal:
        try:
            return value.quantize(exponent)
        except InvalidOperation as exc:
            raise ValueError("too many digits") from exc

    return AfterValidator(quantize)


# stored in UTC, so that a response echoes what a later read returns
OccurredAt = Annotated[AwareDatetime, AfterValidator(_plausible_time)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                     VisibleText]


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
        "has taken it (GET, through the gateway; ``?wait=10`` waits for them up to 10 s)"))


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
