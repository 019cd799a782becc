"""Employee benchmarks: the employee read through the gateway against the bare
one-SELECT endpoint (direct, and through a gateway of its own: the floor), and a
10,000-row import in one request."""

from __future__ import annotations

import os
import time

import httpx

from bench.harness import (
    Run,
    baseline_server,
    client_tokens,
    measure,
    quiesce,
    ratio_lines,
    stack_roots,
)
from jifen.stack import Stack
from tests.conftest import auth

HR = auth("BENCH-HR", "hr_admin")
ROWS = int(os.environ.get("BENCH_EMPLOYEE_ROWS", "10000"))


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


def imports(client: httpx.Client) -> list[str]:
    dept, role = seed_org(client)
    content = import_csv(ROWS, dept, role, "BI")
    out = []
    for label, created in (("new", ROWS), ("unchanged re-import", 0)):
        started = time.perf_counter()
        r = client.post("/training/v1/employee-imports", headers=HR,
                        files={"file": ("bench.csv", content, "text/csv")})
        elapsed = time.perf_counter() - started
        r.raise_for_status()
        assert r.json()["created"] == created, r.text
        out.append(f"import {ROWS:,} rows ({label}): {elapsed:.2f} s = "
                   f"{ROWS / elapsed:,.0f} rows/s")
    return out


def reads(stack: Stack) -> tuple[Run, Run, Run]:
    """The same rows read three ways, each spread over the imported employees."""
    # every run sends the same 32 clients' tokens: the gateway limits each client (or,
    # without a token, each address: a quiet machine's floor would pass that limit)
    env = {"BENCH_KEYS": str(ROWS), "BENCH_TOKENS": client_tokens("hr_admin")}
    with baseline_server(stack, "training") as base:
        bare = measure("bare one-SELECT", base.url, roots=base.roots(stack), script="get.lua",
                       expect=200, env={**env, "BENCH_PATH": "/baseline/employees/BI%06d"})
        floor = measure("floor (bare one-SELECT through nginx)", base.floor_url,
                        roots=base.floor_roots(stack), script="get.lua", expect=200,
                        env={**env, "BENCH_PATH": "/training/baseline/employees/BI%06d"})
    ours = measure("GET /training/v1/employees/{no} via gateway", stack.gateway_url,
                   roots=stack_roots(stack, "training"), script="get.lua", expect=200,
                   env={**env, "BENCH_PATH": "/training/v1/employees/BI%06d"})
    return bare, floor, ours


def run(stack: Stack) -> list[str]:
    with httpx.Client(base_url=stack.gateway_url, timeout=300) as client:
        out = imports(client)
    started = time.perf_counter()
    quiesce(stack)
    elapsed = time.perf_counter() - started
    out.append(f"the import's {2 * ROWS:,} employee events delivered to points_api and "
               f"rewards_api {elapsed:.0f} s after the second import answered")
    bare, floor, ours = reads(stack)
    return [*out, bare.line(), floor.line(), ours.line(),
            *ratio_lines("employee read", ours, bare, 0.80),
            *ratio_lines("employee read against the floor", ours, floor, 0.80)]
