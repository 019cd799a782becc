"""Board preferences of an employee."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.points_api.db import Base


class BoardPrivacy(Base):
    """Whether an employee's name is hidden on public boards and honour rolls (shown
    as 匿名 to others; still ranked, and visible to themself and HR)."""

    __tablename__ = "board_privacy"

    employee_no: Mapped[str] = mapped_column(String(50), primary_key=True)
    hide_name: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
