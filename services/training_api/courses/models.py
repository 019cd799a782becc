"""Tables of the course catalogue: courses, the skills they teach, and their exams."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.training_api.db import Base, TimestampMixin

COURSE_FORMATS = ("online", "offline", "live", "practical")
COURSE_DIFFICULTIES = ("basic", "intermediate", "advanced")


class Course(TimestampMixin, Base):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(20))
    difficulty: Mapped[str] = mapped_column(String(20))
    class_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default=text("'{}'"))
    points: Mapped[int | None] = mapped_column(Integer)
    # job role code -> points, role family -> points; both override the per-hour value
    role_points: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    family_points: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    description: Mapped[str | None] = mapped_column(String(2000))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived_by: Mapped[str | None] = mapped_column(String(100))
    # who may take it: job role codes and role families (empty: everyone)
    open_to_job_roles: Mapped[list[str]] = mapped_column(ARRAY(String(50)),
                                                         server_default=text("'{}'"))
    open_to_families: Mapped[list[str]] = mapped_column(ARRAY(String(20)),
                                                        server_default=text("'{}'"))

    __table_args__ = (
        CheckConstraint(f"format IN {COURSE_FORMATS}", name="format_known"),
        CheckConstraint(f"difficulty IN {COURSE_DIFFICULTIES}", name="difficulty_known"),
        CheckConstraint("class_hours > 0 AND class_hours <= 1000", name="class_hours_range"),
        CheckConstraint("points IS NULL OR points >= 0", name="points_non_negative"),
        Index("ix_course_tags", "tags", postgresql_using="gin"),
    )


class CourseSkill(Base):
    """A skill a course teaches, and the level it brings the learner to; a passed
    exam of the course proves that level (unless the exam maps a pass to another)."""

    __tablename__ = "course_skill"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"),
                                           primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skill.id", ondelete="RESTRICT"),
                                          primary_key=True, index=True)
    level: Mapped[int] = mapped_column(SmallInteger, server_default="1")

    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)


class CoursePrerequisite(Base):
    """A course that must be completed before this one."""

    __tablename__ = "course_prerequisite"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"),
                                           primary_key=True)
    prerequisite_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"),
                                                 primary_key=True, index=True)

    __table_args__ = (CheckConstraint("course_id <> prerequisite_id", name="not_own"),)


class CoursePrerequisiteSkill(Base):
    """A skill level the learner must have reached before this course."""

    __tablename__ = "course_prerequisite_skill"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"),
                                           primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skill.id", ondelete="RESTRICT"),
                                          primary_key=True, index=True)
    level: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)


class Exam(TimestampMixin, Base):
    __tablename__ = "exam"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    pass_score: Mapped[int] = mapped_column(SmallInteger)
    # HR's mapping of a pass to a level: every skill of the course is proven at this
    # level; null: at the level the course teaches each skill
    pass_level: Mapped[int | None] = mapped_column(SmallInteger)

    __table_args__ = (
        CheckConstraint("pass_score BETWEEN 0 AND 100", name="pass_score_range"),
        CheckConstraint("pass_level BETWEEN 1 AND 5", name="pass_level_range"),
    )
