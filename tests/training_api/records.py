"""Factories and helpers for the training-record tests: courses, exams and
employees made through the API, and assertions on problem documents."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx

from tests.conftest import auth, call_direct
from tests.factories import HR, create_employee, create_org, create_skill, uid

ASSESSOR = auth("ASSESSOR-01", "assessor")
LMS = auth("lms", "integration")
LIVE = auth("live-platform", "integration")


BEIJING = timezone(timedelta(hours=8))


def ago(**delta: float) -> str:
    """An RFC 3339 time in the past (five minutes unless told), with the Beijing
    offset as a device in the plant would send it."""
    moment = datetime.now(UTC) - timedelta(**(delta or {"minutes": 5}))
    return moment.astimezone(BEIJING).isoformat()


def client_id() -> str:
    return str(uuid.uuid4())


def assert_problem(r: httpx.Response, status: int, slug: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == status
    if slug is not None:
        assert body["type"].endswith(f"/{slug}"), body
    return body


async def create_course(gw: httpx.AsyncClient, *, code: str | None = None,
                        title: str = "设备操作基础", format: str = "online",  # noqa: A002
                        difficulty: str = "basic", class_hours: str = "2",
                        skills: list[Any] | tuple[Any, ...] = (), tags: list[str] | None = None,
                        **fields: Any) -> dict[str, Any]:
    """``skills``: skill codes (taught at level 1) or (skill code, level) pairs."""
    code = code or uid("C")
    teaches = [{"skill_code": s, "level": 1} if isinstance(s, str)
               else {"skill_code": s[0], "level": s[1]} for s in skills]
    r = await gw.put(f"/training/v1/courses/{code}", headers=HR, json={
        "title": title, "format": format, "difficulty": difficulty, "class_hours": class_hours,
        "teaches": teaches, "tags": tags or [], **fields})
    assert r.status_code in (200, 201), r.text
    return r.json()


async def create_exam(gw: httpx.AsyncClient, *, course: str, code: str | None = None,
                      title: str = "结业考试", pass_score: int = 60,
                      **fields: Any) -> dict[str, Any]:
    code = code or uid("X")
    r = await gw.put(f"/training/v1/exams/{code}", headers=HR, json={
        "course_code": course, "title": title, "pass_score": pass_score, **fields})
    assert r.status_code in (200, 201), r.text
    return r.json()


async def new_employee(gw: httpx.AsyncClient, *, org: dict[str, Any] | None = None,
                       name: str = "王芳", **fields: Any) -> dict[str, Any]:
    """An employee in a fresh organisation (a plant, a workshop under it, a skill, a role)."""
    org = org or await create_org(gw)
    emp = await create_employee(gw, department=org["department"]["code"],
                                role=org["role"]["code"], name=name, **fields)
    return {**emp, "org": org}


async def new_skill(gw: httpx.AsyncClient, name: str = "设备点检") -> str:
    return (await create_skill(gw, name=name))["code"]


async def wait_for_points_copy(gw: httpx.AsyncClient, employee_no: str,
                               within: float = 60) -> None:
    """Until points_api holds the employee (their employee.upserted event arrived)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        r = await call_direct(gw, "GET", f"/points/v1/internal/employees/{employee_no}",
                              headers=HR)
        if r.status_code == 200:
            return
        assert asyncio.get_running_loop().time() < deadline, f"no copy of {employee_no}"
        await asyncio.sleep(0.05)


async def outbox_total(gw: httpx.AsyncClient) -> int:
    """Every event training_api ever enqueued (waiting, delivered or dead)."""
    r = await gw.get("/training/v1/admin/outbox", headers=HR)
    assert r.status_code == 200, r.text
    body = r.json()
    return body["backlog"] + body["delivered"] + body["dead_letters"]


async def points_api_serves(gw: httpx.AsyncClient, path: str) -> bool:
    r = await gw.get("/points/openapi.json")
    return r.status_code == 200 and path in r.json().get("paths", {})
