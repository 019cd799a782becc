"""Feedback from employees on rules, courses or rewards, which HR tags and closes."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.training_api.db import Base

FEEDBACK_TOPICS = ("rules", "courses", "rewards", "other")
class FeedbackStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # with when, by whom and the resolution


FEEDBACK_STATUSES = tuple(status.value for status in FeedbackStatus)


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    employee_no: Mapped[str] = mapped_column(
        ForeignKey("employee.employee_no", ondelete="CASCADE", onupdate="CASCADE"))
    # the author's department when they wrote it
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"))
    client_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    topic: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column("text", Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default=sql_text("'{}'"))
    status: Mapped[str] = mapped_column(String(10), server_default=FeedbackStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    recorded_by: Mapped[str] = mapped_column(String(200))
    tagged_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(String(2000))

    __table_args__ = (
        UniqueConstraint("employee_no", "client_id"),
        CheckConstraint(f"topic IN {FEEDBACK_TOPICS}", name="topic_known"),
        CheckConstraint(f"status IN {FEEDBACK_STATUSES}", name="status_known"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_complete"),
        Index("ix_feedback_status_id", "status", "id"),
        Index("ix_feedback_tags", "tags", postgresql_using="gin"),
    )
