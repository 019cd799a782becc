"""Queries on employees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Select,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.models import Department, Employee, JobRole
from shared.db import DriverConnection, prebuild

NEXT_VERSION = text("nextval('employee_version_seq')")
SYNCED_FIELDS = ("name", "department_id", "job_role_id", "is_front_line", "hired_on", "status",
                 "left_on")


@dataclass
class EmployeeFilters:
    department: str | None = None  # a department code: includes its sub-departments
    job_role: str | None = None
    family: str | None = None
    is_front_line: bool | None = None
    status: str | None = None
    employee_nos: list[str] | None = None  # restricts to these (an employee reading itself)
    department_paths: list[str] | None = None  # restricts to these subtrees (a manager)


def _view() -> Select[Any]:
    e, d, r = Employee.__table__.c, Department.__table__.c, JobRole.__table__.c
    return (
        select(
            e.employee_no, e.name, e.is_front_line, e.hired_on, e.status, e.left_on, e.version,
            e.created_at, e.updated_at,
            d.code.label("department_code"), d.name.label("department_name"),
            d.path.label("department_path"), r.code.label("job_role_code"),
            r.name.label("job_role_name"), r.family.label("job_role_family"),
        )
        .join(Department, Department.id == Employee.department_id)
        .join(JobRole, JobRole.id == Employee.job_role_id)
    )


# built once: the hot read path skips statement construction
_GET_VIEW = _view().where(Employee.employee_no == bindparam("employee_no"))
_GET_VIEW_SQL = prebuild(_GET_VIEW)


async def get_view(db: AsyncSession | DriverConnection, employee_no: str
                   ) -> Mapping[str, Any] | None:
    """The employee with department and job role. On a read connection it is the
    request's only round trip to PostgreSQL."""
    if isinstance(db, DriverConnection):
        return await db.first(_GET_VIEW_SQL, employee_no=employee_no)
    row = (await db.execute(_GET_VIEW, {"employee_no": employee_no})).one_or_none()
    return None if row is None else row._mapping


async def list_views(
    session: AsyncSession, f: EmployeeFilters, *, after: str | None, limit: int
) -> list[Any]:
    stmt = _view().order_by(Employee.employee_no).limit(limit)
    if after is not None:
        stmt = stmt.where(Employee.employee_no > after)
    if f.department is not None:
        subtree = select(Department.path).where(Department.code == f.department).scalar_subquery()
        stmt = stmt.where(Department.path.startswith(subtree))
    if f.department_paths is not None:
        stmt = stmt.where(
            or_(
                false(),
                *[Department.path.startswith(p, autoescape=True) for p in f.department_paths],
            )
        )
    if f.job_role is not None:
        stmt = stmt.where(JobRole.code == f.job_role)
    if f.family is not None:
        stmt = stmt.where(JobRole.family == f.family)
    if f.is_front_line is not None:
        stmt = stmt.where(Employee.is_front_line.is_(f.is_front_line))
    if f.status is not None:
        stmt = stmt.where(Employee.status == f.status)
    if f.employee_nos is not None:
        stmt = stmt.where(Employee.employee_no.in_(f.employee_nos))
    return list((await session.execute(stmt)).all())


async def get_for_update(session: AsyncSession, employee_no: str) -> Employee | None:
    return (
        await session.execute(
            select(Employee).where(Employee.employee_no == employee_no).with_for_update()
        )
    ).scalar_one_or_none()


async def existing_by_no(session: AsyncSession, nos: list[str]) -> dict[str, tuple[Any, ...]]:
    """employee_no -> the synced fields, for the numbers that exist."""
    out: dict[str, tuple[Any, ...]] = {}
    cols = [getattr(Employee, f) for f in SYNCED_FIELDS]
    for start in range(0, len(nos), 5000):
        rows = await session.execute(
            select(Employee.employee_no, *cols).where(
                Employee.employee_no.in_(nos[start : start + 5000])
            )
        )
        for no, *values in rows.tuples():
            out[no] = tuple(values)
    return out


async def bulk_upsert(session: AsyncSession, rows: list[dict[str, Any]]) -> list[Any]:
    """Insert or update; rows whose synced fields are unchanged are left alone
    (no new version, no event). Returns the written rows."""
    written: list[Any] = []
    for start in range(0, len(rows), 2000):
        new = insert(Employee).values(rows[start : start + 2000])
        changed = func.row(*[getattr(Employee, f) for f in SYNCED_FIELDS]).is_distinct_from(
            func.row(*[getattr(new.excluded, f) for f in SYNCED_FIELDS])
        )
        stmt = new.on_conflict_do_update(
            index_elements=[Employee.employee_no],
            set_={
                **{f: getattr(new.excluded, f) for f in SYNCED_FIELDS},
                "version": NEXT_VERSION,
                "updated_at": func.now(),
            },
            where=changed,
        ).returning(
            Employee.employee_no,
            Employee.name,
            Employee.department_id,
            Employee.job_role_id,
            Employee.is_front_line,
            Employee.hired_on,
            Employee.status,
            Employee.version,
            literal_column("xmax = 0").label("inserted"),
        )
        written.extend((await session.execute(stmt)).all())
    return written


async def bump_versions(
    session: AsyncSession, *, department_path: str | None = None, job_role_id: int | None = None
) -> list[Any]:
    """New versions for every employee under a department subtree or in a role,
    so that their read copies elsewhere are refreshed."""
    stmt = update(Employee).values(version=NEXT_VERSION)
    if department_path is not None:
        subtree = select(Department.id).where(
            Department.path.startswith(department_path, autoescape=True)
        )
        stmt = stmt.where(Employee.department_id.in_(subtree))
    if job_role_id is not None:
        stmt = stmt.where(Employee.job_role_id == job_role_id)
    stmt = stmt.returning(
        Employee.employee_no,
        Employee.name,
        Employee.department_id,
        Employee.job_role_id,
        Employee.is_front_line,
        Employee.hired_on,
        Employee.status,
        Employee.version,
    )
    return list((await session.execute(stmt)).all())


async def known_leaving_days(session: AsyncSession, nos: list[str]) -> dict[str, date]:
    """The leaving day already recorded for these employees, where there is one."""
    out: dict[str, date] = {}
    for start in range(0, len(nos), 5000):
        rows = await session.execute(select(Employee.employee_no, Employee.left_on).where(
            Employee.employee_no.in_(nos[start:start + 5000]), Employee.left_on.is_not(None)))
        out.update({no: day for no, day in rows.all() if day is not None})
    return out
