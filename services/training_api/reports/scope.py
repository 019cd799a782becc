"""Who is counted in a report: the department subtree, role family and front-line
flag the caller asked for, within what the caller may read, and how the rows are
grouped. The population query every training metric starts from lives here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    String,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.models import Department, Employee, JobRole
from services.training_api.org import repository as org_repo
from services.training_api.org.errors import DepartmentNotFound
from services.training_api.reports.errors import DepartmentRequired, NotYourDepartment
from shared.auth import Principal
from shared.contracts.events import EmployeeStatus

# Readers of every report; a manager reads the subtrees of the departments in their token.
ALL_READERS = ("hr_admin", "auditor")
REPORT_READERS = (*ALL_READERS, "manager")


class GroupBy(StrEnum):
    department = "department"  # the scope's direct sub-departments, each with its subtree
    family = "family"
    front_line = "front_line"
    job_role = "job_role"
    pilot = "pilot"  # pilot departments (and their subtrees) against the rest


@dataclass(frozen=True)
class ReportScope:
    department_code: str | None = None
    department_name: str | None = None
    department_path: str | None = None  # "/PLANT1/WELD/"
    family: str | None = None
    front_line: bool | None = None
    pilot_paths: tuple[str, ...] = ()  # subtrees of pilot departments (for GroupBy.pilot)

    @property
    def base_path(self) -> str:
        return self.department_path or "/"


async def resolve_scope(session: AsyncSession, principal: Principal, *, department: str | None,
                        family: str | None, front_line: bool | None) -> ReportScope:
    """HR and auditors read any scope; a manager only the subtrees of their departments
    (and must name one when they manage several)."""
    managed: list[str] = []
    if not principal.has(*ALL_READERS):
        managed = await _managed_paths(session, principal)
        if department is None:
            if len(principal.departments) != 1:
                raise DepartmentRequired(
                    "You manage several departments (or none): choose one with ?department=")
            department = principal.departments[0]
    dept = None
    if department is not None:
        dept = await org_repo.get_department(session, department)
        if dept is None:
            raise DepartmentNotFound(f"No department with code {department!r}")
        if not principal.has(*ALL_READERS) and not any(dept.path.startswith(p)
                                                       for p in managed):
            raise NotYourDepartment(f"Department {department} is outside the departments "
                                    "you manage")
    pilots = await pilot_paths(session)
    return ReportScope(department_code=dept.code if dept else None,
                       department_name=dept.name if dept else None,
                       department_path=dept.path if dept else None, family=family,
                       front_line=front_line, pilot_paths=tuple(pilots))


async def _managed_paths(session: AsyncSession, principal: Principal) -> list[str]:
    if not principal.departments:
        return []
    rows = await session.execute(select(Department.path).where(
        Department.code.in_(principal.departments)))
    return list(rows.scalars())


async def pilot_paths(session: AsyncSession) -> list[str]:
    rows = await session.execute(select(Department.path).where(Department.is_pilot.is_(True)))
    return sorted(rows.scalars())


def in_subtrees(paths: Sequence[str]) -> ColumnElement[bool]:
    return or_(false(), *[Department.path.startswith(p, autoescape=True) for p in paths])


def group_key(group_by: GroupBy | None, scope: ReportScope) -> SQLColumnExpression[str]:
    if group_by is None:
        return literal("all")
    if group_by is GroupBy.department:
        base = scope.base_path
        child = func.split_part(func.substr(Department.path, len(base) + 1), "/", 1)
        return case((Department.path == base, literal(scope.department_code)), else_=child)
    if group_by is GroupBy.family:
        return JobRole.family
    if group_by is GroupBy.job_role:
        return JobRole.code
    if group_by is GroupBy.pilot:
        return case((in_subtrees(scope.pilot_paths), literal("pilot")), else_=literal("rest"))
    return case((Employee.is_front_line, literal("front_line")), else_=literal("not_front_line"))


def population(scope: ReportScope, *, group_by: GroupBy | None = None,
               hired_by: date | None = None, hired_from: date | None = None,
               tagged: dict[str, Sequence[str]] | None = None,
               include_left: bool = False) -> Select[*tuple[Any, ...]]:
    """Active employees in the scope (hired by ``hired_by`` when given), one row each:
    employee_no, job_role_id, is_front_line, hired_on, department_path, group_key.
    With ``tagged`` ({tag: employee numbers}) only those employees, grouped by tag;
    with ``include_left`` those who left too (their history teaches the risk model)."""
    key = group_key(group_by, scope)
    tags = None
    if tagged is not None:
        nos = [no for members in tagged.values() for no in members]
        labels = [tag for tag, members in tagged.items() for _ in members]
        tags = func.unnest(literal(nos, ARRAY(String)), literal(labels, ARRAY(String))
                           ).table_valued("employee_no", "tag").render_derived("tagged")
        key = tags.c.tag
    stmt: Select[*tuple[Any, ...]] = (
        select(Employee.employee_no.label("employee_no"),
               Employee.job_role_id.label("job_role_id"),
               Employee.is_front_line.label("is_front_line"),
               Employee.hired_on.label("hired_on"),
               Department.path.label("department_path"),
               key.label("group_key"))
        .select_from(Employee)
        .join(Department, Department.id == Employee.department_id)
        .join(JobRole, JobRole.id == Employee.job_role_id))
    if not include_left:
        stmt = stmt.where(Employee.status == EmployeeStatus.ACTIVE)
    if tags is not None:
        stmt = stmt.join(tags, tags.c.employee_no == Employee.employee_no)
    if hired_by is not None:
        stmt = stmt.where(or_(Employee.hired_on.is_(None), Employee.hired_on <= hired_by))
    if hired_from is not None:
        stmt = stmt.where(and_(Employee.hired_on.is_not(None), Employee.hired_on >= hired_from))
    if scope.department_path is not None:
        stmt = stmt.where(Department.path.startswith(scope.department_path, autoescape=True))
    if scope.family is not None:
        stmt = stmt.where(JobRole.family == scope.family)
    if scope.front_line is not None:
        stmt = stmt.where(Employee.is_front_line.is_(scope.front_line))
    return stmt


async def group_labels(session: AsyncSession, group_by: GroupBy | None,
                       keys: list[str]) -> dict[str, str]:
    """Display names of group keys: department and role names, fixed words otherwise."""
    if group_by is GroupBy.department:
        rows = await session.execute(select(Department.code, Department.name).where(
            Department.code.in_(keys)))
        return dict(rows.tuples().all())
    if group_by is GroupBy.job_role:
        rows = await session.execute(select(JobRole.code, JobRole.name).where(
            JobRole.code.in_(keys)))
        return dict(rows.tuples().all())
    return {k: GROUP_WORDS.get(k, k) for k in keys}


GROUP_WORDS = {
    "all": "全部", "front_line": "一线员工", "not_front_line": "非一线员工", "pilot": "试点部门",
    "rest": "非试点部门", "production": "生产", "technical": "技术", "quality": "质量",
    "management": "管理", "logistics": "物流", "other": "其他",
}
