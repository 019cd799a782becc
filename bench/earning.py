"""Issue-3 benchmarks: training facts recorded per second through the gateway
with their points awarded, against the bare one-INSERT baseline; and the time
from a fact recorded to its points visible in the account, under load."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

import httpx

from bench.harness import baseline_server, ratio_line, wrk
from jifen.stack import Stack
from tests.conftest import auth, make_token

HR = auth("BENCH-HR", "hr_admin")
PREFIX, EMPLOYEES, COURSE = "BF", 200, "BENCH-C1"


def seed(client: httpx.Client) -> None:
    put = lambda path, body: client.put(path, headers=HR, json=body).raise_for_status()  # noqa: E731
    put("/training/v1/departments/BENCH-F", {"name": "压测车间"})
    put("/training/v1/job-roles/BENCH-FOP", {"name": "操作工", "family": "production"})
    put(f"/training/v1/courses/{COURSE}", {
        "title": "设备操作基础", "format": "offline", "difficulty": "intermediate",
        "class_hours": "2"})
    for i in range(EMPLOYEES):
        put(f"/training/v1/employees/{PREFIX}{i:05d}", {
            "name": f"员工{i}", "department_code": "BENCH-F", "job_role_code": "BENCH-FOP",
            "is_front_line": True})
    deadline = time.monotonic() + 60
    last = f"{PREFIX}{EMPLOYEES - 1:05d}"
    while client.get(f"/points/v1/internal/employees/{last}", headers=HR).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("employee copies did not reach points_api")
        time.sleep(0.2)


async def visible_latencies(gateway: str, seconds: float, concurrency: int) -> tuple[list, int]:
    """Record facts at a fixed concurrency; for each, the time until its points are
    in the account: the response itself when it says awarded, else polled."""
    latencies: list[float] = []
    pending_seen = 0
    stop = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient, n: int) -> None:
        nonlocal pending_seen
        i = 0
        while time.monotonic() < stop:
            i += 1
            no = f"{PREFIX}{(n * 7919 + i) % EMPLOYEES:05d}"
            started = time.perf_counter()
            r = await client.post("/training/v1/course-completions", headers=HR, json={
                "employee_no": no, "course_code": COURSE, "client_id": str(uuid.uuid4()),
                "completed_at": "2026-01-15T10:00:00+08:00"})
            r.raise_for_status()
            if r.json()["points"]["status"] == "awarded":
                latencies.append(time.perf_counter() - started)
                continue
            pending_seen += 1
            fact_id = r.json()["id"]
            while True:
                entries = await client.get(f"/points/v1/accounts/{no}/entries", headers=HR,
                                           params={"limit": 20})
                if any(e["source_fact_id"] == fact_id for e in entries.json()["items"]):
                    latencies.append(time.perf_counter() - started)
                    break
                await asyncio.sleep(0.02)

    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        await asyncio.gather(*[worker(client, n) for n in range(concurrency)])
    return latencies, pending_seen


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else 0.0


def run(stack: Stack) -> list[str]:
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
        seed(client)
    token = make_token("BENCH-HR", "hr_admin")
    env = {"BENCH_TOKEN": token, "BENCH_EMPLOYEES": str(EMPLOYEES), "BENCH_PREFIX": PREFIX,
           "BENCH_COURSE": COURSE}
    with baseline_server(stack.database_url("training")) as base_url:
        base = wrk(f"{base_url}/baseline/insert", script="baseline_insert.lua")
    ours = wrk(stack.gateway_url, script="record_completion.lua", env=env)
    latencies, pending = asyncio.run(visible_latencies(stack.gateway_url, 10, 32))
    return [
        f"baseline POST one INSERT (bare FastAPI+SQLAlchemy): {base.line()}",
        f"POST /training/v1/course-completions via gateway:  {ours.line()}",
        ratio_line("facts recorded with points", ours.requests_per_second,
                   base.requests_per_second, 0.40),
        f"fact recorded -> points visible, 32 concurrent clients, {len(latencies)} facts: "
        f"p50 {pct(latencies, 50):.0f} ms, p95 {pct(latencies, 95):.0f} ms "
        f"({pending} answered 'pending' and were polled; goal p95 < 1000 ms)",
    ]
