"""Redemption benchmarks: redemptions through the gateway without approval against the
bare one-INSERT endpoint, of an item that takes nothing but points (unlimited stock:
two statements, nothing reserved) and of an item with stock (two statements, the
first of which reserves a unit and commits before the spend), and 200 concurrent
redemptions on 20 units of stock: time taken and zero oversell."""

from __future__ import annotations

import asyncio
import os
import time

import asyncpg
import httpx

from bench.harness import (
    Run,
    asyncpg_dsn,
    baseline_server,
    client_tokens,
    drain_outboxes,
    measure,
    quiesce,
    ratio_lines,
    stack_roots,
    wait_for_copies,
    wrk,
)
from jifen.stack import Stack
from tests.conftest import auth

HR = auth("BENCH-HR", "hr_admin")
PREFIX, EMPLOYEES = "BR", 200
# seconds of load before each measured run, not measured: every pooled connection has
# prepared its statements (and PostgreSQL planned them) before the CPU is counted, as
# it has a few seconds into any real load (BENCH_WARM_SECONDS=0: none)
WARM_SECONDS = int(os.environ.get("BENCH_WARM_SECONDS", "5"))
# BENCH_STOCKED=0 leaves out the item with stock (the item that takes nothing but points
# and the contention are always measured)
STOCKED = os.environ.get("BENCH_STOCKED", "1") != "0"


def seed(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
        put = lambda path, body: client.put(path, headers=HR, json=body).raise_for_status()  # noqa: E731
        put("/training/v1/departments/BENCH-R", {"name": "压测兑换"})
        put("/training/v1/job-roles/BENCH-ROP", {"name": "操作工", "family": "production"})
        for i in range(EMPLOYEES):
            put(f"/training/v1/employees/{PREFIX}{i:05d}", {
                "name": f"员工{i}", "department_code": "BENCH-R", "job_role_code": "BENCH-ROP"})
        put("/rewards/v1/items/BENCH-GIFT", {"name": "纪念品", "kind": "gift", "cost_points": 1})
        put("/rewards/v1/items/BENCH-STOCKED", {"name": "劳保手套", "kind": "gift",
                                                "cost_points": 1, "stock": 10_000_000})
        put("/rewards/v1/items/BENCH-SCARCE", {"name": "限量体检", "kind": "health_check",
                                               "cost_points": 1, "stock": 20})
        asyncio.run(wait_for_copies(stack, f"{PREFIX}{EMPLOYEES - 1:05d}",
                                    ("points", "rewards")))
        for i in range(EMPLOYEES):
            client.post(f"/points/v1/accounts/{PREFIX}{i:05d}/adjustments", headers=HR, json={
                "points": 1_000_000, "category": "participation", "reason": "压测期初积分"},
            ).raise_for_status()


async def contention(gateway: str) -> tuple[float, int, int, dict[int, int]]:
    async with httpx.AsyncClient(base_url=gateway, timeout=120) as client:
        started = time.perf_counter()
        answers = await asyncio.gather(*[client.post("/rewards/v1/redemptions", headers=HR, json={
            "item_code": "BENCH-SCARCE", "employee_no": f"{PREFIX}{i % EMPLOYEES:05d}"})
            for i in range(200)])
        elapsed = time.perf_counter() - started
        item = (await client.get("/rewards/v1/items/BENCH-SCARCE", headers=HR)).json()
    statuses: dict[int, int] = {}
    for a in answers:
        statuses[a.status_code] = statuses.get(a.status_code, 0) + 1
    issued = item["stock"]["issued"] + item["stock"]["reserved"]
    return elapsed, statuses.get(201, 0), issued, statuses


def warm(url: str, *, script: str, expect: int, env: dict[str, str] | None = None) -> None:
    """The same load as the measured run, for WARM_SECONDS, unmeasured."""
    if WARM_SECONDS > 0:
        wrk(url, script=script, expect=expect, env=env, seconds=WARM_SECONDS)


async def _outbox_mark(stack: Stack) -> tuple[int, object]:
    """Where the run starts: the last outbox row of rewards_api, points_api's clock."""
    rewards = await asyncpg.connect(asyncpg_dsn(stack, "rewards"))
    points = await asyncpg.connect(asyncpg_dsn(stack, "points"))
    try:
        return (await rewards.fetchval("SELECT coalesce(max(id), 0) FROM outbox_event"),
                await points.fetchval("SELECT clock_timestamp()"))
    finally:
        await rewards.close()
        await points.close()


async def confirmations(stack: Stack, mark: tuple[int, object]) -> str:
    """How the run's spends were confirmed: the ``hold.capture`` rows rewards_api wrote
    after ``mark``, the relay calls that carried them (rows marked by one transaction
    share its ``delivered_at``) and points_api's inbox batches that applied them (claims
    of one transaction share its ``processed_at``)."""
    after_id, since = mark
    rewards = await asyncpg.connect(asyncpg_dsn(stack, "rewards"))
    points = await asyncpg.connect(asyncpg_dsn(stack, "points"))
    try:
        rows, calls = await rewards.fetchrow(
            "SELECT count(*), count(DISTINCT delivered_at) FROM outbox_event "
            "WHERE id > $1 AND event_type = 'hold.capture'", after_id)
        batches = await points.fetchval(
            "SELECT count(DISTINCT processed_at) FROM processed_event "
            "WHERE processed_at >= $1 AND event_type = 'hold.capture'", since)
    finally:
        await rewards.close()
        await points.close()
    return (f"{rows:,} spends confirmed by {calls:,} relay calls "
            f"({rows / max(calls, 1):.1f} a call) in {batches:,} inbox batches of points_api "
            f"({rows / max(batches, 1):.1f} a batch)")


def redemptions(stack: Stack, label: str, env: dict[str, str]) -> tuple[Run, str]:
    """Warm, then measure redemptions of env's BENCH_ITEM through the gateway until the
    outboxes have delivered what they wrote; and how the spends were confirmed."""
    warm(stack.gateway_url, script="redeem.lua", expect=201, env=env)
    quiesce(stack)
    mark = asyncio.run(_outbox_mark(stack))
    run = measure(label, stack.gateway_url, roots=stack_roots(stack, "rewards", "points"),
                  script="redeem.lua", expect=201, env=env,
                  settle=drain_outboxes(stack, "rewards"), stack=stack)
    return run, f"{label}: {asyncio.run(confirmations(stack, mark))}"


def run(stack: Stack) -> list[str]:
    seed(stack)
    quiesce(stack)
    env = {"BENCH_TOKENS": client_tokens("hr_admin"), "BENCH_PREFIX": PREFIX,
           "BENCH_EMPLOYEES": str(EMPLOYEES), "BENCH_ITEM": "BENCH-GIFT"}
    with baseline_server(stack, "rewards") as base:
        warm(base.url, script="insert.lua", expect=200)
        bare = measure("bare one-INSERT", base.url, roots=base.roots(stack),
                       script="insert.lua", expect=200, stack=stack)
    ours, ours_confirmed = redemptions(stack, "POST /rewards/v1/redemptions via gateway", env)
    stocked, stocked_confirmed = (
        redemptions(stack, "the same, an item with stock", {**env, "BENCH_ITEM": "BENCH-STOCKED"})
        if STOCKED else (None, None))
    elapsed, won, issued, statuses = asyncio.run(contention(stack.gateway_url))
    others = set(statuses) - {201, 409}
    if others:
        raise RuntimeError(f"contention answered unexpected statuses: {statuses}")
    return [
        bare.line(), ours.line(),
        *([stocked.line()] if stocked else []),
        *ratio_lines("redemptions", ours, bare, 0.25),
        *(ratio_lines("redemptions of an item with stock", stocked, bare, 0.25)
          if stocked else []),
        ours_confirmed, *([stocked_confirmed] if stocked_confirmed else []),
        f"200 concurrent redemptions on 20 units: {elapsed:.2f} s, {won} succeeded, "
        f"{issued} units out, answers {dict(sorted(statuses.items()))} "
        f"({'zero oversell' if won == issued == 20 else 'OVERSOLD or short'})",
    ]
