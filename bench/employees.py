"""Issue-2 benchmarks: employee read through the gateway against the bare
one-query baseline, and a 10,000-row import in one request."""

from __future__ import annotations

import random
import time

import httpx

from bench.harness import baseline_server, ratio_line, wrk
from jifen.stack import Stack
from tests.conftest import auth

HR = auth("BENCH-HR", "hr_admin")


def seed_org(client: httpx.Client) -> tuple[str, str]:
    client.put(
        "/training/v1/departments/BENCH", headers=HR, json={"name": "压测工厂"}
    ).raise_for_status()
    client.put(
        "/training/v1/departments/BENCH-W",
        headers=HR,
        json={"name": "焊装", "parent_code": "BENCH"},
    ).raise_for_status()
    client.put(
        "/training/v1/job-roles/BENCH-OP",
        headers=HR,
        json={"name": "操作工", "family": "production"},
    ).raise_for_status()
    return "BENCH-W", "BENCH-OP"


def import_csv(rows: int, dept: str, role: str, prefix: str) -> bytes:
    lines = ["工号,姓名,部门编码,岗位编码,是否一线,入职日期,状态"]
    lines += [
        f"{prefix}{i:06d},员工{i},{dept},{role},{'是' if i % 10 < 7 else '否'},2022-01-01,在职"
        for i in range(rows)
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def run(stack: Stack) -> list[str]:
    out = []
    with httpx.Client(base_url=stack.gateway_url, timeout=300) as client:
        dept, role = seed_org(client)
        content = import_csv(10_000, dept, role, "BI")
        started = time.perf_counter()
        r = client.post(
            "/training/v1/employee-imports",
            headers=HR,
            files={"file": ("bench.csv", content, "text/csv")},
        )
        elapsed = time.perf_counter() - started
        r.raise_for_status()
        assert r.json()["created"] == 10_000, r.text
        out.append(f"import 10,000 rows (new): {elapsed:.2f} s = {10_000 / elapsed:,.0f} rows/s")
        started = time.perf_counter()
        client.post(
            "/training/v1/employee-imports",
            headers=HR,
            files={"file": ("bench.csv", content, "text/csv")},
        ).raise_for_status()
        elapsed = time.perf_counter() - started
        out.append(
            f"import 10,000 rows (unchanged re-import): {elapsed:.2f} s = "
            f"{10_000 / elapsed:,.0f} rows/s"
        )
    no = f"BI{random.randrange(10_000):06d}"
    with baseline_server(stack.database_url("training")) as base_url:
        base = wrk(f"{base_url}/baseline/employees/{no}")
        ours = wrk(f"{stack.gateway_url}/training/v1/employees/{no}", headers=HR)
    out.append(f"baseline GET one row (bare FastAPI+SQLAlchemy): {base.line()}")
    out.append(f"GET /training/v1/employees/{{no}} via gateway:     {ours.line()}")
    out.append(
        ratio_line("employee read", ours.requests_per_second, base.requests_per_second, 0.80)
    )
    return out
