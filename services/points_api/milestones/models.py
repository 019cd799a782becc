"""Positions (promotion eligibility rules), certifications and their grants."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.points_api.db import Base


class GrantStatus(StrEnum):
    """A grant is stored active or revoked; an active one read after its last valid day
    is shown as expired."""

    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


GRANT_STATUSES = (GrantStatus.ACTIVE.value, GrantStatus.REVOKED.value)  # what is stored


class _Criteria:
    """What positions and certifications both ask for: qualifying points over a
    window (trailing calendar months, or lifetime when null) and skills."""

    min_points: Mapped[int] = mapped_column(BigInteger, server_default="0")
    points_window_months: Mapped[int | None] = mapped_column(Integer)
    required_skills: Mapped[list[str]] = mapped_column(
        ARRAY(String(50)), server_default=text("'{}'::varchar[]"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PromotionPosition(_Criteria, Base):
    """A target position (生产组长) and what it takes to be eligible for it."""

    __tablename__ = "promotion_position"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    min_tenure_months: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("min_points >= 0", name="min_points_not_negative"),
        CheckConstraint("points_window_months IS NULL OR points_window_months > 0",
                        name="window_positive"),
    )


class PositionEligibility(Base):
    """The first time an employee met every criterion of a position (notified once)."""

    __tablename__ = "position_eligibility"

    employee_no: Mapped[str] = mapped_column(String(50), primary_key=True)
    position_code: Mapped[str] = mapped_column(
        String(50), ForeignKey("promotion_position.code", ondelete="CASCADE"), primary_key=True)
    qualifying_points: Mapped[int] = mapped_column(BigInteger)
    reached_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Certification(_Criteria, Base):
    """A certification (高级设备操作员) granted automatically when its criteria are met,
    carrying a salary raise that payroll hears about."""

    __tablename__ = "certification"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    salary_raise_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    validity_months: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("min_points >= 0", name="min_points_not_negative"),
        CheckConstraint("points_window_months IS NULL OR points_window_months > 0",
                        name="window_positive"),
        CheckConstraint("salary_raise_percent >= 0 AND salary_raise_percent <= 100",
                        name="raise_in_range"),
        CheckConstraint("validity_months IS NULL OR validity_months > 0",
                        name="validity_positive"),
    )


# what both ask for (_Criteria); where they are judged together
Requirement = PromotionPosition | Certification


class CertificationGrant(Base):
    """A certification granted to an employee: once per employee and certification,
    whatever happens later (a revoked grant is not granted again automatically)."""

    __tablename__ = "certification_grant"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    certification_code: Mapped[str] = mapped_column(
        String(50), ForeignKey("certification.code", ondelete="RESTRICT"))
    employee_no: Mapped[str] = mapped_column(
        String(50), ForeignKey("account.employee_no", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(10), server_default="active")
    qualifying_points: Mapped[int] = mapped_column(BigInteger)
    salary_raise_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("certification_code", "employee_no"),
        CheckConstraint(f"status IN {GRANT_STATUSES}", name="status_known"),
        CheckConstraint("(status = 'revoked') = (revoked_at IS NOT NULL AND revoked_by IS NOT "
                        "NULL AND revoke_reason IS NOT NULL)", name="revocation_complete"),
        Index("ix_certification_grant_employee", "employee_no", "id"),
    )


class MilestoneSweep(Base):
    """Up to when the milestone sweep has looked at changed accounts."""

    __tablename__ = "milestone_sweep"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    watermark: Mapped[datetime] = mapped_column(DateTime(timezone=True))
