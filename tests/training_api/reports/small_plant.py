"""A small plant with hand-computable figures, made through the API in a department
subtree of its own so that other tests' data never counts in its reports.

Month M is the previous month on the company calendar (Asia/Shanghai); facts are
dated in M-2..M, and once now (a late plan completion).

    plant P
      A (pilot)   E1 R1 FL   E2 R1 FL   E3 R2   E8 R2 (hired M-01)
      B           E4 R1 FL   E5 R3 FL   E6 R1 FL (left)   E7 R1 FL (hired M-01)
                  E9 R1 FL (hired M-02)   E10 R1 FL (hired in a future year: counts nowhere yet)
    R1 requires S1 and S2; R2 requires S1; R3 requires nothing.
    C1 (points 20) teaches S1; its exam X1 (pass 60) proves S1; S2 is proven by a
    practical assessment (30 points).

    E1: M-10 completes C1 (20), exam 95 (15), practical S2 (30)          = 65, holds S1 S2
    E2: M-1-10 live question (3), exam 85 (10)                           = 13, holds S1
    E3: M-1-10 exam 100 (20); completes C1 now, after the plans were due (20) = 40, holds S1
    E4: nothing                                                          =  0
    E5: M-10 shares a note (10)                                          = 10
    E7: M-05 exam 70 (0, passes), M-11 practical S2 (30)                 = 30, 10 days
    E8: M-21 exam 90 (15)                                                = 15, 20 days
    E9: M-10 exam 65 (0, passes)                                         =  0, holds S1
    Plans, due the last day of M: T1 = C1 for department P; T2 = C1 for role R2.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx

from tests.conftest import call_direct
from tests.factories import HR, create_department, create_employee, create_job_role, uid
from tests.training_api.records import (
    ASSESSOR,
    LIVE,
    LMS,
    create_course,
    create_exam,
    wait_for_points_copy,
)

BEIJING = timezone(timedelta(hours=8))
EXPECTED_POINTS = {"E1": 65, "E2": 13, "E3": 40, "E4": 0, "E5": 10, "E7": 30, "E8": 15,
                   "E9": 0}


def months_back(first: date, n: int) -> date:
    for _ in range(n):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def month_key(first: date) -> str:
    return f"M{first.year:04d}-{first.month:02d}"


def last_day(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


@dataclass
class Plant:
    prefix: str
    plant: str
    a: str
    b: str
    s1: str
    s2: str
    r1: str
    r2: str
    r3: str
    c1: str
    month: date  # M, first day
    no: dict[str, str] = field(default_factory=dict)  # "E1" -> employee number
    plans: dict[str, str] = field(default_factory=dict)

    @property
    def m(self) -> str:
        return month_key(self.month)

    def at(self, day: int, month_offset: int = 0, hour: int = 10) -> str:
        first = months_back(self.month, month_offset)
        return datetime(first.year, first.month, day, hour, tzinfo=BEIJING).isoformat()

    def day(self, day: int, month_offset: int = 0) -> str:
        first = months_back(self.month, month_offset)
        return date(first.year, first.month, day).isoformat()


_BUILT: dict[str, Plant] = {}
_LOCK = asyncio.Lock()


async def small_plant(gw: httpx.AsyncClient) -> Plant:
    """The plant, made once per test session."""
    async with _LOCK:
        if "plant" not in _BUILT:
            _BUILT["plant"] = await _build(gw)
        return _BUILT["plant"]


async def _ok(r: Any) -> dict[str, Any]:
    response = await r
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _build(gw: httpx.AsyncClient) -> Plant:
    today = datetime.now(UTC).astimezone(BEIJING).date()
    prefix = uid("Q")
    plant = (await create_department(gw, code=f"{prefix}P", name="试验工厂"))["code"]
    a = (await create_department(gw, code=f"{prefix}A", parent=plant, pilot=True,
                                 name="试点车间"))["code"]
    b = (await create_department(gw, code=f"{prefix}B", parent=plant, name="普通车间"))["code"]
    s1 = (await _ok(gw.put(f"/training/v1/skills/{prefix}S1", headers=HR,
                           json={"name": "设备操作"})))["code"]
    s2 = (await _ok(gw.put(f"/training/v1/skills/{prefix}S2", headers=HR,
                           json={"name": "质量控制"})))["code"]
    r1 = (await create_job_role(gw, code=f"{prefix}R1", name="操作工",
                                skills=[(s1, 2), (s2, 1)]))["code"]
    r2 = (await create_job_role(gw, code=f"{prefix}R2", family="technical", name="技术员",
                                skills=[(s1, 2)]))["code"]
    r3 = (await create_job_role(gw, code=f"{prefix}R3", family="other", name="文员"))["code"]
    c1 = (await create_course(gw, code=f"{prefix}C1", title="设备操作基础", skills=[(s1, 2)],
                              points=20))["code"]
    p = Plant(prefix, plant, a, b, s1, s2, r1, r2, r3, c1, months_back(today.replace(day=1), 1))
    x1 = (await create_exam(gw, course=c1, code=f"{prefix}X1", pass_score=60))["code"]
    await _employees(gw, p)
    await _facts(gw, p, x1)
    await _plans(gw, p)
    await _wait_for_points(gw, p)
    return p


async def _employees(gw: httpx.AsyncClient, p: Plant) -> None:
    people = [("E1", p.a, p.r1, True, "2020-01-01"), ("E2", p.a, p.r1, True, "2020-01-01"),
              ("E3", p.a, p.r2, False, "2020-01-01"), ("E4", p.b, p.r1, True, "2020-01-01"),
              ("E5", p.b, p.r3, True, "2020-01-01"), ("E6", p.b, p.r1, True, "2020-01-01"),
              ("E7", p.b, p.r1, True, p.day(1)), ("E8", p.a, p.r2, False, p.day(1)),
              ("E9", p.b, p.r1, True, p.day(2)),
              ("E10", p.b, p.r1, True, date(p.month.year + 2, 1, 15).isoformat())]
    for key, dept, role, front_line, hired in people:
        no = f"{p.prefix}{key}"
        await create_employee(gw, employee_no=no, department=dept, role=role,
                              front_line=front_line, hired_on=hired, name=f"员工{key}")
        p.no[key] = no
    for no in p.no.values():
        await wait_for_points_copy(gw, no)


async def _facts(gw: httpx.AsyncClient, p: Plant, x1: str) -> None:
    n = p.no

    def exam(key: str, score: int, at: str) -> Any:
        return gw.post("/training/v1/exam-attempts", headers=ASSESSOR, json={
            "employee_no": n[key], "exam_code": x1, "score": score, "attempted_at": at})

    def practical(key: str, at: str) -> Any:
        return gw.post("/training/v1/practical-assessments", headers=ASSESSOR, json={
            "employee_no": n[key], "skill_code": p.s2, "passed": True, "assessed_at": at})

    def completion(key: str, at: str) -> Any:
        return gw.post("/training/v1/course-completions", headers=LMS, json={
            "employee_no": n[key], "course_code": p.c1, "completed_at": at})

    await _ok(completion("E1", p.at(10)))
    await _ok(exam("E1", 95, p.at(10, hour=11)))
    await _ok(practical("E1", p.at(10, hour=15)))
    await _ok(gw.post("/training/v1/live-interactions", headers=LIVE, json={
        "employee_no": n["E2"], "kind": "question", "occurred_at": p.at(10, 1)}))
    await _ok(exam("E2", 85, p.at(10, 1, hour=11)))
    await _ok(exam("E3", 100, p.at(10, 1)))
    await _ok(gw.post("/training/v1/notes", headers=HR, json={
        "employee_no": n["E5"], "title": "学习笔记", "body": "要点", "shared_at": p.at(10)}))
    await _ok(exam("E7", 70, p.at(5)))
    await _ok(practical("E7", p.at(11)))
    await _ok(exam("E8", 90, p.at(21)))
    await _ok(exam("E9", 65, p.at(10)))
    # E6 trained, then left: left employees count nowhere
    await _ok(completion("E6", p.at(10)))
    await create_employee(gw, employee_no=n["E6"], department=p.b, role=p.r1,
                          hired_on="2020-01-01", status="left", name="员工E6")
    await _ok(completion("E3", (datetime.now(UTC) - timedelta(minutes=5)).isoformat()))


async def _plans(gw: httpx.AsyncClient, p: Plant) -> None:
    due = last_day(p.month).isoformat()
    for key, body in (("T1", {"department_code": p.plant}), ("T2", {"job_role_code": p.r2})):
        code = f"{p.prefix}{key}"
        await _ok(gw.put(f"/training/v1/training-plans/{code}", headers=HR, json={
            "name": f"计划{key}", "course_codes": [p.c1], "due_on": due, **body}))
        p.plans[key] = code


async def _wait_for_points(gw: httpx.AsyncClient, p: Plant, within: float = 30) -> None:
    """Until points_api has applied every fact (the earning is asynchronous)."""
    deadline = asyncio.get_running_loop().time() + within
    for key, expected in EXPECTED_POINTS.items():
        while True:
            r = await gw.get(f"/points/v1/accounts/{p.no[key]}", headers=HR)
            if r.status_code == 200 and r.json()["qualifying_points"] == expected:
                break
            assert asyncio.get_running_loop().time() < deadline, (key, r.text)
            await asyncio.sleep(0.1)
    while True:  # and it knows that E6 left
        r = await call_direct(gw, "GET", f"/points/v1/internal/employees/{p.no['E6']}",
                              headers=HR)
        if r.status_code == 200 and r.json()["status"] == "left":
            return
        assert asyncio.get_running_loop().time() < deadline, r.text
        await asyncio.sleep(0.1)
