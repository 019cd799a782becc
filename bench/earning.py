"""Earning benchmarks: training facts recorded through the gateway with their
points awarded, against the bare one-INSERT endpoint; the time from a fact
recorded to its points visible in the account, under load; and points_api
draining a backlog of queued facts (events per second and CPU per event)."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import httpx

from bench.harness import (
    asyncpg_dsn,
    baseline_server,
    client_tokens,
    cpu_seconds,
    drain_outboxes,
    idle_rates,
    measure,
    pg_stats,
    quiesce,
    ratio_lines,
    settle_start,
    stack_roots,
    wait_for_copies,
)
from bench.redemptions import warm  # measured warm, as redemptions are (WARM_SECONDS)
from jifen.stack import Stack
from shared.contracts.training_events import CourseCompleted
from tests.conftest import auth

HR = auth("BENCH-HR", "hr_admin")
PREFIX, EMPLOYEES, COURSE = "BF", 200, "BENCH-C1"
DRAIN_EVENTS = int(os.environ.get("BENCH_DRAIN_EVENTS", "100000"))
FACTS_AT = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)


def seed(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
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
    asyncio.run(wait_for_copies(stack, f"{PREFIX}{EMPLOYEES - 1:05d}", ("points",)))


async def visible_latencies(gateway: str, seconds: float, concurrency: int) -> tuple[list, int]:
    """Record facts at a fixed concurrency; for each, the time until its points are
    known to the client: the response itself when it says awarded, else its outcome
    URL read as a long poll (what a client of a pending answer does)."""
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
            if r.status_code != 201:
                raise RuntimeError(f"recording answered {r.status_code}: {r.text[:300]}")
            points = r.json()["points"]
            if points["status"] == "pending":
                pending_seen += 1
                while points["status"] == "pending":
                    outcome = await client.get(points["outcome_url"], headers=HR,
                                               params={"wait": 8})
                    if outcome.status_code != 200:
                        raise RuntimeError(f"outcome answered {outcome.status_code}")
                    points = outcome.json()
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        await asyncio.gather(*[worker(client, n) for n in range(concurrency)])
    return latencies, pending_seen


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else 0.0


async def _queue_facts(stack: Stack, count: int) -> None:
    """``count`` course-completion events written straight into training_api's outbox,
    as recordings would have left them had points_api been away, for seeded employees."""
    conn = await asyncpg.connect(asyncpg_dsn(stack, "training"))
    try:
        now = datetime.now(UTC)
        rows = []
        for i in range(count):
            event = CourseCompleted(
                fact_id=str(uuid.uuid4()), employee_no=f"{PREFIX}{i % EMPLOYEES:05d}",
                occurred_at=FACTS_AT, course_code=COURSE, course_title="设备操作基础",
                course_format="offline", course_difficulty="intermediate",
                class_hours=Decimal(2))
            rows.append((uuid.uuid4(), event.event_type, "points",
                         event.model_dump_json(), FACTS_AT, now, now))
        await conn.copy_records_to_table(
            "outbox_event", records=rows,
            columns=["event_id", "event_type", "destination", "payload", "occurred_at",
                     "created_at", "available_at"])
    finally:
        await conn.close()


def drain(stack: Stack, count: int) -> list[str]:
    """points_api applying a backlog of ``count`` queued facts, timed from the moment
    they are queued until training_api's outbox is empty."""
    roots = stack_roots(stack, "training", "points")
    drained = drain_outboxes(stack, "training", timeout=3600)
    idle = idle_rates(roots)
    details: list[str] = []
    with pg_stats(stack, details, lambda: count):
        before = cpu_seconds(roots)
        started = time.perf_counter()
        asyncio.run(_queue_facts(stack, count))
        drained()
        elapsed = time.perf_counter() - started
        after = cpu_seconds(roots)
    per_event = {g: max(after[g] - before[g] - idle[g] * elapsed, 0.0) * 1e6 / count
                 for g in roots}
    groups = " + ".join(f"{g} {us:,.0f}" for g, us in per_event.items())
    return [f"points_api drained {count:,} queued facts in {elapsed:.1f} s = "
            f"{count / elapsed:,.0f} events/s; CPU/event {sum(per_event.values()):,.0f} us "
            f"= {groups}", *(f"  {d}" for d in details)]


# the two ways a recording tells its points (TRAINING_FEEDBACK_BUDGET_SECONDS): wait for
# points_api within the budget and answer with them, or answer pending at once (with the
# outcome URL) while the same deliveries apply them
# the load of the benchmark, and a quarter of it: with clients that wait for each answer,
# the time to points is at least clients / throughput, whatever the code does
LATENCY_CLIENTS = (32, 8)
MODES = {"synchronous (budget 0.8 s)": "0.8", "pending + outcome URL (budget 0)": "0"}
# "0": the kept mode only (quicker before/after pairs)
if os.environ.get("BENCH_PENDING") == "0":
    del MODES["pending + outcome URL (budget 0)"]


def feedback_budget(stack: Stack, seconds: str | None) -> None:
    """Restart training_api with this feedback budget (None: its configured one)."""
    if seconds is None:
        stack.config.extra_env.pop("TRAINING_FEEDBACK_BUDGET_SECONDS", None)
    else:
        stack.config.extra_env["TRAINING_FEEDBACK_BUDGET_SECONDS"] = seconds
    stack.stop_service("training")
    stack.start_service("training")
    settle_start({"training": stack_roots(stack, "training")["training"]})


def run(stack: Stack) -> list[str]:
    seed(stack)
    quiesce(stack)
    env = {"BENCH_TOKENS": client_tokens("hr_admin"), "BENCH_EMPLOYEES": str(EMPLOYEES),
           "BENCH_PREFIX": PREFIX, "BENCH_COURSE": COURSE, "BENCH_MATCH": '"status":"pending"'}
    with baseline_server(stack, "training") as base:
        warm(base.url, script="insert.lua", expect=200)
        bare = measure("bare one-INSERT", base.url, roots=base.roots(stack),
                       script="insert.lua", expect=200, stack=stack)
    lines = [bare.line()]
    try:
        for mode, budget in MODES.items():
            feedback_budget(stack, budget)  # a restart: training_api's pool starts anew
            warm(stack.gateway_url, script="record_completion.lua", expect=201, env=env)
            quiesce(stack)
            ours = measure(f"POST /training/v1/course-completions via gateway, {mode}",
                           stack.gateway_url, roots=stack_roots(stack, "training", "points"),
                           script="record_completion.lua", expect=201, env=env,
                           settle=drain_outboxes(stack, "training"), stack=stack)
            lines += [ours.line(), f"  of which answered 'pending': {ours.wrk.matched:,}",
                      *ratio_lines(f"facts recorded with points, {mode}", ours, bare, 0.40)]
            for clients in LATENCY_CLIENTS:
                latencies, pending = asyncio.run(
                    visible_latencies(stack.gateway_url, 10, clients))
                lines.append(
                    f"  fact recorded -> points known to the client, {clients} concurrent "
                    f"clients, {len(latencies)} facts ({len(latencies) / 10:.0f}/s): p50 "
                    f"{pct(latencies, 50):.0f} ms, p95 {pct(latencies, 95):.0f} ms ({pending} "
                    f"answered 'pending' and read their outcome URL; goal p95 < 1000 ms)")
    finally:
        feedback_budget(stack, None)
    return [*lines, *drain(stack, DRAIN_EVENTS)]
