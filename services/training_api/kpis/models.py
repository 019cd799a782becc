"""Production figures per department and month, posted by the ERP, and when a
department's pilot started (for before/after comparisons)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Numeric, String, func
from sqlalchemy.orm import Mapped, mapped_column

from services.training_api.db import Base


class DepartmentKpi(Base):
    """Percentages: ``defect_rate`` of units produced (1.2 = 1.2%), ``skill_defect_share``
    of defects caused by lacking skill, ``efficiency`` against the standard (100 = on
    standard)."""

    __tablename__ = "department_kpi"

    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month
    defect_rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    skill_defect_share: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    efficiency: Mapped[Decimal | None] = mapped_column(Numeric(8, 4))
    source: Mapped[str] = mapped_column(String(10))
    updated_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    __table_args__ = (
        CheckConstraint("extract(day from month) = 1", name="month_first_day"),
        CheckConstraint("defect_rate IS NULL OR defect_rate BETWEEN 0 AND 100",
                        name="defect_rate_range"),
        CheckConstraint("skill_defect_share IS NULL OR skill_defect_share BETWEEN 0 AND 100",
                        name="skill_defect_share_range"),
        CheckConstraint("efficiency IS NULL OR efficiency BETWEEN 0 AND 1000",
                        name="efficiency_range"),
        CheckConstraint("num_nonnulls(defect_rate, skill_defect_share, efficiency) > 0",
                        name="has_a_figure"),
        CheckConstraint("source IN ('api', 'import')", name="source_known"),
    )


class PilotPhase(Base):
    """When a pilot department started its pilot (试点)."""

    __tablename__ = "pilot_phase"

    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), primary_key=True)
    started_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
