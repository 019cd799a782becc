"""Bulk import through the gateway: Excel's encodings, dry runs, rejected rows,
10,000 rows in one request, larger files (or async=true) as jobs, Idempotency-Key."""

import asyncio
import io
import time
import uuid

import asyncpg
import openpyxl
import pytest

from tests.conftest import auth
from tests.factories import create_org, uid
from tests.training_api.import_jobs import follow_job


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
        timeout=90,  # 10,000 rows on a loaded machine: as long as the gateway waits, and more
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


async def test_an_unreadable_file_is_reported_as_line_0_and_imports_nothing(gw, hr):
    old_excel = await upload(gw, hr, b"\xd0\xcf\x11\xe0 old excel", "employees.xls")
    no_columns = await upload(gw, hr, "名字,年龄\n张三,3\n".encode(), "x.csv")
    for r in (old_excel, no_columns):
        assert r.status_code == 200, r.text
        assert (r.json()["total_rows"], r.json()["created"]) == (0, 0)
        assert [row["line"] for row in r.json()["rejected"]] == [0]
    assert "employee_no" in no_columns.json()["rejected"][0]["reason"]


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


async def claimed(stack, key: str, within: float = 60) -> None:
    """Until the request with this Idempotency-Key holds its claim (state running)."""
    conn = await asyncpg.connect(stack.database_url("training").replace("+asyncpg", ""))
    try:
        deadline = time.monotonic() + within
        while await conn.fetchval("SELECT state FROM idempotency_key WHERE key = $1",
                                  key) != "running":
            assert time.monotonic() < deadline, f"no running claim of {key}"
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def test_same_key_while_running_is_409(gw, hr, org, stack):
    prefix = uid("P")
    rows = [
        [f"{prefix}{i:05d}", "并发", org["department"]["code"], org["role"]["code"]]
        for i in range(8000)
    ]
    content = csv_bytes(rows, header=["employee_no", "name", "department_code", "job_role_code"])
    headers = {**hr, "Idempotency-Key": uid("key-")}
    first = asyncio.create_task(upload(gw, headers, content, "big.csv"))
    await claimed(stack, headers["Idempotency-Key"])
    second = await upload(gw, headers, content, "big.csv")
    assert (await first).status_code == 200
    assert second.status_code == 409
    assert second.json()["type"].endswith("/idempotency-key-in-use")


async def test_async_import_runs_as_a_job_with_the_same_report(gw, hr, org):
    dept, role = org["department"]["code"], org["role"]["code"]
    a, b = uid("J"), uid("J")
    content = csv_bytes([[a, "孙丽", dept, role], [b, "钱进", "NO-SUCH-DEPT", role]],
                        header=["employee_no", "name", "department_code", "job_role_code"])
    headers = {**hr, "Idempotency-Key": uid("key-")}
    accepted = await gw.post("/training/v1/employee-imports", headers=headers,
                             params={"async": "true"},
                             files={"file": ("two.csv", content, "text/csv")})
    replayed = await gw.post("/training/v1/employee-imports", headers=headers,
                             params={"async": "true"},
                             files={"file": ("two.csv", content, "text/csv")})
    assert replayed.status_code == 202 and replayed.json()["id"] == accepted.json()["id"]
    job = await follow_job(gw, hr, accepted)
    assert (job["status"], job["error"], job["filename"]) == ("done", None, "two.csv")
    assert job["progress"] == {"phase": "done", "rows_total": 2, "rows_done": 2,
                               "percent": 100.0}
    report = job["report"]
    assert (report["total_rows"], report["created"], report["dry_run"]) == (2, 1, False)
    assert report["rejected"] == [
        {"line": 3, "employee_no": b, "reason": "unknown department_code 'NO-SUCH-DEPT'"}]
    assert (await gw.get(f"/training/v1/employees/{a}", headers=hr)).json()["name"] == "孙丽"
    # the same file in the request answers the same report (the rows are there now)
    sync = await upload(gw, hr, content, "two.csv")
    assert sync.status_code == 200
    assert {**sync.json(), "created": 1, "unchanged": 0} == report


async def test_a_file_above_the_row_threshold_becomes_a_job(gw, hr, org):
    """IMPORT_SYNC_MAX_ROWS is 10,000: the ten-thousand-row file above answers in the
    request, one row more is a job."""
    prefix = uid("T")
    rows = [[f"{prefix}{i:05d}", "阈值", org["department"]["code"], org["role"]["code"]]
            for i in range(10_001)]
    content = csv_bytes(rows, header=["employee_no", "name", "department_code",
                                      "job_role_code"])
    accepted = await upload(gw, hr, content, "big.csv", dry_run=True)
    job = await follow_job(gw, hr, accepted)
    assert job["status"] == "done", job["error"]
    assert (job["report"]["total_rows"], job["report"]["created"]) == (10_001, 10_001)
    assert job["dry_run"] and job["progress"]["rows_total"] == 10_001
    r = await gw.get(f"/training/v1/employees/{prefix}00000", headers=hr)
    assert r.status_code == 404  # a dry run writes nothing


async def test_an_unreadable_file_is_reported_before_any_job(gw, hr):
    r = await gw.post("/training/v1/employee-imports", headers=hr, params={"async": "true"},
                      files={"file": ("x.csv", "名字,年龄\n张三,3\n".encode(), "text/csv")})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["total_rows"] == 0 and report["created"] == 0
    assert [row["line"] for row in report["rejected"]] == [0]


async def test_import_jobs_are_read_by_staff_only(gw, hr, org):
    content = csv_bytes([[uid("R"), "周琳", org["department"]["code"], org["role"]["code"]]],
                        header=["employee_no", "name", "department_code", "job_role_code"])
    job = await follow_job(gw, hr, await gw.post(
        "/training/v1/employee-imports", headers=hr, params={"async": "true"},
        files={"file": ("one.csv", content, "text/csv")}))
    status = job["links"]["status"]
    for who in ("auditor", "integration"):
        assert (await gw.get(status, headers=auth("X1", who))).status_code == 200
    for who in ("employee", "manager", "assessor"):
        r = await gw.get(status, headers=auth("E1", who))
        assert r.status_code == 403 and r.json()["type"].endswith("/forbidden")
    assert (await gw.get(status)).status_code == 401
    missing = await gw.get(f"/training/v1/employee-imports/{uuid.uuid4()}", headers=hr)
    assert missing.status_code == 404
    assert missing.json()["type"].endswith("/import-job-not-found")
    # an employee import is no KPI import
    other = await gw.get(f"/training/v1/kpi-imports/{job['id']}", headers=hr)
    assert other.status_code == 404
    bad = await gw.get("/training/v1/employee-imports/not-a-uuid", headers=hr)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(
        "application/problem+json")
    refused = await gw.post("/training/v1/employee-imports", headers=auth("E1", "employee"),
                            params={"async": "true"},
                            files={"file": ("one.csv", content, "text/csv")})
    assert refused.status_code == 403
    wrong = await gw.post("/training/v1/employee-imports", headers=hr, params={"async": "maybe"},
                          files={"file": ("one.csv", content, "text/csv")})
    assert wrong.status_code == 422
