"""Employee numbers have one canonical form (upper case) at every boundary: paths,
bodies, queries, tokens and imports, in all three services; and stored rows are
brought to it by the migrations."""

import asyncio

import pytest
from sqlalchemy import text

from shared.db import create_engine
from shared.identity import canonical_employee_no, canonicalize_stored_employee_numbers
from tests.conftest import auth, call_direct
from tests.factories import create_org, uid

HR = auth("HR001", "hr_admin")


def test_canonical_form():
    assert canonical_employee_no("e10001") == "E10001"
    assert canonical_employee_no(" e10001\t") == "E10001"
    assert canonical_employee_no("Ｅ１０００１") == "E10001"  # full-width, from an IME
    assert canonical_employee_no("ab-c.1_x") == "AB-C.1_X"


async def test_one_employee_whatever_the_case(gw):
    org = await create_org(gw)
    no = uid("e").lower()
    r = await gw.put(f"/training/v1/employees/{no}", headers=HR, json={
        "name": "林小雨", "department_code": org["department"]["code"],
        "job_role_code": org["role"]["code"]})
    assert r.status_code == 201, r.text
    canonical = no.upper()
    assert r.json()["employee_no"] == canonical
    again = await gw.put(f"/training/v1/employees/{canonical}", headers=HR, json={
        "employee_no": no, "name": "林小雨", "department_code": org["department"]["code"],
        "job_role_code": org["role"]["code"]})
    assert again.status_code == 200, again.text  # the same employee, not a second one
    for path in (f"/training/v1/employees/{no}", f"/training/v1/employees/{canonical}"):
        assert (await gw.get(path, headers=HR)).json()["employee_no"] == canonical
    listed = await gw.get("/training/v1/employees", headers=HR,
                          params={"department": org["department"]["code"]})
    assert [e["employee_no"] for e in listed.json()["items"]] == [canonical]

    own = auth(no, "employee")  # a token whose subject is in lower case
    assert (await gw.get(f"/training/v1/employees/{canonical}", headers=own)).status_code == 200
    for service in ("points", "rewards"):
        path = f"/{service}/v1/internal/employees/{no}"
        for _ in range(100):
            copy = await call_direct(gw, "GET", path, headers=HR)
            if copy.status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert copy.json()["employee_no"] == canonical
    account = await gw.get(f"/points/v1/accounts/{no}", headers=own)
    assert account.status_code == 200 and account.json()["employee_no"] == canonical


async def test_imported_numbers_take_the_canonical_form(gw):
    org = await create_org(gw)
    no = uid("imp").lower()
    csv = (f"工号,姓名,部门编码,岗位编码\n {no} ,赵六,{org['department']['code']},"
           f"{org['role']['code']}\n").encode()
    r = await gw.post("/training/v1/employee-imports", headers=HR,
                      files={"file": ("staff.csv", csv, "text/csv")})
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1
    got = await gw.get(f"/training/v1/employees/{no.upper()}", headers=HR)
    assert got.status_code == 200 and got.json()["employee_no"] == no.upper()


@pytest.fixture
async def scratch(stack):
    """A schema of its own in points_api's database, dropped afterwards."""
    engine = create_engine(stack.database_url("points"), pool_size=1, max_overflow=0)
    schema = uid("canon_").lower()
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
        await conn.execute(text(f"SET search_path TO {schema}"))
        await conn.execute(text("CREATE TABLE employee (employee_no varchar(50) PRIMARY KEY)"))
        await conn.execute(text(
            "CREATE TABLE fact (id int PRIMARY KEY, employee_no varchar(50) NOT NULL "
            "REFERENCES employee (employee_no) ON DELETE RESTRICT)"))
    yield engine, schema
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    await engine.dispose()


async def test_migration_upper_cases_stored_numbers_and_keeps_the_keys(scratch):
    engine, schema = scratch
    async with engine.begin() as conn:
        await conn.execute(text(f"SET search_path TO {schema}"))
        await conn.execute(text("INSERT INTO employee VALUES ('e1'), ('E2'), (' e3')"))
        await conn.execute(text("INSERT INTO fact VALUES (1, 'e1'), (2, 'E2'), (3, ' e3')"))
        changed = await conn.run_sync(canonicalize_stored_employee_numbers)
        rows = (await conn.execute(text("SELECT employee_no FROM fact ORDER BY id"))).all()
        keys = (await conn.execute(text(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
            "AND connamespace = current_schema()::regnamespace"))).scalar()
        again = await conn.run_sync(canonicalize_stored_employee_numbers)
    assert changed == 4 and again == 0
    assert [r[0] for r in rows] == ["E1", "E2", "E3"]
    assert keys == 1


async def test_migration_refuses_two_employees_that_differ_only_in_case(scratch):
    engine, schema = scratch
    async with engine.connect() as conn:
        await conn.execute(text(f"SET search_path TO {schema}"))
        await conn.execute(text("INSERT INTO employee VALUES ('e7'), ('E7')"))
        with pytest.raises(RuntimeError, match="employee: e7 / E7"):
            await conn.run_sync(canonicalize_stored_employee_numbers)
        await conn.rollback()
