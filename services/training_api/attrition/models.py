"""Tables of the early warning: risk runs (with their model card), each run's
ranking with reasons, every read of the report (the audit trail), and the weekly
digests sent to departments' managers."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.training_api.db import Base


class RunStatus(StrEnum):
    """running while its worker beats the heartbeat (failed once it stops), then done
    with the ranking or failed with the error."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


RUN_STATUSES = tuple(status.value for status in RunStatus)
RISK_LEVELS = ("high", "medium", "low")


class AttritionRun(Base):
    """One computation of everyone's risk: validation, the model card, the ranking."""

    __tablename__ = "attrition_run"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True,
                                          default=uuid.uuid4)
    status: Mapped[str] = mapped_column(String(10), server_default=RunStatus.RUNNING.value)
    phase: Mapped[str] = mapped_column(String(100), server_default="")
    progress: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    horizon_months: Mapped[int] = mapped_column(SmallInteger)
    as_of: Mapped[date] = mapped_column(Date)
    method: Mapped[str | None] = mapped_column(String(10))  # model | rules
    card: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    requested_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                   server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(f"status IN {RUN_STATUSES}", name="status_known"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        Index("ix_attrition_run_finished", "status", "finished_at"),
    )


class AttritionScore(Base):
    """An employee's place in a run's ranking, with the reasons for it."""

    __tablename__ = "attrition_score"

    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attrition_run.id", ondelete="CASCADE"), primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(50), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer)
    department_path: Mapped[str] = mapped_column(String(2000))
    level: Mapped[str] = mapped_column(String(10))
    risk: Mapped[float | None] = mapped_column(Float)  # the model's probability
    flags: Mapped[int | None] = mapped_column(SmallInteger)  # the rules flagged
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    indicators: Mapped[dict[str, float]] = mapped_column(JSONB)

    __table_args__ = (
        CheckConstraint(f"level IN {RISK_LEVELS}", name="level_known"),
        Index("ix_attrition_score_rank", "run_id", "rank"),
    )


class AttritionRead(Base):
    """Who read the report, when, what they asked for and how many people it showed."""

    __tablename__ = "attrition_read"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    run_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    reader: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(30)))
    department_code: Mapped[str | None] = mapped_column(String(50))
    level: Mapped[str | None] = mapped_column(String(10))
    format: Mapped[str] = mapped_column(String(10))
    employees_shown: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(200))
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AttritionDigest(Base):
    """A department's weekly digest: its high-risk employees and who was new."""

    __tablename__ = "attrition_digest"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    week: Mapped[str] = mapped_column(String(10))  # ISO week, 2026-W49
    department_code: Mapped[str] = mapped_column(String(50))
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attrition_run.id",
                                                         ondelete="CASCADE"))
    high_risk: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    new: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    managers: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    __table_args__ = (UniqueConstraint("week", "department_code"),)
