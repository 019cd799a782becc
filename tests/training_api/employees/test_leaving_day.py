"""Leavers' last working day in the directory (the attrition model's target needs
it), one by one and from a file; departments' managers (who receive digests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.factories import HR, create_department, create_employee, uid
from tests.training_api.employees.test_importing import csv_bytes, parse_csv, reasons_by_line

SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture
async def org(gw):
    dept = await create_department(gw, name="铸造车间")
    role = (await gw.put(f"/training/v1/job-roles/{uid('R')}", headers=HR,
                         json={"name": "操作工", "family": "production"})).json()
    return dept["code"], role["code"]


def person(dept: str, role: str, **fields) -> dict:
    return {"name": "赵敏", "department_code": dept, "job_role_code": role,
            "hired_on": "2023-04-01", **fields}


async def test_a_leaver_keeps_the_day_they_left(gw, org):
    dept, role = org
    no = uid("E")
    r = await gw.put(f"/training/v1/employees/{no}", headers=HR,
                     json=person(dept, role, status="left", left_on="2026-10-31"))
    assert r.status_code == 201 and r.json()["left_on"] == "2026-10-31", r.text
    # sent again without the day (an HR suite that does not know it): the day stays
    again = await gw.put(f"/training/v1/employees/{no}", headers=HR,
                         json=person(dept, role, status="left"))
    assert again.json()["left_on"] == "2026-10-31"
    # rehired: active again, no leaving day
    back = await gw.put(f"/training/v1/employees/{no}", headers=HR, json=person(dept, role))
    assert (back.json()["status"], back.json()["left_on"]) == ("active", None)


async def test_a_leaver_without_a_day_gets_the_day_the_directory_learned_it(gw, org):
    dept, role = org
    no = uid("E")
    await create_employee(gw, employee_no=no, department=dept, role=role)
    r = await gw.put(f"/training/v1/employees/{no}", headers=HR,
                     json=person(dept, role, status="left"))
    today = datetime.now(UTC).astimezone(SHANGHAI).date().isoformat()
    assert (r.json()["status"], r.json()["left_on"]) == ("left", today)


@pytest.mark.parametrize(("fields", "status", "detail"), [
    ({"left_on": "2026-10-31"}, 422, None),  # the schema: left_on goes with status left
    ({"status": "left", "left_on": "2022-01-01"}, 409, "left_on 2022-01-01 is before hired_on"),
    ({"status": "left", "left_on": "31/10/2026"}, 422, None),
    ({"status": "left", "left_on": "2200-01-01"}, 422, None),
])
async def test_a_wrong_leaving_day_is_refused(gw, org, fields, status, detail):
    dept, role = org
    r = await gw.put(f"/training/v1/employees/{uid('E')}", headers=HR,
                     json=person(dept, role, **fields))
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    if detail:
        assert detail in r.text


def test_the_import_reads_the_leaving_day_and_checks_it():
    parsed = parse_csv("工号,姓名,部门编码,岗位编码,入职日期,状态,离职日期",
                       "E1,甲,D,R,2023-01-01,离职,2026年10月31日",
                       "E2,乙,D,R,2023-01-01,在职,2026-10-31",
                       "E3,丙,D,R,2023-01-01,离职,2022-12-31",
                       "E4,丁,D,R,2023-01-01,离职,")
    assert [(r.employee_no, r.status, r.left_on and r.left_on.isoformat())
            for r in parsed.rows] == [("E1", "left", "2026-10-31"), ("E4", "left", None)]
    reasons = reasons_by_line(parsed)
    assert "status is not left" in reasons[3][0] and "before the hire date" in reasons[4][0]


async def test_the_import_keeps_leaving_days(gw, org):
    dept, role = org
    first, second = uid("E"), uid("E")
    content = csv_bytes("工号,姓名,部门编码,岗位编码,入职日期,状态,离职日期",
                        f"{first},甲,{dept},{role},2023-01-01,离职,2026-09-30",
                        f"{second},乙,{dept},{role},2023-01-01,在职,")
    r = await gw.post("/training/v1/employee-imports", headers=HR,
                      files={"file": ("e.csv", content, "text/csv")})
    assert r.status_code == 200 and r.json()["created"] == 2, r.text
    got = (await gw.get(f"/training/v1/employees/{first}", headers=HR)).json()
    assert (got["status"], got["left_on"]) == ("left", "2026-09-30")


async def test_department_managers_are_kept_until_changed(gw):
    code = uid("D")
    body = {"name": "装配车间", "manager_employee_nos": ["M001", "M002", "M001"]}
    r = await gw.put(f"/training/v1/departments/{code}", headers=HR, json=body)
    assert r.status_code == 201 and r.json()["manager_employee_nos"] == ["M001", "M002"]
    kept = await gw.put(f"/training/v1/departments/{code}", headers=HR, json={"name": "装配车间"})
    assert kept.json()["manager_employee_nos"] == ["M001", "M002"]
    cleared = await gw.put(f"/training/v1/departments/{code}", headers=HR,
                           json={"name": "装配车间", "manager_employee_nos": []})
    assert cleared.json()["manager_employee_nos"] == []
    bad = await gw.put(f"/training/v1/departments/{code}", headers=HR,
                       json={"name": "装配车间", "manager_employee_nos": ["含 空格"]})
    assert bad.status_code == 422
