"""Tables of the recommendations: HR's weights, employees' dismissals, what was
shown (for uptake), and the precomputed colleague signals with their build runs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.training_api.db import Base


class ModelRunStatus(StrEnum):
    """A build of the colleague signals runs, then is ready to serve or failed."""

    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


MODEL_RUN_STATUSES = tuple(status.value for status in ModelRunStatus)

class RecommendationSetting(Base):
    """The ranker's weights, one row (id 1); absent: the documented defaults."""

    __tablename__ = "recommendation_setting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class RecommendationDismissal(Base):
    __tablename__ = "recommendation_dismissal"

    employee_no: Mapped[str] = mapped_column(
        ForeignKey("employee.employee_no", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True)
    course_code: Mapped[str] = mapped_column(
        ForeignKey("course.code", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True)
    dismissed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                   server_default=func.now())


class RecommendationShown(Base):
    """A course shown to the employee themself: first and last time, how often, and
    the reasons it was shown with (their kinds), for the uptake report."""

    __tablename__ = "recommendation_shown"

    employee_no: Mapped[str] = mapped_column(
        ForeignKey("employee.employee_no", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True)
    course_code: Mapped[str] = mapped_column(
        ForeignKey("course.code", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True)
    first_shown_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_shown_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    times: Mapped[int] = mapped_column(Integer, server_default="1")
    reasons: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default=text("'{}'"))


class RecommendationRoleSignal(Base):
    """Per job role: colleagues who reached its levels, and who took what."""

    __tablename__ = "recommendation_role_signal"

    job_role_code: Mapped[str] = mapped_column(String(50), primary_key=True)
    members: Mapped[int] = mapped_column(Integer)
    achievers: Mapped[int] = mapped_column(Integer)
    achiever_share: Mapped[dict[str, float]] = mapped_column(JSONB)
    popularity: Mapped[dict[str, float]] = mapped_column(JSONB)


class RecommendationNeighbour(Base):
    """Per course: the most similar courses (item-to-item, by who completed both)."""

    __tablename__ = "recommendation_neighbour"

    course_code: Mapped[str] = mapped_column(String(50), primary_key=True)
    neighbours: Mapped[dict[str, float]] = mapped_column(JSONB)


class RecommendationModelRun(Base):
    """One build of the colleague signals: when, from how much, how long it took."""

    __tablename__ = "recommendation_model_run"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10))
    employees: Mapped[int | None] = mapped_column(Integer)
    completions: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(2000))
    progress: Mapped[float | None] = mapped_column(Float)  # 0-1 while running
    phase: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (CheckConstraint(f"status IN {MODEL_RUN_STATUSES}", name="status_known"),)


class RecommendationCatalogueVersion(Base):
    """One row: bumped by a trigger on every statement that changes a course, what it
    teaches or needs, or a skill (migration 0013). A replica keeps the catalogue in
    memory while the version it read it at is still current."""

    __tablename__ = "recommendation_catalogue_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
