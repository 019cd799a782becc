"""Reads of rewards_api's copy of employee facts (synced from training_api)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.rewards_api.db import employee_copy
from services.rewards_api.errors import EmployeeNotFound


async def find(session: AsyncSession, employee_no: str) -> Mapping[str, Any] | None:
    row = (await session.execute(
        select(employee_copy).where(employee_copy.c.employee_no == employee_no))
    ).mappings().one_or_none()
    return None if row is None else dict(row)


async def get(session: AsyncSession, employee_no: str) -> Mapping[str, Any]:
    found = await find(session, employee_no)
    if found is None:
        raise not_found(employee_no)
    return found


def not_found(employee_no: str) -> EmployeeNotFound:
    return EmployeeNotFound(f"The rewards mall does not know employee {employee_no!r} "
                            "(not synced from the HR suite yet?)")
