"""Tables of history imports. The job itself (status, progress, the uploaded file)
is a row of the kit's ``job`` table (shared/jobs.py); these hold what it learnt."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.training_api.db import Base

MODES = ("replay", "opening")
KINDS = ("course", "exam", "practical", "skill_level")
CATEGORIES = ("participation", "outcome", "growth")


class HistoryRecord(Base):
    """A legacy record by its id in the legacy system: the fact that carries it now,
    and the legacy system's points and category for it. A later import of the same
    id changes it; the fact it replaces is voided, never edited."""

    __tablename__ = "history_record"

    legacy_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(10))
    employee_no: Mapped[str] = mapped_column(
        ForeignKey("employee.employee_no", ondelete="RESTRICT", onupdate="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    fact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("training_fact.id", ondelete="RESTRICT"), unique=True)
    fact_hash: Mapped[str] = mapped_column(String(64))
    # the record changed: fact_id is the voided old fact until the import records the
    # new one, after points_api has applied the void (so the new fact is scored without
    # the old one: an exam's best result, a cap)
    fact_pending: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    legacy_points: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(20))
    import_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    line: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    __table_args__ = (
        CheckConstraint(f"mode IN {MODES}", name="mode_known"),
        CheckConstraint(f"kind IN {KINDS}", name="kind_known"),
        CheckConstraint(f"category IN {CATEGORIES}", name="category_known"),
        CheckConstraint("legacy_points IS NULL OR legacy_points >= 0",
                        name="legacy_points_not_negative"),
        Index("ix_history_record_employee_mode", "employee_no", "mode"),
    )


class HistoryOpeningBalance(Base):
    """Opening points posted to points_api for an employee and category: the sum of
    the legacy points of their opening-mode records. A correction posts the
    difference (a compensating entry); this row remembers what was posted."""

    __tablename__ = "history_opening_balance"

    employee_no: Mapped[str] = mapped_column(
        ForeignKey("employee.employee_no", ondelete="RESTRICT", onupdate="CASCADE"),
        primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    points: Mapped[int] = mapped_column(BigInteger)
    cut_over_on: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


class HistoryRejectedRow(Base):
    """A row an import rejected, with its line and why (one row per reason)."""

    __tablename__ = "history_rejected_row"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("job.id", ondelete="CASCADE"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    legacy_id: Mapped[str | None] = mapped_column(String(100))
    employee_no: Mapped[str | None] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(Text)


class HistoryImportEmployee(Base):
    """The reconciliation of one import for one employee, as of its end: records,
    legacy points and the points Jifen gave them, by category."""

    __tablename__ = "history_import_employee"

    import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("job.id", ondelete="CASCADE"), primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(50), primary_key=True)
    records: Mapped[int] = mapped_column(Integer)
    legacy_points: Mapped[int | None] = mapped_column(BigInteger)
    jifen_points: Mapped[int | None] = mapped_column(BigInteger)
    # category -> {"legacy": n | null, "jifen": n | null}
    by_category: Mapped[dict[str, Any]] = mapped_column(JSONB)
