"""Training plans: completion rate and who is behind, on the small plant."""

import csv
import io
from datetime import date, timedelta

import pytest

from tests.conftest import auth
from tests.factories import uid
from tests.training_api.records import assert_problem
from tests.training_api.reports.small_plant import Plant, last_day, small_plant


@pytest.fixture
async def plant(gw) -> Plant:
    return await small_plant(gw)


async def test_plan_completion_on_time_and_late(gw, hr, plant):
    r = await gw.get("/training/v1/reports/training-plans", headers=hr, params={
        "department": plant.plant, "period": plant.m})
    assert r.status_code == 200, r.text
    body = r.json()
    plans = {p["code"]: p for p in body["plans"]}
    t1, t2 = plans[plant.plans["T1"]], plans[plant.plans["T2"]]
    # T1 (C1 for the whole plant): 8 active employees; E1 completed in M, E3 only now
    assert (t1["assigned"], t1["completed"], t1["completed_on_time"], t1["behind"]) == \
        (8, 2, 1, 6)
    assert (t1["completion_rate"], t1["on_time_rate"], t1["past_due"]) == (0.25, 0.125, True)
    assert t1["courses"] == [{"course_code": plant.c1, "course_title": "设备操作基础",
                              "completed": 2, "rate": 0.25}]
    # T2 (C1 for role R2): E3 (late) and E8 (not done)
    assert (t2["assigned"], t2["completed"], t2["completed_on_time"]) == (2, 1, 0)
    total = body["total"]
    assert (total["assigned"], total["completed"], total["completed_on_time"],
            total["completion_rate"], total["on_time_rate"]) == (10, 3, 1, 0.3, 0.1)


async def test_who_is_behind_page_by_page_and_as_csv(gw, hr, plant):
    code = plant.plans["T1"]
    first = await gw.get(f"/training/v1/training-plans/{code}/behind", headers=hr,
                         params={"department": plant.plant, "limit": 4})
    assert first.status_code == 200, first.text
    page = first.json()
    rest = (await gw.get(f"/training/v1/training-plans/{code}/behind", headers=hr, params={
        "department": plant.plant, "cursor": page["next_cursor"]})).json()
    behind = [e["employee_no"] for e in page["items"] + rest["items"]]
    assert behind == [plant.no[k] for k in ("E2", "E4", "E5", "E7", "E8", "E9")]
    assert page["items"][0]["missing_course_titles"] == ["设备操作基础"]
    assert page["items"][0]["past_due"] is True and rest["next_cursor"] is None
    only_b = await gw.get(f"/training/v1/training-plans/{code}/behind", headers=hr,
                          params={"department": plant.b})
    assert [e["employee_no"] for e in only_b.json()["items"]] == \
        [plant.no[k] for k in ("E4", "E5", "E7", "E9")]
    csv_file = await gw.get(f"/training/v1/training-plans/{code}/behind", headers=hr,
                            params={"department": plant.plant, "format": "csv", "limit": 1})
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert csv_file.content.startswith(b"\xef\xbb\xbf") and len(rows) == 7
    assert rows[1][1] == "员工E2" and rows[1][7] == "设备操作基础"


async def test_a_plan_for_a_list_of_employees(gw, hr, plant):
    code = uid("PL")
    due = str(date.today() + timedelta(days=90))  # after M: the reports of M do not count it
    r = await gw.put(f"/training/v1/training-plans/{code}", headers=hr, json={
        "name": "指定人员补训", "course_codes": [plant.c1],
        "employee_nos": [plant.no["E1"], plant.no["E4"]], "due_on": due})
    assert r.status_code == 201, r.text
    assert r.json()["listed_employees"] == 2 and r.json()["job_role_code"] is None
    again = await gw.put(f"/training/v1/training-plans/{code}", headers=hr, json={
        "name": "指定人员补训", "course_codes": [plant.c1],
        "employee_nos": [plant.no["E1"], plant.no["E4"]], "due_on": due})
    assert again.status_code == 200
    behind = await gw.get(f"/training/v1/training-plans/{code}/behind", headers=hr)
    assert [e["employee_no"] for e in behind.json()["items"]] == [plant.no["E4"]]
    got = await gw.get(f"/training/v1/training-plans/{code}", headers=hr)
    assert got.json()["courses"] == [{"course_code": plant.c1, "course_title": "设备操作基础"}]


async def test_plan_input_is_checked(gw, hr, plant):
    base = {"name": "计划", "course_codes": [plant.c1], "due_on": str(last_day(plant.month))}
    assert_problem(await gw.put(f"/training/v1/training-plans/{uid('PL')}", headers=hr,
                                json={**base, "course_codes": ["NO-SUCH-COURSE"],
                                      "department_code": plant.plant}), 409, "unknown-course")
    assert_problem(await gw.put(f"/training/v1/training-plans/{uid('PL')}", headers=hr,
                                json={**base, "department_code": plant.plant,
                                      "employee_nos": [plant.no["E1"]]}), 422)
    assert_problem(await gw.put(f"/training/v1/training-plans/{uid('PL')}", headers=hr,
                                json=base), 422)
    assert_problem(await gw.put(f"/training/v1/training-plans/{uid('PL')}", headers=hr,
                                json={**base, "employee_nos": ["NOBODY-1"]}), 409,
                   "unknown-employee")
    assert_problem(await gw.put(f"/training/v1/training-plans/{uid('PL')}",
                                headers=auth("M1", "manager", departments=(plant.a,)),
                                json={**base, "department_code": plant.a}), 403)
    assert_problem(await gw.get("/training/v1/training-plans/NO-SUCH-PLAN", headers=hr), 404,
                   "training-plan-not-found")
