"""Small async factories that create data through the API (the way an HR
suite would), each with unique business keys so tests never collide."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import auth

HR = auth("HR-FACTORY", "hr_admin")


def uid(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


async def create_department(
    gw: httpx.AsyncClient,
    *,
    code: str | None = None,
    parent: str | None = None,
    pilot: bool = False,
    name: str = "生产部",
) -> dict[str, Any]:
    code = code or uid("D")
    r = await gw.put(
        f"/training/v1/departments/{code}",
        headers=HR,
        json={"name": name, "parent_code": parent, "is_pilot": pilot},
    )
    assert r.status_code in (200, 201), r.text
    return r.json()


async def create_skill(
    gw: httpx.AsyncClient, *, code: str | None = None, name: str = "设备操作"
) -> dict[str, Any]:
    code = code or uid("S")
    r = await gw.put(f"/training/v1/skills/{code}", headers=HR, json={"name": name})
    assert r.status_code in (200, 201), r.text
    return r.json()


async def create_job_role(
    gw: httpx.AsyncClient,
    *,
    code: str | None = None,
    family: str = "production",
    name: str = "操作工",
    skills: list[tuple[str, int]] = (),
) -> dict[str, Any]:
    code = code or uid("R")
    r = await gw.put(
        f"/training/v1/job-roles/{code}",
        headers=HR,
        json={
            "name": name,
            "family": family,
            "required_skills": [{"skill_code": s, "level": lvl} for s, lvl in skills],
        },
    )
    assert r.status_code in (200, 201), r.text
    return r.json()


async def create_employee(
    gw: httpx.AsyncClient,
    *,
    department: str,
    role: str,
    employee_no: str | None = None,
    name: str = "张伟",
    front_line: bool = True,
    hired_on: str | None = "2024-03-01",
    status: str = "active",
) -> dict[str, Any]:
    employee_no = employee_no or uid("E")
    r = await gw.put(
        f"/training/v1/employees/{employee_no}",
        headers=HR,
        json={
            "name": name,
            "department_code": department,
            "job_role_code": role,
            "is_front_line": front_line,
            "hired_on": hired_on,
            "status": status,
        },
    )
    assert r.status_code in (200, 201), r.text
    return r.json()


async def create_org(
    gw: httpx.AsyncClient, *, family: str = "production", pilot: bool = False
) -> dict[str, Any]:
    """A department under a plant, a skill and a role requiring it."""
    plant = await create_department(gw, name="一厂")
    dept = await create_department(gw, parent=plant["code"], pilot=pilot, name="焊装车间")
    skill = await create_skill(gw)
    role = await create_job_role(gw, family=family, skills=[(skill["code"], 2)])
    return {"plant": plant, "department": dept, "skill": skill, "role": role}
