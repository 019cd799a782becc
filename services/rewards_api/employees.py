"""Reads of rewards_api's copy of employee facts (synced from training_api)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.rewards_api.db import employee_copy
from services.rewards_api.errors import EmployeeNotFound
from shared.employee_copy import find_copy


async def find(session: AsyncSession, employee_no: str) -> Mapping[str, Any] | None:
    return await find_copy(session, employee_copy, employee_no)


async def get(session: AsyncSession, employee_no: str) -> Mapping[str, Any]:
    found = await find(session, employee_no)
    if found is None:
        raise not_found(employee_no)
    return found


def not_found(employee_no: str) -> EmployeeNotFound:
    return EmployeeNotFound(f"The rewards mall does not know employee {employee_no!r} "
                            "(not synced from the HR suite yet?)")
