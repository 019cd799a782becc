"""Honour settings, runs and the honour roll."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.points_api.db import Base

HONOUR_KINDS = ("monthly", "yearly")
HONOUR_SCOPES = ("company", "department")


class HonourSetting(Base):
    """HR's configuration of one honour kind (bands, departments, title...)."""

    __tablename__ = "honour_setting"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (CheckConstraint(f"kind IN {HONOUR_KINDS}", name="kind_known"),)


class HonourRun(Base):
    """One applied run of the honours job for a closed period (by HR or by itself)."""

    __tablename__ = "honour_run"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    period: Mapped[str] = mapped_column(String(10))
    requested_by: Mapped[str] = mapped_column(String(200))
    awarded: Mapped[int] = mapped_column(Integer, server_default="0")
    bonus_points: Mapped[int] = mapped_column(BigInteger, server_default="0")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(f"kind IN {HONOUR_KINDS}", name="kind_known"),
        Index("ix_honour_run_period", "kind", "period"),
    )


class Honour(Base):
    """An entry of the honour roll: one winner of one board of one period, awarded
    once (the unique constraint), with the bonus entry it paid, if any."""

    __tablename__ = "honour"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    period: Mapped[str] = mapped_column(String(10))
    scope: Mapped[str] = mapped_column(String(12))
    scope_value: Mapped[str] = mapped_column(String(50), server_default="")
    employee_no: Mapped[str] = mapped_column(
        String(50), ForeignKey("account.employee_no", ondelete="RESTRICT"))
    rank: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(200))
    bonus_points: Mapped[int] = mapped_column(BigInteger, server_default="0")
    entry_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("ledger_entry.id", ondelete="RESTRICT"))
    run_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("honour_run.id", ondelete="RESTRICT"))
    awarded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("kind", "period", "scope", "scope_value", "employee_no"),
        CheckConstraint(f"kind IN {HONOUR_KINDS}", name="kind_known"),
        CheckConstraint(f"scope IN {HONOUR_SCOPES}", name="scope_known"),
        CheckConstraint("bonus_points >= 0", name="bonus_not_negative"),
        Index("ix_honour_roll", "period", "kind", "scope", "scope_value", "rank"),
        Index("ix_honour_employee", "employee_no"),
    )
