from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from shared.contracts.base import ReadSchema

IntegrationEventType = Literal["redemption.fulfilled", "leave.granted", "subsidy.granted",
                               "voucher.issued"]


class IntegrationEvent(ReadSchema):
    """What fulfilment told the outside world: ``redemption.fulfilled`` for every
    fulfilled redemption, and ``leave.granted`` (days of paid leave, for the
    attendance system), ``subsidy.granted`` (an amount in yuan, for payroll) or
    ``voucher.issued`` (never with the code)."""

    id: int = Field(description="Increasing; poll with the cursor to get what is new")
    event_id: uuid.UUID = Field(description="Stable across deliveries: deduplicate on it")
    event_type: IntegrationEventType
    redemption_id: uuid.UUID
    employee_no: str
    payload: dict[str, Any] = Field(examples=[{
        "employee_no": "E1001", "employee_name": "张伟", "item_name": "带薪假 1 天",
        "days": "1.0", "approved_by": "M2001", "granted_at": "2026-11-26T08:00:00+00:00"}])
    occurred_at: datetime
