"""Growth test data: points earned at a given time, organisation trees, boards."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.factories import create_department, create_employee, create_job_role
from tests.points_api.event_factories import HR, course, earn, wait_for_copy


def mid_month(year: int, month: int) -> datetime:
    """The 15th at noon in Shanghai: in that month whatever the time zone rounding."""
    return datetime(year, month, 15, 4, tzinfo=UTC)


async def give(gw: httpx.AsyncClient, employee_no: str, points: int, *,
               at: datetime | None = None, code: str | None = None) -> dict[str, Any]:
    """``points`` qualifying points from a course with that explicit value; the outcome."""
    return await earn(gw, "course.completed",
                      course(employee_no, course_points=points, at=at, code=code))


async def org_tree(gw: httpx.AsyncClient) -> dict[str, Any]:
    """plant > (workshop > line), plant > other workshop; a production role."""
    plant = await create_department(gw, name="一厂")
    workshop = await create_department(gw, parent=plant["code"], name="焊装车间")
    line = await create_department(gw, parent=workshop["code"], name="焊装一线")
    other = await create_department(gw, parent=plant["code"], name="涂装车间")
    role = await create_job_role(gw, family="production")
    return {"plant": plant["code"], "workshop": workshop["code"], "line": line["code"],
            "other": other["code"], "role": role["code"]}


async def hire(gw: httpx.AsyncClient, department: str, role: str, **fields: Any) -> str:
    """A new employee synced to points_api; their number."""
    emp = await create_employee(gw, department=department, role=role, **fields)
    await wait_for_copy(gw, emp["employee_no"])
    return emp["employee_no"]


async def board(gw: httpx.AsyncClient, headers: dict[str, str] | None = None,
                **params: Any) -> dict[str, Any]:
    r = await gw.get("/points/v1/leaderboards", headers=headers or HR, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def my_rank(gw: httpx.AsyncClient, headers: dict[str, str] | None = None,
                  **params: Any) -> dict[str, Any]:
    r = await gw.get("/points/v1/leaderboards/me", headers=headers or HR, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def ranks(page: dict[str, Any]) -> list[tuple[int, str | None, int]]:
    return [(row["rank"], row["employee_no"], row["points"]) for row in page["items"]]
