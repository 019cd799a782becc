"""Tables of training plans: required courses assigned to a job role, a department
(with its sub-departments), both, or a list of employees, with a due date."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.training_api.db import Base, TimestampMixin


class TrainingPlan(TimestampMixin, Base):
    __tablename__ = "training_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # who must take the courses: role and/or department subtree, or the listed employees
    job_role_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_role.id", ondelete="RESTRICT"), index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    by_list: Mapped[bool] = mapped_column(server_default="false")
    # completions count from this day (company calendar); null: any time
    starts_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("NOT by_list OR (job_role_id IS NULL AND department_id IS NULL)",
                        name="one_kind_of_target"),
        CheckConstraint("by_list OR job_role_id IS NOT NULL OR department_id IS NOT NULL",
                        name="has_target"),
        CheckConstraint("starts_on IS NULL OR starts_on <= due_on", name="starts_before_due"),
    )


class TrainingPlanCourse(Base):
    __tablename__ = "training_plan_course"

    plan_id: Mapped[int] = mapped_column(ForeignKey("training_plan.id", ondelete="CASCADE"),
                                         primary_key=True)
    course_code: Mapped[str] = mapped_column(
        ForeignKey("course.code", ondelete="RESTRICT", onupdate="CASCADE"), primary_key=True,
        index=True)


class TrainingPlanMember(Base):
    """An employee named in a plan that targets a list of employees."""

    __tablename__ = "training_plan_member"

    plan_id: Mapped[int] = mapped_column(ForeignKey("training_plan.id", ondelete="CASCADE"),
                                         primary_key=True)
    employee_no: Mapped[str] = mapped_column(
        ForeignKey("employee.employee_no", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True, index=True)
