"""A small plant for history imports, files as a legacy system exports them, and
running an import through the gateway until it ends."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.factories import HR, create_employee, create_org, uid
from tests.training_api.records import create_course, create_exam

IMPORTS = "/training/v1/history-imports"
HEADER = ["记录编号", "工号", "类型", "日期", "课程编码", "考试编码", "成绩", "技能编码", "结果",
          "等级", "积分", "积分类别"]


async def history_plant(gw: httpx.AsyncClient) -> dict[str, Any]:
    """Two employees, a 2-hour intermediate course (16 points), its exam (score
    bands), a skill; codes unique to the test."""
    org = await create_org(gw)
    employees = [(await create_employee(gw, department=org["department"]["code"],
                                        role=org["role"]["code"], name=name))["employee_no"]
                 for name in ("张伟", "李娜")]
    course = await create_course(gw, class_hours="2", difficulty="intermediate",
                                 skills=[org["skill"]["code"]])
    exam = await create_exam(gw, course=course["code"])
    return {"employees": employees, "course": course["code"], "exam": exam["code"],
            "skill": org["skill"]["code"], "prefix": uid("L")}


def csv_file(rows: list[list[Any]], *, header: list[str] = HEADER,
             encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


async def start(gw: httpx.AsyncClient, content: bytes, *, headers: dict[str, str] = HR,
                filename: str = "历史记录.csv", **params: Any) -> httpx.Response:
    return await gw.post(IMPORTS, headers=headers, params=params,
                         files={"file": (filename, content, "text/csv")})


async def finished(gw: httpx.AsyncClient, job: dict[str, Any], *,
                   within: float = 120) -> dict[str, Any]:
    """Poll the job's status URL until it is done or failed."""
    deadline = time.monotonic() + within
    while job["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"import still {job['progress']} after {within}s"
        await asyncio.sleep(0.2)
        r = await gw.get(job["links"]["status"], headers=HR)
        assert r.status_code == 200, r.text
        job = r.json()
    return job


async def run_import(gw: httpx.AsyncClient, content: bytes, **params: Any) -> dict[str, Any]:
    r = await start(gw, content, **params)
    assert r.status_code == 202, r.text
    assert r.headers["location"] == r.json()["links"]["status"]
    return await finished(gw, r.json())


async def report(gw: httpx.AsyncClient, job: dict[str, Any]) -> dict[str, Any]:
    r = await gw.get(job["links"]["report"], headers=HR, params={"limit": 500})
    assert r.status_code == 200, r.text
    return r.json()


async def entries(gw: httpx.AsyncClient, employee_no: str) -> list[dict[str, Any]]:
    r = await gw.get(f"/points/v1/accounts/{employee_no}/entries", headers=HR,
                     params={"limit": 500})
    assert r.status_code == 200, r.text
    return r.json()["items"]
