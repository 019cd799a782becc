"""A change HR knows is coming (new equipment, a process, a product line): what it
requires of whom, and by when."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.training_api.db import Base, TimestampMixin

CHANGE_KINDS = ("equipment", "process", "product_line")


class TrainingChange(TimestampMixin, Base):
    __tablename__ = "training_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    go_live_on: Mapped[date] = mapped_column(Date)
    target_share: Mapped[Decimal] = mapped_column(Numeric(5, 4), server_default="0.9")
    description: Mapped[str | None] = mapped_column(String(2000))
    # the affected scope: departments (with sub-departments) and job roles; empty = all
    department_codes: Mapped[list[str]] = mapped_column(ARRAY(String(50)),
                                                        server_default=text("'{}'"))
    job_role_codes: Mapped[list[str]] = mapped_column(ARRAY(String(50)),
                                                      server_default=text("'{}'"))
    updated_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint(f"kind IN {CHANGE_KINDS}", name="kind_known"),
        CheckConstraint("target_share > 0 AND target_share <= 1", name="target_share_range"),
    )


class TrainingChangeSkill(Base):
    """A skill the change requires, at a level."""

    __tablename__ = "training_change_skill"

    change_id: Mapped[int] = mapped_column(ForeignKey("training_change.id", ondelete="CASCADE"),
                                           primary_key=True)
    skill_code: Mapped[str] = mapped_column(
        ForeignKey("skill.code", ondelete="RESTRICT", onupdate="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)


class PlannedHire(TimestampMixin, Base):
    """Hires the HR suite plans (a requisition): how many of a job role start in a
    department in a month. Their onboarding is part of the training demand."""

    __tablename__ = "planned_hire"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    department_code: Mapped[str] = mapped_column(
        ForeignKey("department.code", ondelete="RESTRICT", onupdate="CASCADE"), index=True)
    job_role_code: Mapped[str] = mapped_column(
        ForeignKey("job_role.code", ondelete="RESTRICT", onupdate="CASCADE"), index=True)
    month_on: Mapped[date] = mapped_column(Date, index=True)  # the month's first day
    headcount: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("headcount BETWEEN 0 AND 10000", name="headcount_range"),
        CheckConstraint("EXTRACT(DAY FROM month_on) = 1", name="month_first_day"),
    )
