"""Bulk import through the gateway: Excel's encodings, dry runs, rejected rows,
10,000 rows in one request, Idempotency-Key."""

import asyncio
import io

import openpyxl
import pytest

from tests.factories import create_org, uid


@pytest.fixture(scope="module")
async def org(gw):
    return await create_org(gw)


def csv_bytes(rows: list[list[str]], *, header: list[str], encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


async def upload(gw, hr, content: bytes, filename: str, **params):
    return await gw.post(
        "/training/v1/employee-imports",
        headers=hr,
        params={k: str(v).lower() for k, v in params.items()},
        files={"file": (filename, content, "application/octet-stream")},
    )


async def test_chinese_headers_in_gbk_with_a_rejected_row(gw, hr, org):
    dept, role = org["department"]["code"], org["role"]["code"]
    a, b, c = uid("E"), uid("E"), uid("E")
    content = csv_bytes(
        [
            [a, "王芳", dept, role, "是", "2024/01/15", "在职"],
            [b, "赵强", "NO-SUCH-DEPT", role, "否", "", "在职"],
            [c, "陈静", dept, role, "否", "2022-07-01", "离职"],
        ],
        header=["工号", "姓名", "部门编码", "岗位编码", "是否一线", "入职日期", "状态"],
        encoding="gb18030",
    )
    dry = await upload(gw, hr, content, "员工.csv", dry_run=True)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["dry_run"], report["total_rows"], report["valid_rows"], report["created"]) == (
        True,
        3,
        2,
        2,
    )
    assert report["rejected"] == [
        {"line": 3, "employee_no": b, "reason": "unknown department_code 'NO-SUCH-DEPT'"}
    ]
    assert (await gw.get(f"/training/v1/employees/{a}", headers=hr)).status_code == 404

    real = (await upload(gw, hr, content, "员工.csv")).json()
    assert (real["created"], real["updated"], len(real["rejected"])) == (2, 0, 1)
    emp = (await gw.get(f"/training/v1/employees/{a}", headers=hr)).json()
    assert (emp["name"], emp["is_front_line"], emp["hired_on"]) == ("王芳", True, "2024-01-15")
    assert (await gw.get(f"/training/v1/employees/{c}", headers=hr)).json()["status"] == "left"

    again = (await upload(gw, hr, content, "员工.csv")).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)


async def test_xlsx_import(gw, hr, org):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["employee_no", "name", "department_code", "job_role_code", "is_front_line"])
    nos = [uid("X") for _ in range(3)]
    for no in nos:
        ws.append([no, "刘洋", org["department"]["code"], org["role"]["code"], True])
    buf = io.BytesIO()
    wb.save(buf)
    r = await upload(gw, hr, buf.getvalue(), "employees.xlsx")
    assert r.status_code == 200, r.text
    assert (r.json()["encoding"], r.json()["created"]) == ("xlsx", 3)


async def test_unreadable_file_is_a_problem(gw, hr):
    r = await upload(gw, hr, b"\xd0\xcf\x11\xe0 old excel", "employees.xls")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await upload(gw, hr, "名字,年龄\n张三,3\n".encode(), "x.csv")
    assert r.status_code == 422 and "employee_no" in r.json()["detail"]


async def test_ten_thousand_rows_in_one_request(gw, hr, org):
    prefix = uid("B")
    rows = [
        [
            f"{prefix}{i:05d}",
            f"员工{i}",
            org["department"]["code"],
            org["role"]["code"],
            "Y" if i % 10 < 7 else "N",
            "2021-03-01",
            "active",
        ]
        for i in range(10_000)
    ]
    content = csv_bytes(
        rows,
        header=[
            "employee_no",
            "name",
            "department_code",
            "job_role_code",
            "is_front_line",
            "hired_on",
            "status",
        ],
    )
    r = await upload(gw, hr, content, "big.csv")
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["rejected"]) == (10_000, [])
    listed = await gw.get(
        "/training/v1/employees",
        headers=hr,
        params={"department": org["department"]["code"], "limit": 500},
    )
    assert len(listed.json()["items"]) == 500 and listed.json()["next_cursor"]


async def test_idempotency_key_replays_and_guards(gw, hr, org):
    no = uid("I")
    content = csv_bytes(
        [[no, "周杰", org["department"]["code"], org["role"]["code"]]],
        header=["employee_no", "name", "department_code", "job_role_code"],
    )
    key = {"Idempotency-Key": uid("key-")}
    first = await upload(gw, {**hr, **key}, content, "one.csv")
    replay = await upload(gw, {**hr, **key}, content, "one.csv")
    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json() and first.json()["created"] == 1
    assert replay.headers.get("idempotent-replayed") == "true"
    other = csv_bytes(
        [[uid("I"), "周杰", org["department"]["code"], org["role"]["code"]]],
        header=["employee_no", "name", "department_code", "job_role_code"],
    )
    different = await upload(gw, {**hr, **key}, other, "one.csv")
    assert different.status_code == 422
    assert different.json()["type"].endswith("/idempotency-key-reused")


async def test_same_key_while_running_is_409(gw, hr, org):
    prefix = uid("P")
    rows = [
        [f"{prefix}{i:05d}", "并发", org["department"]["code"], org["role"]["code"]]
        for i in range(8000)
    ]
    content = csv_bytes(rows, header=["employee_no", "name", "department_code", "job_role_code"])
    headers = {**hr, "Idempotency-Key": uid("key-")}
    first = asyncio.create_task(upload(gw, headers, content, "big.csv"))
    await asyncio.sleep(0.3)
    second = await upload(gw, headers, content, "big.csv")
    assert (await first).status_code == 200
    assert second.status_code == 409
    assert second.json()["type"].endswith("/idempotency-key-in-use")
