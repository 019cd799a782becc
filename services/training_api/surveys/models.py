"""Tables of surveys: questionnaires with their questions, one response per
employee and survey with its answers, and the training preferences that
training-needs surveys feed."""

from __future__ import annotations

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
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.training_api.db import Base, TimestampMixin

SURVEY_KINDS = ("satisfaction", "training_needs", "general")
QUESTION_KINDS = ("single_choice", "scale", "text")
PREFERENCES = ("format", "length", "time_of_day")


class Survey(TimestampMixin, Base):
    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(20))
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the audience: everyone when all three are null
    audience_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="RESTRICT"))
    audience_family: Mapped[str | None] = mapped_column(String(20))
    audience_front_line: Mapped[bool | None] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint(f"kind IN {SURVEY_KINDS}", name="kind_known"),
        CheckConstraint("closes_at IS NULL OR closes_at > opens_at", name="closes_after_opening"),
    )


class SurveyQuestion(Base):
    __tablename__ = "survey_question"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    code: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(500))
    # single choice: [{"value": "online", "label": "线上视频"}, ...]
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=sql_text("'[]'"))
    required: Mapped[bool] = mapped_column(Boolean, server_default="true")
    preference: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (
        UniqueConstraint("survey_id", "position"),
        CheckConstraint(f"kind IN {QUESTION_KINDS}", name="kind_known"),
        CheckConstraint(f"preference IS NULL OR preference IN {PREFERENCES}",
                        name="preference_known"),
    )


class SurveyResponse(Base):
    """One employee's answers to one survey: at most one per employee and survey."""

    __tablename__ = "survey_response"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    employee_no: Mapped[str] = mapped_column(
        ForeignKey("employee.employee_no", ondelete="CASCADE", onupdate="CASCADE"))
    # the employee's department when they answered, for results per department
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"))
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())

    __table_args__ = (
        UniqueConstraint("survey_id", "employee_no"),
        Index("ix_survey_response_survey_answered", "survey_id", "answered_at"),
        Index("ix_survey_response_answered", "answered_at"),
    )


class SurveyAnswer(Base):
    __tablename__ = "survey_answer"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_response.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_question.id", ondelete="CASCADE"), primary_key=True, index=True)
    choice: Mapped[str | None] = mapped_column(String(50))
    scale: Mapped[int | None] = mapped_column(SmallInteger)
    text: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("scale IS NULL OR scale BETWEEN 1 AND 5", name="scale_range"),
        CheckConstraint("num_nonnulls(choice, scale, text) = 1", name="one_value"),
    )


class EmployeePreference(Base):
    """Training preferences an employee stated in their latest training-needs survey."""

    __tablename__ = "employee_preference"

    employee_no: Mapped[str] = mapped_column(
        ForeignKey("employee.employee_no", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True)
    # preference -> {"value": ..., "label": ..., "survey_code": ..., "answered_at": ...}
    preferences: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=sql_text("'{}'"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
