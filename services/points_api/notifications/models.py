"""The notification feed's table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.points_api.db import Base

NOTIFICATION_KINDS = ("points_gained", "points_reversed", "rank_changed", "eligibility_reached",
                      "certification_granted", "certification_revoked", "honour_won",
                      "attrition_risk_digest")


class Notification(Base):
    """One message to one employee, written in the transaction of its cause.
    ``dedupe_key`` makes a cause that may run twice (a job re-run) notify once."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    employee_no: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, server_default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"kind IN {NOTIFICATION_KINDS}", name="kind_known"),
        Index("ix_notification_feed", "employee_no", text("id DESC")),
        Index("ix_notification_unread", "employee_no", text("id DESC"),
              postgresql_where=text("read_at IS NULL")),
    )
