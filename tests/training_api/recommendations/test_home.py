"""The employee's home for mobile apps through the gateway: top recommendations,
plan courses due, latest records, and the points and mall calls it names."""

from __future__ import annotations

from datetime import date, timedelta

from tests.conftest import auth
from tests.factories import HR, uid
from tests.training_api.records import (
    LMS,
    ago,
    assert_problem,
    create_course,
    create_exam,
    new_employee,
    wait_for_points_copy,
)


async def _plan(gw, dept, course, due, name):
    r = await gw.put(f"/training/v1/training-plans/{uid('P')}", headers=HR, json={
        "name": name, "course_codes": [course], "department_code": dept,
        "due_on": due.isoformat()})
    assert r.status_code == 201, r.text


async def test_home_answers_what_the_home_screen_shows(gw):
    emp = await new_employee(gw, name="李娜")
    no, dept, skill = emp["employee_no"], emp["org"]["department"]["code"], \
        emp["org"]["skill"]["code"]
    done = await create_course(gw, title="设备操作基础", skills=[(skill, 1)])
    later = await create_course(gw, title="设备操作进阶", skills=[(skill, 2)])
    safety = await create_course(gw, title="安全生产规范")
    for i in range(3):
        await create_course(gw, title=f"选修课{i}")
    exam = await create_exam(gw, course=done["code"], title="设备操作基础 结业考试")
    today = date.today()
    await _plan(gw, dept, safety["code"], today - timedelta(days=3), "年度安全培训")
    await _plan(gw, dept, later["code"], today + timedelta(days=20), "技能提升计划")
    await _plan(gw, dept, done["code"], today + timedelta(days=5), "已完成的计划")
    for path, body in (
            ("/training/v1/course-completions", {"course_code": done["code"],
                                                  "completed_at": ago(hours=3)}),
            ("/training/v1/exam-attempts", {"exam_code": exam["code"], "score": 92,
                                            "attempted_at": ago(hours=2)}),
            ("/training/v1/live-interactions", {"kind": "question",
                                                "occurred_at": ago(hours=1)})):
        r = await gw.post(path, headers=LMS, json={"employee_no": no, **body})
        assert r.status_code == 201, r.text

    me = auth(no, "employee")
    r = await gw.get(f"/training/v1/employees/{no}/home", headers=me)
    assert r.status_code == 200, r.text
    home = r.json()
    assert (home["employee_no"], home["name"], home["department_code"]) == (no, "李娜", dept)
    assert len(home["recommendations"]) == 3 and home["recommendations"][0]["rank"] == 1
    assert [(p["course_code"], p["plan_name"], p["overdue"]) for p in home["plan_items"]] == [
        (safety["code"], "年度安全培训", True), (later["code"], "技能提升计划", False)]
    assert [x["summary"] for x in home["recent_records"]] == [
        "直播提问", "考试 设备操作基础 结业考试 92 分（通过）", "完成课程 设备操作基础"]
    links = home["links"]
    assert links["points"] == f"/points/v1/accounts/{no}" and links["mall"] == "/rewards/v1/items"
    await wait_for_points_copy(gw, no)
    for path in (links["points"], links["points_entries"], links["mall"],
                 links["recommendations"], links["skills"]):
        r = await gw.get(path, headers=me)
        assert r.status_code == 200, (path, r.text)

    r = await gw.get(f"/training/v1/employees/{no}/home", headers=me, params={"limit": 10})
    assert r.status_code == 200 and 3 < len(r.json()["recommendations"]) <= 10


async def test_who_may_read_a_home_and_bad_input(gw):
    emp = await new_employee(gw)
    no, dept = emp["employee_no"], emp["org"]["department"]["code"]
    path = f"/training/v1/employees/{no}/home"
    for who in (auth(no, "employee"), auth("M1", "manager", departments=(dept,)), HR):
        r = await gw.get(path, headers=who)
        assert r.status_code == 200, r.text
        assert r.json()["recent_records"] == []
    for who in (auth("E-OTHER", "employee"), auth("M2", "manager", departments=("ELSEWHERE",)),
                auth("AUD", "auditor"), auth("lms", "integration")):
        assert_problem(await gw.get(path, headers=who), 404, "employee-not-found")
    assert_problem(await gw.get("/training/v1/employees/NOBODY/home", headers=HR), 404)
    assert_problem(await gw.get(path), 401)
    for limit in ("0", "11", "x", "9" * 30):
        assert_problem(await gw.get(path, headers=HR, params={"limit": limit}), 422)
    assert_problem(await gw.get("/training/v1/employees/%00/home", headers=HR), 400)
