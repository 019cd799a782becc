"""Tables of the training facts.

Every fact has a row in ``training_fact`` (who, when, who recorded it, its
client id, whether it was voided) and a row in the table of its kind (joined
table inheritance). One id space for all kinds lets one route void any fact and
lets skill records point at the fact that proves them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column, synonym

from services.training_api.db import Base

FACT_TYPES = ("course_completion", "live_interaction", "study_note", "exam_attempt",
              "practical_assessment", "skill_application", "skill_level")
INTERACTION_KINDS = ("speak", "question")


class ApplicationStatus(StrEnum):
    """A skill application waits (submitted) for its confirmer, who confirms it (with
    the points it earns) or rejects it."""

    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


APPLICATION_STATUSES = tuple(status.value for status in ApplicationStatus)


def _now() -> datetime:
    return datetime.now(UTC)


def _fact_id() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("training_fact.id", ondelete="CASCADE"), primary_key=True)


class TrainingFact(Base):
    __tablename__ = "training_fact"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    fact_type: Mapped[str] = mapped_column(String(30))
    employee_no: Mapped[str] = mapped_column(
        ForeignKey("employee.employee_no", ondelete="RESTRICT", onupdate="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    client_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # sha256 of the canonical request content: a replay must match it
    content_hash: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now,
                                                  server_default=func.now())
    # the outbox row of the event this fact produced when it was recorded
    event_outbox_id: Mapped[int | None] = mapped_column(BigInteger)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_by: Mapped[str | None] = mapped_column(String(200))
    void_reason: Mapped[str | None] = mapped_column(String(500))

    __mapper_args__ = {"polymorphic_on": "fact_type"}
    # each kind's table has constraints of its own (joined table inheritance)
    __table_args__: tuple[Any, ...] = (
        UniqueConstraint("fact_type", "client_id"),
        CheckConstraint(f"fact_type IN {FACT_TYPES}", name="fact_type_known"),
        CheckConstraint("(voided_at IS NULL) = (voided_by IS NULL) "
                        "AND (voided_at IS NULL) = (void_reason IS NULL)", name="void_complete"),
        Index("ix_training_fact_type_occurred", "fact_type", "occurred_at", "id"),
        Index("ix_training_fact_employee", "employee_no", "fact_type", "occurred_at"),
    )


class CourseCompletion(TrainingFact):
    __tablename__ = "course_completion"
    __mapper_args__ = {"polymorphic_identity": "course_completion"}

    id: Mapped[uuid.UUID] = _fact_id()
    course_code: Mapped[str] = mapped_column(
        ForeignKey("course.code", ondelete="RESTRICT", onupdate="CASCADE"), index=True)
    hours_attended: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    completed_at: Mapped[datetime] = synonym("occurred_at")


class LiveInteraction(TrainingFact):
    __tablename__ = "live_interaction"
    __mapper_args__ = {"polymorphic_identity": "live_interaction"}

    id: Mapped[uuid.UUID] = _fact_id()
    course_code: Mapped[str | None] = mapped_column(
        ForeignKey("course.code", ondelete="RESTRICT", onupdate="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))

    __table_args__ = (CheckConstraint(f"kind IN {INTERACTION_KINDS}", name="kind_known"),)


class StudyNote(TrainingFact):
    __tablename__ = "study_note"
    __mapper_args__ = {"polymorphic_identity": "study_note"}

    id: Mapped[uuid.UUID] = _fact_id()
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    featured: Mapped[bool | None] = mapped_column(Boolean)
    shared_at: Mapped[datetime] = synonym("occurred_at")

    __table_args__ = (
        CheckConstraint("body IS NOT NULL OR url IS NOT NULL", name="has_content"),
        CheckConstraint("(reviewed_at IS NULL) = (featured IS NULL)", name="review_complete"),
    )


class ExamAttempt(TrainingFact):
    __tablename__ = "exam_attempt"
    __mapper_args__ = {"polymorphic_identity": "exam_attempt"}

    id: Mapped[uuid.UUID] = _fact_id()
    exam_code: Mapped[str] = mapped_column(
        ForeignKey("exam.code", ondelete="RESTRICT", onupdate="CASCADE"), index=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    # the exam's pass score when the attempt was made
    pass_score: Mapped[int] = mapped_column(SmallInteger)
    passed: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = synonym("occurred_at")

    __table_args__ = (CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),)


class PracticalAssessment(TrainingFact):
    __tablename__ = "practical_assessment"
    __mapper_args__ = {"polymorphic_identity": "practical_assessment"}

    id: Mapped[uuid.UUID] = _fact_id()
    skill_code: Mapped[str] = mapped_column(
        ForeignKey("skill.code", ondelete="RESTRICT", onupdate="CASCADE"), index=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    # the skill level (1-5) the assessment checked; a pass proves it
    level: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    assessor: Mapped[str] = mapped_column(String(200))
    remarks: Mapped[str | None] = mapped_column(String(2000))
    assessed_at: Mapped[datetime] = synonym("occurred_at")

    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)


class SkillApplication(TrainingFact):
    __tablename__ = "skill_application"
    __mapper_args__ = {"polymorphic_identity": "skill_application"}

    id: Mapped[uuid.UUID] = _fact_id()
    skill_code: Mapped[str | None] = mapped_column(
        ForeignKey("skill.code", ondelete="RESTRICT", onupdate="CASCADE"), index=True)
    summary: Mapped[str] = mapped_column(String(2000))
    metric_name: Mapped[str] = mapped_column(String(100))
    metric_before: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    metric_after: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    work_order_ref: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default=ApplicationStatus.SUBMITTED)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    confirmed_points: Mapped[int | None] = mapped_column(Integer)
    rule_id: Mapped[str | None] = mapped_column(String(100))
    rule_set_version: Mapped[int | None] = mapped_column(Integer)
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    submitted_at: Mapped[datetime] = synonym("occurred_at")

    __table_args__ = (
        CheckConstraint(f"status IN {APPLICATION_STATUSES}", name="status_known"),
        CheckConstraint("(status = 'submitted') = (decided_at IS NULL)", name="decision_complete"),
        CheckConstraint("status <> 'confirmed' OR confirmed_points IS NOT NULL",
                        name="confirmed_has_points"),
        CheckConstraint("status <> 'rejected' OR reject_reason IS NOT NULL",
                        name="rejected_has_reason"),
    )


class SkillLevelRecord(TrainingFact):
    """A skill level an employee held from a date on, as a legacy system recorded it
    (only history imports make these): it proves the skill at that level."""

    __tablename__ = "skill_level_record"
    __mapper_args__ = {"polymorphic_identity": "skill_level"}

    id: Mapped[uuid.UUID] = _fact_id()
    skill_code: Mapped[str] = mapped_column(
        ForeignKey("skill.code", ondelete="RESTRICT", onupdate="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    held_since: Mapped[datetime] = synonym("occurred_at")

    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)


class EmployeeSkill(Base):
    """A skill an employee holds, one row per fact that proves it, at the level that
    fact proves: the employee's current level of a skill is the highest level of
    its standing proofs (voiding a fact removes its rows)."""

    __tablename__ = "employee_skill"

    employee_no: Mapped[str] = mapped_column(
        ForeignKey("employee.employee_no", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True)
    skill_code: Mapped[str] = mapped_column(
        ForeignKey("skill.code", ondelete="RESTRICT", onupdate="CASCADE"), primary_key=True)
    fact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("training_fact.id", ondelete="CASCADE"), primary_key=True, index=True)
    proven_by: Mapped[str] = mapped_column(String(30))
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    level: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        # the current level of a skill is the highest of its proofs, read per employee
        Index("ix_employee_skill_employee_level", "employee_no", "skill_code", "level", "since"),
    )
