"""A small plant whose points mix in May 2021 is worked out by hand.

    P (一厂)
    ├── D (焊装车间): E1 production, front line; E2 technical, not front line
    └── E4 directly in P: production, front line
    O: another plant; E3 earns in the same month and must never count

The month is May 2021 on the company calendar (Asia/Shanghai), used by no other
test. Points in M2021-05:

    E1  course 2 h intermediate       course.per_class_hour        participation  16
        course 3 h advanced           course.per_class_hour        participation  30
        live class, speaks            live.speak                   participation   2
        practical assessment passed   practical.passed             outcome        30
        exam, 92                      exam.score                   outcome        15
    E2  course worth 20               course.explicit_value        participation  20
        skill applied, 80             skill_application.confirmed  outcome        80
        note shared, then voided      note.shared                  participation  10 - 10
    E4  course worth 25               course.explicit_value        participation  25

Outside the month: E1's course at 2021-06-01 00:30 +08:00 (still May in UTC) and
practical at 2021-04-30 23:30 +08:00. E3 (plant O): a course worth 50 in May.

    scope P: participation 93, outcome 125, growth 0, total 218, 9 paying entries
    scope D: participation 68, outcome 125, total 193
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import httpx

from tests.factories import create_department, create_employee, create_job_role, create_org
from tests.points_api.event_factories import course, earn, fact, practical, wait_for_copy

MONTH = "M2021-05"
CST = timezone(timedelta(hours=8))


def at(day: int, hour: int = 10, month: int = 5) -> datetime:
    return datetime(2021, month, day, hour, 0, tzinfo=CST)


@dataclass(frozen=True)
class Plant:
    plant: str
    dept: str
    e1: str
    e2: str
    e3: str
    e4: str


async def _employee(gw: httpx.AsyncClient, department: str, role: str, *,
                    front_line: bool = True) -> str:
    emp = await create_employee(gw, department=department, role=role, front_line=front_line)
    await wait_for_copy(gw, emp["employee_no"])
    return emp["employee_no"]


async def build(gw: httpx.AsyncClient) -> Plant:
    org = await create_org(gw)
    other = await create_org(gw)
    technical = await create_job_role(gw, family="technical", name="工艺员")
    plant, dept = org["plant"]["code"], org["department"]["code"]
    e1 = await _employee(gw, dept, org["role"]["code"])
    e2 = await _employee(gw, dept, technical["code"], front_line=False)
    e4 = await _employee(gw, plant, org["role"]["code"])
    outside = await create_department(gw, parent=other["plant"]["code"])
    e3 = await _employee(gw, outside["code"], other["role"]["code"])
    await _e1(gw, e1)
    await _e2(gw, e2)
    await earn(gw, "course.completed", course(e4, "家电装配", at=at(20), course_points=25))
    await earn(gw, "course.completed", course(e3, "质量管控进阶", at=at(12), course_points=50))
    return Plant(plant=plant, dept=dept, e1=e1, e2=e2, e3=e3, e4=e4)


async def _e1(gw: httpx.AsyncClient, no: str) -> None:
    await earn(gw, "course.completed", course(no, "液压系统入门", at=at(3)))
    await earn(gw, "course.completed", course(no, "数控编程", hours="3", difficulty="advanced",
                                              at=at(4)))
    await earn(gw, "live.interaction", fact(no, at=at(5), kind="speak", course_code="LIVE-1",
                                            course_title="精益生产直播"))
    await earn(gw, "practical.assessed", practical(no, at=at(6)))
    await earn(gw, "exam.attempted", fact(no, at=at(7), exam_code=f"EX-{uuid.uuid4().hex[:6]}",
                                          exam_title="设备操作考试", score=92, pass_score=60))
    # just outside May on the company calendar
    await earn(gw, "course.completed", course(no, "次月课程", at=datetime(
        2021, 6, 1, 0, 30, tzinfo=CST)))
    await earn(gw, "practical.assessed", practical(no, at=datetime(
        2021, 4, 30, 23, 30, tzinfo=CST)))


async def _e2(gw: httpx.AsyncClient, no: str) -> None:
    await earn(gw, "course.completed", course(no, "设备操作基础", at=at(8), course_points=20))
    await earn(gw, "skill_application.confirmed", fact(
        no, at=at(9), summary="调整焊接参数，缺陷率下降", points=80, confirmer="M001"))
    note = fact(no, at=at(10), title="焊接飞溅控制")
    await earn(gw, "note.shared", note)
    await earn(gw, "fact.voided", fact(no, voided_fact_id=note["fact_id"], reason="重复提交"))
