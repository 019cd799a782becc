"""Employees synced one by one: upsert, reads, filters, access."""

import pytest

from tests.conftest import auth
from tests.factories import create_department, create_employee, create_org, uid


@pytest.fixture(scope="module")
async def org(gw):
    return await create_org(gw)


async def test_upsert_creates_then_updates(gw, hr, org):
    no = uid("E")
    body = {
        "name": "李娜",
        "department_code": org["department"]["code"],
        "job_role_code": org["role"]["code"],
        "is_front_line": True,
        "hired_on": "2023-05-04",
    }
    r1 = await gw.put(f"/training/v1/employees/{no}", headers=hr, json=body)
    assert r1.status_code == 201, r1.text
    r2 = await gw.put(f"/training/v1/employees/{no}", headers=hr, json=body)
    assert r2.status_code == 200
    assert r2.json()["version"] == r1.json()["version"], "an unchanged employee is not re-versioned"
    r3 = await gw.put(f"/training/v1/employees/{no}", headers=hr, json={**body, "status": "left"})
    assert r3.json()["status"] == "left" and r3.json()["version"] > r1.json()["version"]
    assert r3.json()["department_path"] == [org["plant"]["code"], org["department"]["code"]]
    assert r3.json()["name"] == "李娜"


async def test_body_and_path_numbers_must_agree(gw, hr, org):
    r = await gw.put(
        f"/training/v1/employees/{uid('E')}",
        headers=hr,
        json={
            "employee_no": "SOMEONE-ELSE",
            "name": "x",
            "department_code": org["department"]["code"],
            "job_role_code": org["role"]["code"],
        },
    )
    assert r.status_code == 409
    assert r.json()["type"].endswith("/employee-no-mismatch")


async def test_unknown_department_or_role_is_rejected(gw, hr, org):
    r = await gw.put(
        f"/training/v1/employees/{uid('E')}",
        headers=hr,
        json={"name": "x", "department_code": "NOPE", "job_role_code": org["role"]["code"]},
    )
    assert r.status_code == 409 and r.json()["type"].endswith("/unknown-department")
    r = await gw.put(
        f"/training/v1/employees/{uid('E')}",
        headers=hr,
        json={"name": "x", "department_code": org["department"]["code"], "job_role_code": "NOPE"},
    )
    assert r.status_code == 409 and r.json()["type"].endswith("/unknown-job-role")


async def test_filters_and_pagination(gw, hr, org):
    sub = await create_department(gw, parent=org["department"]["code"], name="班组")
    plant = org["plant"]["code"]
    made = [
        await create_employee(
            gw, department=org["department"]["code"], role=org["role"]["code"], front_line=True
        )
        for _ in range(3)
    ]
    made += [
        await create_employee(
            gw, department=sub["code"], role=org["role"]["code"], front_line=False
        )
        for _ in range(2)
    ]
    made.append(
        await create_employee(gw, department=sub["code"], role=org["role"]["code"], status="left")
    )
    seen, cursor = [], None
    while True:
        params = {"department": plant, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await gw.get("/training/v1/employees", headers=hr, params=params)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    mine = {e["employee_no"] for e in made}
    assert mine <= {e["employee_no"] for e in seen}, "sub-departments are included"
    assert [e["employee_no"] for e in seen] == sorted(e["employee_no"] for e in seen)

    async def count(**params):
        r = await gw.get("/training/v1/employees", headers=hr, params={"limit": 500, **params})
        return {e["employee_no"] for e in r.json()["items"]} & mine

    assert len(await count(department=sub["code"])) == 3
    assert len(await count(department=plant, is_front_line="false")) == 2
    assert len(await count(department=plant, status="left")) == 1
    assert (
        len(await count(department=plant, family="production", job_role=org["role"]["code"])) == 6
    )
    assert len(await count(department=plant, family="technical")) == 0


async def test_employee_reads_only_own_record(gw, org):
    me = await create_employee(gw, department=org["department"]["code"], role=org["role"]["code"])
    other = await create_employee(
        gw, department=org["department"]["code"], role=org["role"]["code"]
    )
    mine = auth(me["employee_no"], "employee")
    assert (
        await gw.get(f"/training/v1/employees/{me['employee_no']}", headers=mine)
    ).status_code == 200
    r = await gw.get(f"/training/v1/employees/{other['employee_no']}", headers=mine)
    assert r.status_code == 404
    listed = (await gw.get("/training/v1/employees", headers=mine)).json()["items"]
    assert [e["employee_no"] for e in listed] == [me["employee_no"]]
    r = await gw.put(
        f"/training/v1/employees/{me['employee_no']}",
        headers=mine,
        json={
            "name": "x",
            "department_code": org["department"]["code"],
            "job_role_code": org["role"]["code"],
        },
    )
    assert r.status_code == 403


async def test_manager_reads_own_departments(gw, org):
    other_dept = await create_department(gw)
    inside = await create_employee(
        gw, department=org["department"]["code"], role=org["role"]["code"]
    )
    outside = await create_employee(gw, department=other_dept["code"], role=org["role"]["code"])
    mgr = auth("M1", "manager", departments=(org["plant"]["code"],))
    assert (
        await gw.get(f"/training/v1/employees/{inside['employee_no']}", headers=mgr)
    ).status_code == 200
    assert (
        await gw.get(f"/training/v1/employees/{outside['employee_no']}", headers=mgr)
    ).status_code == 404
