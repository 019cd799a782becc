"""Streak qualification, computed when a month closes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.points_api.db import Base


class StreakQualification(Base):
    """The employee is on the streak of ``rule_id`` in ``month`` (``M2026-11``): the
    month in which that streak multiplier pays them."""

    __tablename__ = "streak_qualification"

    employee_no: Mapped[str] = mapped_column(String(50), primary_key=True)
    month: Mapped[str] = mapped_column(String(10), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    qualified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                   server_default=func.now())


class StreakComputation(Base):
    """That the streak of ``rule_id`` was computed for ``month``, with the condition
    used and how many employees qualified."""

    __tablename__ = "streak_computation"

    month: Mapped[str] = mapped_column(String(10), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    condition: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    qualified: Mapped[int] = mapped_column(Integer, server_default="0")
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())
