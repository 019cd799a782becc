"""The uptake report through the gateway: shown, taken (a completion after being
shown, within the window), by group and by reason, participation of those who took
one against the others; CSV; who may read it; bad input."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import auth
from tests.factories import HR, create_employee, create_org
from tests.training_api.records import LMS, ago, assert_problem, create_course

REPORT = "/training/v1/reports/recommendation-uptake"


async def _shown(gw, no) -> list[str]:
    r = await gw.get(f"/training/v1/employees/{no}/recommendations",
                     headers=auth(no, "employee"), params={"limit": 50})
    assert r.status_code == 200, r.text
    return [i["course_code"] for i in r.json()["items"]]


async def _complete(gw, no, course, at):
    r = await gw.post("/training/v1/course-completions", headers=LMS, json={
        "employee_no": no, "course_code": course, "completed_at": at})
    assert r.status_code == 201, r.text


async def test_shown_taken_reasons_and_participation(gw):
    org = await create_org(gw)
    dept, role, skill = org["department"]["code"], org["role"]["code"], org["skill"]["code"]
    took, looked, away = [
        (await create_employee(gw, department=dept, role=role))["employee_no"] for _ in range(3)]
    course = (await create_course(gw, title="设备点检", skills=[(skill, 2)]))["code"]
    # teaching the role's skill too, so that it ranks among the first whatever other
    # courses the catalogue holds (a course teaching nothing the role needs can fall
    # outside the first 50 when other tests' courses rank above it)
    other = (await create_course(gw, title="安全生产", skills=[(skill, 1)]))["code"]

    assert course in await _shown(gw, took)
    assert other in await _shown(gw, looked)
    r = await gw.get(f"/training/v1/employees/{away}/recommendations", headers=HR)
    assert r.status_code == 200  # HR looking does not count as shown
    await _complete(gw, took, course, datetime.now(UTC).isoformat())  # after being shown
    await _complete(gw, looked, other, ago(hours=2))  # before it was shown: not taken
    await _complete(gw, away, other, ago(minutes=1))

    r = await gw.get(REPORT, headers=HR, params={"department": dept, "group_by": "job_role"})
    assert r.status_code == 200, r.text
    body = r.json()
    total = body["total"]
    shown = total["shown"]
    assert (total["employees"], total["employees_shown"], total["taken"],
            total["employees_took"]) == (3, 2, 1, 1), total
    assert shown >= 4 and total["taken_rate"] == round(1 / shown, 4)
    assert total["open"] == shown - 1  # the 30-day window is open for the rest
    assert [g["key"] for g in body["groups"]] == [role] and body["groups"][0]["taken"] == 1
    gap = next(x for x in body["by_reason"] if x["kind"] == "gap")
    assert gap["label"] == "岗位技能差距" and gap["taken"] == 1
    cohorts = {c["cohort"]: c for c in body["participation"]}
    assert (cohorts["took"]["employees"], cohorts["took"]["participation_rate"],
            cohorts["took"]["records_per_head"],
            cohorts["took"]["other_records_per_head"]) == (1, 1.0, 1.0, 0.0)
    assert (cohorts["shown_not_taken"]["employees"],
            cohorts["shown_not_taken"]["records_per_head"]) == (1, 1.0)
    assert (cohorts["not_shown"]["employees"], cohorts["not_shown"]["participating"]) == (1, 1)
    assert body["taken_within_days"] == 30

    r = await gw.get(REPORT, headers=HR, params={"department": dept, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("期间,起始日,截止日,范围部门,维度,代码,名称,在职人数")
    assert "合计" in text and "岗位技能差距" in text and "采纳过推荐" in text


async def test_who_reads_uptake_and_bad_input(gw):
    org = await create_org(gw)
    dept, plant = org["department"]["code"], org["plant"]["code"]
    for who in (HR, auth("AUD", "auditor"), auth("M1", "manager", departments=(dept,)),
                auth("M0", "manager", departments=(plant,))):
        r = await gw.get(REPORT, headers=who, params={"department": dept})
        assert r.status_code == 200, r.text
    assert_problem(await gw.get(REPORT, headers=auth("M2", "manager", departments=(dept,)),
                                params={"department": plant}), 403, "not-your-department")
    assert_problem(await gw.get(REPORT, headers=auth("E1", "employee")), 403)
    assert_problem(await gw.get(REPORT), 401)
    assert_problem(await gw.get(REPORT, headers=HR, params={"department": "NO-SUCH"}), 404)
    for params in ({"period": "M2026-13"}, {"period": "garbage"}, {"group_by": "colour"},
                   {"from": "2026-02-30"}, {"front_line": "maybe"}, {"department": "\x00"}):
        r = await gw.get(REPORT, headers=HR, params=params)
        assert 400 <= r.status_code < 500, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
