"""One crash does not take the stack down: points_api killed with SIGKILL during a
burst of course completions is restarted by the supervisor `jifen run` uses,
the rest keeps serving, and every fact ends with its points exactly once.
(`make bench` runs the larger version: 300 completions.)"""

import asyncio
import os
import signal
import threading
import time
from datetime import UTC, datetime

import httpx
from sqlalchemy import text

from jifen.supervisor import Restarts, Supervisor
from shared.db import create_engine
from tests.conftest import auth
from tests.rewards_api.test_reconcile import run_reconcile
from tests.training_api.records import ago, create_course, new_employee, wait_for_points_copy

HR = auth("HR001", "hr_admin")
COMPLETIONS = 40


async def test_a_killed_service_is_restarted_and_no_fact_is_lost_or_paid_twice(
        stack, gw, capsys):
    employees = [(await new_employee(gw))["employee_no"] for _ in range(4)]
    for no in employees:
        await wait_for_points_copy(gw, no)
    course = await create_course(gw, class_hours="2")
    since = datetime.now(UTC).isoformat()
    lines: list[str] = []
    supervisor = Supervisor(stack, log=lines.append)
    stopping = threading.Event()
    watcher = threading.Thread(target=supervisor.run, args=(stopping.is_set, 0.2), daemon=True)
    watcher.start()
    try:
        facts = await burst_with_a_crash(stack, gw, employees, course["code"])
        await wait_until_ready(stack.direct_url("points") + "/points/readyz", within=180)
        paid = await wait_for_points(stack, facts, within=240)
    finally:
        stopping.set()
        watcher.join(timeout=10)
    assert set(paid.values()) == {(1, paid[facts[0]][1])}, paid  # one entry each
    port = stack.replica_ports("points")[0]
    assert any(f"points on :{port} exited (killed by SIGKILL); restarting in 1 s" in line
               for line in lines), lines
    assert any(f"points on :{port} restarted" in line for line in lines), lines
    code, out = await run_reconcile(stack, capsys, "--since", since, "--grace", "0")
    assert code == 0, out


async def burst_with_a_crash(stack, gw, employees: list[str], course: str) -> list[str]:
    """COMPLETIONS recordings, 8 at a time; points_api is killed after the first
    quarter. Every recording answers 201: training_api does not need points_api."""
    gate = asyncio.Semaphore(8)

    async def record(i: int) -> dict:
        async with gate:
            if i == COMPLETIONS // 4:
                points = next(p for p in stack.processes if p.service == "points")
                os.kill(points.proc.pid, signal.SIGKILL)
            r = await gw.post("/training/v1/course-completions", headers=HR, json={
                "employee_no": employees[i % len(employees)], "course_code": course,
                "completed_at": ago(minutes=10 + i)})
            assert r.status_code == 201, r.text
            return r.json()

    done = await asyncio.gather(*(record(i) for i in range(COMPLETIONS)))
    assert {d["points"]["status"] for d in done} <= {"awarded", "pending"}
    return [d["id"] for d in done]


async def wait_until_ready(url: str, within: float) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=3) as client:
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{url} did not come back"
            await asyncio.sleep(0.3)


async def wait_for_points(stack, facts: list[str], within: float) -> dict[str, tuple[int, int]]:
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


def test_backoff_doubles_while_it_keeps_failing_and_resets_once_stable():
    class Fake:
        pg, gateway = None, None

        def __init__(self):
            self.processes = []

    supervisor = Supervisor(Fake(), log=lambda _line: None)
    assert [Restarts(failures=n).delay() for n in (1, 2, 3, 6, 7, 20)] == [1, 2, 4, 30, 30, 30]
    restarted = []
    for now in (0.0, 0.5, 1.0):  # down at 0, restart due at 1
        supervisor._watch("x", "exited", lambda at=now: restarted.append(at), now)
    assert restarted == [1.0]
    supervisor._watch("x", "exited", lambda: None, 2.0)  # down again at once
    assert supervisor.state["x"].failures == 2 and supervisor.state["x"].due == 4.0
    supervisor._watch("x", "exited", lambda: None, 4.0)
    supervisor._watch("x", None, lambda: None, 70.0)  # up for a minute: forgiven
    assert supervisor.state["x"].failures == 0
