from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contracts.base import Schema, given, schema_extra
from shared.contracts.fields import MAX_ID

NotificationKind = Literal["points_gained", "points_reversed", "rank_changed",
                           "eligibility_reached", "certification_granted",
                           "certification_revoked", "honour_won", "attrition_risk_digest"]
NotificationId = Annotated[int, Field(ge=1, le=MAX_ID)]


class Notification(BaseModel):
    """One message of an employee's feed."""

    id: int
    kind: NotificationKind
    title: str = Field(examples=["+20 积分"])
    body: str = Field(examples=["完成课程 液压系统入门 2 课时；本月排名第 5（上升 3 名）"])
    data: dict[str, Any] = Field(description="Machine-readable details of the cause: entry ids, "
                                             "ranks, certification or position code...")
    created_at: datetime
    read_at: datetime | None


class NotificationsRead(Schema):
    """Mark as read the given ``ids``, or ``all`` of the employee's notifications (one
    or the other)."""

    model_config = ConfigDict(json_schema_extra=schema_extra({"oneOf": [
        given("ids"), {"required": ["all"], "properties": {"all": {"const": True}}}]}))

    ids: list[NotificationId] | None = Field(default=None, max_length=500)
    all: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> NotificationsRead:
        if (self.ids is None) == (not self.all):
            raise ValueError("give either ids or all=true")
        return self


class NotificationsMarked(BaseModel):
    marked: int = Field(description="How many notifications changed from unread to read")
