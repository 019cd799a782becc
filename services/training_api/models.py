"""training_api's tables: the organisation (departments, skills, job roles and
their competency model, employees)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.training_api.db import Base, TimestampMixin
from shared.contracts.events import EmployeeStatus

ROLE_FAMILIES = ("production", "technical", "quality", "management", "logistics", "other")
EMPLOYEE_STATUSES = tuple(status.value for status in EmployeeStatus)

# One sequence for every change that other services copy: consumers keep the
# highest version they saw, so a late redelivery never overwrites a newer copy.
employee_version_seq = Sequence("employee_version_seq", metadata=Base.metadata)




class Department(TimestampMixin, Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"),
                                                  index=True)
    # "/ROOT/PLANT1/WELD/": codes from the root down, for subtree queries and tree order
    path: Mapped[str] = mapped_column(String(2000), index=True)
    is_pilot: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # the department's heads (部门负责人) by employee number: who receives its digests
    manager_nos: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")

    __table_args__ = (
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        Index("ix_department_path_pattern", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )


class Skill(TimestampMixin, Base):
    __tablename__ = "skill"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000))


class JobRole(TimestampMixin, Base):
    __tablename__ = "job_role"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    family: Mapped[str] = mapped_column(String(20))
    # the course formats this role's people can attend (shift operators without a
    # desk may take no online course); empty: every format
    course_formats: Mapped[list[str]] = mapped_column(ARRAY(String(20)),
                                                      server_default=text("'{}'"))

    __table_args__ = (
        CheckConstraint(f"family IN {ROLE_FAMILIES}", name="family_known"),
    )


class JobRoleSkill(Base):
    """The competency model: a skill a role requires, at a level (1-5)."""

    __tablename__ = "job_role_skill"

    job_role_id: Mapped[int] = mapped_column(ForeignKey("job_role.id", ondelete="CASCADE"),
                                             primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skill.id", ondelete="RESTRICT"),
                                          primary_key=True, index=True)
    level: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)


class Employee(TimestampMixin, Base):
    __tablename__ = "employee"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"),
                                               index=True)
    job_role_id: Mapped[int] = mapped_column(ForeignKey("job_role.id", ondelete="RESTRICT"),
                                             index=True)
    is_front_line: Mapped[bool] = mapped_column(Boolean, default=False)
    hired_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=EmployeeStatus.ACTIVE)
    # the last working day of an employee who left (null while active)
    left_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(
        BigInteger, server_default=text("nextval('employee_version_seq')"))

    __table_args__ = (
        CheckConstraint(f"status IN {EMPLOYEE_STATUSES}", name="status_known"),
        CheckConstraint("left_on IS NULL OR status = 'left'", name="left_on_only_when_left"),
    )
