from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from services.rewards_api.catalogue.schemas import Code, ItemKind
from services.rewards_api.models import RedemptionStatus
from shared.contracts.base import ReadSchema, Schema
from shared.contracts.fields import text
from shared.identity import EmployeeNo

Reason = Annotated[str, text(500)]
MAX_QUANTITY = 100


class RedemptionCreate(Schema):
    item_code: Code = Field(examples=["LEAVE-1D"])
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY)
    employee_no: EmployeeNo | None = Field(
        None, description="Whose redemption: omit for yourself; HR may name any employee")


class Rejection(Schema):
    reason: Reason = Field(examples=["本月产线排班紧张，请下月再申请"])


class Approval(Schema):
    note: Reason | None = Field(None, examples=["同意"])


class Cancellation(Schema):
    reason: Reason | None = Field(None, examples=["计划有变"])


class Redemption(ReadSchema):
    """A redemption and where it stands. ``voucher_code`` is shown only to the
    employee who redeemed."""

    id: uuid.UUID = Field(description="Also the id of the points hold")
    employee_no: str
    employee_name: str | None = None
    item_code: str
    item_name: str
    item_kind: ItemKind
    quantity: int
    unit_cost_points: int
    points: int = Field(description="Points held, then spent when fulfilled")
    leave_days: Decimal | None = Field(description="Days of paid leave granted (paid_leave)")
    subsidy_amount: Decimal | None = Field(description="Yuan paid with the salary (subsidy)")
    requires_approval: bool
    status: RedemptionStatus
    hold_expires_at: datetime = Field(
        description="A redemption still pending approval then expires and its points return")
    requested_by: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    fulfilled_at: datetime | None
    failure_reason: str | None = Field(
        description="Why a failed redemption failed: insufficient-points, "
                    "points-unavailable or hold-not-confirmed")
    voucher_code: str | None = None
    created_at: datetime
    updated_at: datetime
