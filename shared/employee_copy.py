"""The read copy of employee facts that points_api and rewards_api keep,
fed by ``employee.upserted`` events from training_api."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import AuditReader
from shared.consumer import RejectEvent
from shared.contracts.events import EmployeeFacts, EventEnvelope
from shared.errors import NotFound, problems
from shared.identity import EmployeeNoPath
from shared.routing import APIRouter


def employee_copy_table(metadata: MetaData) -> Table:
    return Table(
        "employee_copy",
        metadata,
        Column("employee_no", String(50), primary_key=True),
        Column("name", String(100), nullable=False),
        Column("department_code", String(50), nullable=False, index=True),
        Column("department_path", ARRAY(String(50)), nullable=False),
        Column("is_pilot", Boolean, nullable=False),
        Column("job_role_code", String(50), nullable=False),
        Column("job_role_family", String(20), nullable=False),
        Column("is_front_line", Boolean, nullable=False),
        Column("hired_on", Date),
        Column("status", String(10), nullable=False),
        Column("version", BigInteger, nullable=False),
        Column("synced_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Index("ix_employee_copy_department_path", "department_path", postgresql_using="gin"),
    )


async def find_copy(session: AsyncSession, table: Table,
                    employee_no: str) -> dict[str, Any] | None:
    """The copied employee (every column of ``table``), or None when the copy has not
    arrived yet: the one lookup points_api and rewards_api make of their copy."""
    row = (await session.execute(select(table).where(table.c.employee_no == employee_no))
           ).mappings().one_or_none()
    return None if row is None else dict(row)


async def apply_employee_upserted(
    table: Table, session: AsyncSession, envelope: EventEnvelope
) -> dict[str, Any]:
    """Upsert the copy unless it already holds a newer version (events may arrive
    out of order when several relays deliver)."""
    try:
        facts = EmployeeFacts.model_validate(envelope.payload)
    except ValueError as exc:
        raise RejectEvent(f"invalid employee facts: {exc}") from exc
    values = {
        "employee_no": facts.employee_no,
        "name": facts.name,
        "department_code": facts.department_code,
        "department_path": facts.department_path,
        "is_pilot": facts.department_is_pilot,
        "job_role_code": facts.job_role_code,
        "job_role_family": facts.job_role_family,
        "is_front_line": facts.is_front_line,
        "hired_on": facts.hired_on,
        "status": facts.status,
        "version": facts.version,
    }
    new = insert(table).values(values)
    stmt = new.on_conflict_do_update(
        index_elements=[table.c.employee_no],
        set_={
            **{k: new.excluded[k] for k in values if k != "employee_no"},
            "synced_at": func.now(),
        },
        where=table.c.version < new.excluded.version,
    ).returning(table.c.version)
    applied = (await session.execute(stmt)).scalar_one_or_none()
    return {"employee_no": facts.employee_no, "version": facts.version, "stale": applied is None}


class EmployeeCopy(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    employee_no: str
    name: str
    department_code: str
    department_path: list[str]
    is_pilot: bool
    job_role_code: str
    job_role_family: str
    is_front_line: bool
    hired_on: date | None
    status: str
    version: int
    synced_at: datetime


def employee_copy_router(service: str, table: Table) -> APIRouter:
    router = APIRouter(tags=["internal"], include_in_schema=False)

    @router.get(
        f"/{service}/v1/internal/employees/{{employee_no}}",
        response_model=EmployeeCopy,
        operation_id=f"{service}_get_employee_copy",
        summary="This service's copy of an employee's facts",
        responses=problems(NotFound),
    )
    async def get_employee_copy(
        request: Request,
        _: AuditReader,
        employee_no: EmployeeNoPath,
    ) -> EmployeeCopy:
        """What this service knows of an employee (synced from training_api), with
        the version it holds: for operators checking that the sync has caught up
        (hr_admin, auditor), at the service's own address; the gateway does not
        route internal paths."""
        async with request.app.state.sessionmaker() as session:
            row = await find_copy(session, table, employee_no)
        if row is None:
            raise NotFound(f"{service} has no copy of employee {employee_no!r}")
        return EmployeeCopy.model_validate(row)

    return router
