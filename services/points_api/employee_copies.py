"""Queries on this service's read copy of employees (fed by ``employee.upserted``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.db import employee_copy
from shared.contracts.training_events import EmployeeContext
from shared.employee_copy import find_copy


async def get_copy(session: AsyncSession, employee_no: str) -> dict[str, Any] | None:
    """The copied row (employee_no, department_path, job role...), or None."""
    return await find_copy(session, employee_copy, employee_no)


async def get_context(session: AsyncSession, employee_no: str) -> EmployeeContext | None:
    """The employee facts rules filter on, or None when the copy has not arrived yet."""
    row = await get_copy(session, employee_no)
    return None if row is None else context_of(row)


def context_of(row: Any) -> EmployeeContext:
    return EmployeeContext(
        employee_no=row["employee_no"], job_role_code=row["job_role_code"],
        job_role_family=row["job_role_family"], department_code=row["department_code"],
        department_path=list(row["department_path"]), is_pilot=row["is_pilot"],
        is_front_line=row["is_front_line"])
