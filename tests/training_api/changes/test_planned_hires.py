"""Planned hires through the gateway: recorded by HR or the HR suite, listed, withdrawn,
and their onboarding counted in the training-demand report; access and bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import auth
from tests.factories import HR, create_department, create_employee, create_skill, uid
from tests.training_api.records import BEIJING, LMS, assert_problem, create_course

HIRES = "/training/v1/planned-hires"
DEMAND = "/training/v1/reports/training-demand"
AUDITOR = auth("AUD01", "auditor")


def month(offset: int) -> str:
    first = datetime.now(UTC).astimezone(BEIJING).date().replace(day=1)
    total = first.year * 12 + first.month - 1 + offset
    return f"{date(total // 12, total % 12 + 1, 1):%Y-%m}"


@pytest.fixture(scope="module")
async def org(gw) -> dict[str, Any]:
    """Workshop D with a sub-department D2, and another O. Role R requires S1 (level 2)
    and S2, both taught by course C1 (C2 teaches S1 at level 3: not the first choice);
    role R2 requires S3, which no course teaches. C1 was completed last month."""
    dept = (await create_department(gw, name="总装车间"))["code"]
    sub = (await create_department(gw, name="总装一线", parent=dept))["code"]
    other = (await create_department(gw, name="冲压车间"))["code"]
    s1, s2, s3 = [(await create_skill(gw, name=n))["code"] for n in ("拧紧", "检测", "调试")]
    role, role2 = uid("R"), uid("R")
    for code, skills in ((role, [(s1, 2), (s2, 1)]), (role2, [(s3, 1)])):
        r = await gw.put(f"/training/v1/job-roles/{code}", headers=HR, json={
            "name": "装配工", "family": "production",
            "required_skills": [{"skill_code": s, "level": lvl} for s, lvl in skills]})
        assert r.status_code in (200, 201), r.text
    c1 = (await create_course(gw, title="拧紧与检测", format="offline",
                              skills=[(s1, 2), (s2, 1)]))["code"]
    c2 = (await create_course(gw, title="高级拧紧", format="offline", skills=[(s1, 3)]))["code"]
    no = (await create_employee(gw, department=dept, role=role))["employee_no"]
    last_month = datetime.now(UTC).astimezone(BEIJING).replace(day=1, hour=10) - timedelta(
        days=10)
    r = await gw.post("/training/v1/course-completions", headers=LMS, json={
        "employee_no": no, "course_code": c1, "completed_at": last_month.isoformat()})
    assert r.status_code in (200, 201, 202), r.text
    return {"dept": dept, "sub": sub, "other": other, "s1": s1, "s2": s2, "s3": s3,
            "role": role, "role2": role2, "c1": c1, "c2": c2}


def body(org: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"department_code": org["dept"], "job_role_code": org["role"], "month": month(0),
            "headcount": 3, **fields}


async def put(gw, code: str, json: dict[str, Any], headers: Any = HR) -> dict[str, Any]:
    r = await gw.put(f"{HIRES}/{code}", headers=headers, json=json)
    assert r.status_code in (200, 201), r.text
    return r.json()


async def test_record_list_and_withdraw_a_planned_hire(gw, org):
    code = uid("REQ")
    r = await gw.put(f"{HIRES}/{code}", headers=LMS, json=body(org))
    assert r.status_code == 201, r.text
    assert r.json()["updated_by"] == "lms" and r.json()["month"] == month(0)
    again = await gw.put(f"{HIRES}/{code}", headers=HR, json=body(org, headcount=4))
    assert again.status_code == 200 and again.json()["headcount"] == 4
    assert (await gw.get(f"{HIRES}/{code}", headers=AUDITOR)).json()["headcount"] == 4
    listed = (await gw.get(HIRES, headers=HR, params={
        "department_code": org["dept"], "job_role_code": org["role"], "since": month(0)})).json()
    assert code in [h["code"] for h in listed["items"]]
    later = (await gw.get(HIRES, headers=HR, params={
        "department_code": org["dept"], "since": month(1)})).json()
    assert code not in [h["code"] for h in later["items"]]
    await put(gw, uid("REQ"), body(org, department_code=org["other"]))
    first = (await gw.get(HIRES, headers=HR, params={"limit": 1})).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = (await gw.get(HIRES, headers=HR, params={"limit": 1,
                                                      "cursor": first["next_cursor"]})).json()
    assert second["items"][0]["code"] > first["items"][0]["code"]
    assert (await gw.delete(f"{HIRES}/{code}", headers=HR)).status_code == 204
    assert_problem(await gw.get(f"{HIRES}/{code}", headers=HR), 404, "planned-hire-not-found")
    assert_problem(await gw.delete(f"{HIRES}/{code}", headers=HR), 404,
                   "planned-hire-not-found")


async def test_the_demand_report_counts_the_onboarding_of_planned_hires(gw, org):
    for fields in ({"headcount": 3},  # this month in D
                   {"department_code": org["sub"], "month": month(1), "headcount": 2},
                   {"department_code": org["other"], "month": month(1), "headcount": 5},
                   {"month": month(2), "headcount": 0},  # none any more
                   {"month": month(3), "headcount": 7},  # after the horizon
                   {"job_role_code": org["role2"], "headcount": 1}):
        await put(gw, uid("REQ"), body(org, **fields))
    by_skill = (await gw.get(DEMAND, headers=HR, params={
        "department": org["dept"], "by": "skill", "horizon": 3})).json()
    assert by_skill["planned_hires"] == 3 + 2 + 1
    series = {s["code"]: s for s in by_skill["series"]}
    expected = {month(0): 3, month(1): 2, month(2): 0}
    assert series[org["s1"]]["onboarding"] == expected == series[org["s2"]]["onboarding"]
    for s in series.values():
        assert s["total"] == {k: round(v + s["onboarding"][k], 1)
                              for k, v in s["forecast"].items()}
    # S3 was never taught: its series is the new hire alone
    s3 = series[org["s3"]]
    assert s3["onboarding"] == {month(0): 1, month(1): 0, month(2): 0}
    assert set(s3["history"].values()) == {0} and s3["total"][month(0)] == 1
    assert s3["name"] == "调试"

    by_course = (await gw.get(DEMAND, headers=AUDITOR, params={
        "department": org["dept"], "by": "course", "horizon": 3})).json()
    courses = {s["code"]: s for s in by_course["series"]}
    # one course for both of R's skills: each new hire once
    assert courses[org["c1"]]["onboarding"] == expected
    assert sum(courses[org["c1"]]["history"].values()) == 1
    assert org["c2"] not in courses

    sub_only = (await gw.get(DEMAND, headers=HR, params={
        "department": org["sub"], "by": "skill", "horizon": 2})).json()
    assert sub_only["planned_hires"] == 2
    assert {s["code"]: s["onboarding"] for s in sub_only["series"]}[org["s1"]] == {
        month(0): 0, month(1): 2}


async def test_who_may_record_and_read_planned_hires(gw, org):
    code = uid("REQ")
    employee = auth("E1", "employee")
    manager = auth("M1", "manager", departments=(org["dept"],))
    for who in (employee, manager, AUDITOR):
        assert_problem(await gw.put(f"{HIRES}/{code}", headers=who, json=body(org)), 403)
    await put(gw, code, body(org))
    for who in (employee, manager):
        assert_problem(await gw.get(f"{HIRES}/{code}", headers=who), 403)
        assert_problem(await gw.get(HIRES, headers=who), 403)
    for who in (employee, manager, AUDITOR):
        assert_problem(await gw.delete(f"{HIRES}/{code}", headers=who), 403)
    assert_problem(await gw.get(HIRES), 401)
    assert (await gw.get(HIRES, headers=LMS)).status_code == 200
    assert (await gw.delete(f"{HIRES}/{code}", headers=LMS)).status_code == 204


@pytest.mark.parametrize(("fields", "status", "slug"), [
    ({"department_code": "NOPE-DEPT"}, 409, "unknown-reference"),
    ({"job_role_code": "NOPE-ROLE"}, 409, "unknown-reference"),
    ({"month": "2027-13"}, 422, None),
    ({"month": "27-01"}, 422, None),
    ({"month": "1999-12"}, 422, None),
    ({"month": "2027-01-01"}, 422, None),
    ({"headcount": -1}, 422, None),
    ({"headcount": 10001}, 422, None),
    ({"headcount": 10**30}, 422, None),
    ({"headcount": "three"}, 422, None),
    ({"department_code": "\u0000"}, 422, None),
    ({"extra": 1}, 422, None),
])
async def test_a_bad_planned_hire_is_refused(gw, org, fields, status, slug):
    r = await gw.put(f"{HIRES}/{uid('REQ')}", headers=HR, json={**body(org), **fields})
    assert_problem(r, status, slug)


async def test_bad_requests_about_planned_hires(gw, org):
    assert_problem(await gw.put(f"{HIRES}/bad%20code", headers=HR, json=body(org)), 422)
    assert_problem(await gw.put(f"{HIRES}/{uid('REQ')}", headers=HR, json={}), 422)
    assert_problem(await gw.get(HIRES, headers=HR, params={"cursor": "garbage!"}), 422)
    assert_problem(await gw.get(HIRES, headers=HR, params={"cursor": "WzFd"}), 404,
                   "invalid-cursor")
    assert_problem(await gw.get(HIRES, headers=HR, params={"since": "2027-1"}), 422)
    assert_problem(await gw.get(HIRES, headers=HR, params={"limit": 501}), 422)
    assert_problem(await gw.get(f"{HIRES}/NO-SUCH", headers=HR), 404, "planned-hire-not-found")
