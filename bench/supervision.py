"""The crash scenario: points_api killed with SIGKILL during a burst of 300 course
completions. The supervisor `jifen run` uses restarts it by itself; every recording
still answers 201 (training_api does not need points_api to record), every fact
ends with its points exactly once, and ``jifen reconcile`` is clean. A few points
adjustments sent with an Idempotency-Key are in flight at the kill: their retries
with the same keys answer as soon as points_api is back (the dead process's keys are
free at once; a request it had committed answers 409 idempotency-key-answer-lost and
is not run again), and each pays once. Prints the completions a second over the burst, how long
points_api was down, the restarts, how long until the last fact was paid, and the
facts and points."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy import text

from jifen.stack import REPO_ROOT, Stack
from jifen.supervisor import Supervisor
from shared.db import create_engine

COMPLETIONS = 300
AT_ONCE = 8
EMPLOYEES = 10
KEYED_ADJUSTMENTS = 4


async def burst_with_a_crash(stack: Stack, gw: httpx.AsyncClient, hr: dict[str, str],
                             employees: list[str], course: str, *, completions: int,
                             at_kill: asyncio.Event | None = None) -> tuple[list[dict], float]:
    """``completions`` recordings, AT_ONCE at a time; points_api is killed (SIGKILL)
    after the first quarter. Every recording must answer 201: training_api does not
    need points_api. The recordings and the monotonic time of the kill."""
    gate = asyncio.Semaphore(AT_ONCE)
    killed_at = 0.0

    async def record(i: int) -> dict:
        nonlocal killed_at
        async with gate:
            if i == completions // 4:
                points = next(p for p in stack.processes if p.service == "points")
                os.kill(points.proc.pid, signal.SIGKILL)
                killed_at = time.monotonic()
                if at_kill is not None:
                    at_kill.set()
            moment = datetime.now(UTC).timestamp() - 600 - i
            r = await gw.post("/training/v1/course-completions", headers=hr, json={
                "employee_no": employees[i % len(employees)], "course_code": course,
                "completed_at": datetime.fromtimestamp(moment, UTC).isoformat()})
            assert r.status_code == 201, r.text
            return r.json()

    done = await asyncio.gather(*(record(i) for i in range(completions)))
    assert {d["points"]["status"] for d in done} <= {"awarded", "pending"}
    return list(done), killed_at


async def wait_until_ready(url: str, within: float) -> float:
    """The monotonic time ``url`` first answered 200."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=3) as client:
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    return time.monotonic()
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{url} did not come back"
            await asyncio.sleep(0.2)


async def wait_for_points(stack: Stack, facts: list[str], within: float
                          ) -> dict[str, tuple[int, int]]:
    """Per fact, (ledger entries, points), once every fact has its entries."""
    engine = create_engine(stack.database_url("points"), pool_size=1, max_overflow=0)
    query = text("SELECT source_fact_id, count(*), sum(amount) FROM ledger_entry "
                 "WHERE source_fact_id = ANY(:ids) AND kind = 'earn' GROUP BY source_fact_id")
    deadline = time.monotonic() + within
    try:
        while True:
            async with engine.connect() as conn:
                rows = (await conn.execute(query, {"ids": facts})).all()
            paid = {fact: (int(n), int(points)) for fact, n, points in rows}
            if len(paid) == len(facts) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()
    assert len(paid) == len(facts), f"{len(facts) - len(paid)} facts never got their points"
    return paid


def run(stack: Stack) -> list[str]:
    lines: list[str] = []
    supervisor = Supervisor(stack, log=lines.append)
    stopping = threading.Event()
    watcher = threading.Thread(target=supervisor.run, args=(stopping.is_set, 0.2), daemon=True)
    watcher.start()
    try:
        figures = asyncio.run(_scenario(stack))
    finally:
        stopping.set()
        watcher.join(timeout=10)
    port = stack.replica_ports("points")[0]
    assert any(f"points on :{port} exited (killed by SIGKILL)" in line for line in lines), lines
    restarts = [line for line in lines if line.endswith(" restarted")]
    assert f"points on :{port}" in " ".join(restarts), lines
    code, out = _reconcile(stack, figures.pop("since"))
    assert code == 0, f"jifen reconcile found differences:\n{out}"
    return [
        f"{COMPLETIONS} course completions, {AT_ONCE} at a time, to {EMPLOYEES} employees; "
        f"points_api killed (SIGKILL) after {COMPLETIONS // 4}: every recording answered "
        f"201 ({figures['awarded']} with their points at once, {figures['pending']} "
        f"pending), {COMPLETIONS / figures['burst']:.1f} completions/s over the burst "
        f"({figures['burst']:.1f} s)",
        f"points_api restarted by the supervisor and ready {figures['down']:.1f} s after "
        f"the kill; {len(restarts)} restart(s) in all; the supervisor's log: "
        + "; ".join(line.split(" ", 1)[-1] for line in lines),
        f"every fact paid exactly once: {figures['facts']} facts, "
        f"{figures['points']:,} points, the last {figures['all_paid']:.1f} s after the kill",
        f"{KEYED_ADJUSTMENTS} adjustments in flight at the kill, retried with their "
        f"Idempotency-Keys: all answered once points_api was back, the last "
        f"{figures['keys_free']:.1f} s after the kill ({figures['answers_lost']} 409 "
        "idempotency-key-answer-lost, carried out before the kill), each paid once",
        "jifen reconcile --since the burst: clean",
    ]


async def _scenario(stack: Stack) -> dict:
    from tests.conftest import auth, register_stack
    from tests.factories import create_employee, create_org
    from tests.training_api.records import create_course, wait_for_points_copy

    register_stack(stack)
    hr = auth("HR001", "hr_admin")
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as gw:
        org = await create_org(gw)
        employees = [(await create_employee(gw, department=org["department"]["code"],
                                            role=org["role"]["code"]))["employee_no"]
                     for _ in range(EMPLOYEES)]
        for no in employees:
            await wait_for_points_copy(gw, no, within=60)
        course = await create_course(gw, class_hours="2")
        since = datetime.now(UTC).isoformat()
        at_kill = asyncio.Event()
        keyed = asyncio.create_task(_keyed_adjustments(gw, employees, at_kill))
        began = time.monotonic()
        done, killed_at = await burst_with_a_crash(stack, gw, hr, employees, course["code"],
                                                   completions=COMPLETIONS, at_kill=at_kill)
        burst = time.monotonic() - began
        ready_at = await wait_until_ready(stack.direct_url("points") + "/points/readyz",
                                          within=300)
        keys_free_at, answers_lost = await keyed
        facts = [d["id"] for d in done]
        paid = await wait_for_points(stack, facts, within=600)
        all_paid_at = time.monotonic()
        assert {n for n, _ in paid.values()} == {1}, "a fact was paid twice"
        await _each_paid_once(gw, hr, employees)
    statuses = [d["points"]["status"] for d in done]
    return {"since": since, "awarded": statuses.count("awarded"),
            "pending": statuses.count("pending"), "burst": burst,
            "down": ready_at - killed_at,
            "facts": len(paid), "points": sum(p for _, p in paid.values()),
            "all_paid": all_paid_at - killed_at, "keys_free": keys_free_at - killed_at,
            "answers_lost": answers_lost}


async def _keyed_adjustments(gw: httpx.AsyncClient, employees: list[str],
                             at_kill: asyncio.Event) -> tuple[float, int]:
    """Adjustments with Idempotency-Keys sent as points_api is killed, retried with the
    same keys until they answer; the monotonic time the last one answered and how
    many answered that the killed process had carried them out."""
    from tests.conftest import auth

    hr = auth("HR-BENCH", "hr_admin")
    keys = {no: str(uuid.uuid4()) for no in employees[:KEYED_ADJUSTMENTS]}
    body = {"points": 5, "category": "participation", "reason": "崩溃恢复测试"}

    async def adjust(no: str) -> tuple[float, bool]:
        while True:
            try:
                r = await gw.post(f"/points/v1/accounts/{no}/adjustments", json=body,
                                  headers={**hr, "Idempotency-Key": keys[no]})
            except httpx.HTTPError:
                r = None
            if r is not None and (r.status_code == 201 or _answer_lost(r)):
                return time.monotonic(), r.status_code == 409
            assert r is None or r.status_code in (409, 502, 503, 504), r.text
            await asyncio.sleep(0.2)

    await at_kill.wait()
    answers = await asyncio.gather(*(adjust(no) for no in keys))
    return max(at for at, _ in answers), sum(lost for _, lost in answers)


def _answer_lost(r: httpx.Response) -> bool:
    """409 for a key whose request was carried out by the killed process, its answer
    not kept: it is not run again."""
    return r.status_code == 409 and r.json()["type"].endswith("/idempotency-key-answer-lost")


async def _each_paid_once(gw: httpx.AsyncClient, hr: dict[str, str],
                          employees: list[str]) -> None:
    for no in employees[:KEYED_ADJUSTMENTS]:
        r = await gw.get(f"/points/v1/accounts/{no}/entries", headers=hr,
                         params={"limit": 500, "kind": "adjust"})
        assert r.status_code == 200, r.text
        adjustments = [e for e in r.json()["items"] if e["reason"].endswith("崩溃恢复测试")]
        assert len(adjustments) == 1, f"{no}: {len(adjustments)} adjustments for one key"


def _reconcile(stack: Stack, since: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "jifen.cli", "reconcile",
         "--points-url", stack.database_url("points"),
         "--rewards-url", stack.database_url("rewards"),
         "--training-url", stack.database_url("training"), "--since", since, "--grace", "0"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout + done.stderr
