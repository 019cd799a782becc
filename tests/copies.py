"""Rows of the employee copy (``shared.employee_copy``) that points_api and rewards_api
keep, written straight into a test's rolled-back session, as the ``employee.upserted``
consumer would: service-level tests need an employee without training_api."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession


async def add_employee_copy(session: AsyncSession, table: Table, **fields: Any) -> str:
    """A copied employee (a fresh number unless given); returns the employee number."""
    values: dict[str, Any] = {
        "employee_no": f"SVC{uuid.uuid4().hex[:10].upper()}", "name": "张伟",
        "department_code": "D-LINE1", "department_path": ["D-PLANT", "D-WS"],
        "is_pilot": False, "job_role_code": "OP", "job_role_family": "production",
        "is_front_line": True, "status": "active", "version": 1, **fields}
    await session.execute(insert(table).values(values))
    return str(values["employee_no"])
