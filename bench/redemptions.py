"""Issue-5 benchmarks: redemptions per second through the gateway (no approval,
unlimited stock) against the bare one-INSERT baseline, and 200 concurrent
redemptions on 20 units of stock: time taken and zero oversell."""

from __future__ import annotations

import asyncio
import time

import httpx

from bench.harness import baseline_server, ratio_line, wrk
from jifen.stack import Stack
from tests.conftest import auth, make_token

HR = auth("BENCH-HR", "hr_admin")
PREFIX, EMPLOYEES = "BR", 200


def seed(client: httpx.Client) -> None:
    put = lambda path, body: client.put(path, headers=HR, json=body).raise_for_status()  # noqa: E731
    put("/training/v1/departments/BENCH-R", {"name": "压测兑换"})
    put("/training/v1/job-roles/BENCH-ROP", {"name": "操作工", "family": "production"})
    for i in range(EMPLOYEES):
        put(f"/training/v1/employees/{PREFIX}{i:05d}", {
            "name": f"员工{i}", "department_code": "BENCH-R", "job_role_code": "BENCH-ROP"})
    put("/rewards/v1/items/BENCH-GIFT", {"name": "纪念品", "kind": "gift", "cost_points": 1})
    put("/rewards/v1/items/BENCH-SCARCE", {"name": "限量体检", "kind": "health_check",
                                           "cost_points": 1, "stock": 20})
    last = f"{PREFIX}{EMPLOYEES - 1:05d}"
    deadline = time.monotonic() + 60
    for service in ("points", "rewards"):
        while client.get(f"/{service}/v1/internal/employees/{last}", headers=HR).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("employee copies did not arrive")
            time.sleep(0.2)
    for i in range(EMPLOYEES):
        client.post(f"/points/v1/accounts/{PREFIX}{i:05d}/adjustments", headers=HR, json={
            "points": 1_000_000, "category": "participation", "reason": "压测期初积分"},
        ).raise_for_status()


async def contention(gateway: str) -> tuple[float, int, int]:
    async with httpx.AsyncClient(base_url=gateway, timeout=120) as client:
        started = time.perf_counter()
        answers = await asyncio.gather(*[client.post("/rewards/v1/redemptions", headers=HR, json={
            "item_code": "BENCH-SCARCE", "employee_no": f"{PREFIX}{i % EMPLOYEES:05d}"})
            for i in range(200)])
        elapsed = time.perf_counter() - started
        item = (await client.get("/rewards/v1/items/BENCH-SCARCE", headers=HR)).json()
    won = sum(1 for a in answers if a.status_code == 201)
    issued = item["stock"]["issued"] + item["stock"]["reserved"]
    return elapsed, won, issued


def run(stack: Stack) -> list[str]:
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
        seed(client)
    env = {"BENCH_TOKEN": make_token("BENCH-HR", "hr_admin"), "BENCH_PREFIX": PREFIX,
           "BENCH_EMPLOYEES": str(EMPLOYEES), "BENCH_ITEM": "BENCH-GIFT"}
    with baseline_server(stack.database_url("rewards")) as base_url:
        base = wrk(f"{base_url}/baseline/insert", script="baseline_insert.lua")
    ours = wrk(stack.gateway_url, script="redeem.lua", env=env)
    elapsed, won, issued = asyncio.run(contention(stack.gateway_url))
    return [
        f"baseline POST one INSERT (bare FastAPI+SQLAlchemy): {base.line()}",
        f"POST /rewards/v1/redemptions via gateway:          {ours.line()}",
        ratio_line("redemptions", ours.requests_per_second, base.requests_per_second, 0.25),
        f"200 concurrent redemptions on 20 units: {elapsed:.2f} s, {won} succeeded, "
        f"{issued} units out ({'zero oversell' if won == issued == 20 else 'OVERSOLD or short'})",
    ]
