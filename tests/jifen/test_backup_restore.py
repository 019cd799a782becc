"""``jifen backup`` and ``jifen restore`` on a plant of their own: points, holds,
redemptions, webhook deliveries and outbox backlogs survive a wipe of the
database server, and the backlogs resume without anything delivered twice."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from jifen.devdb import LocalPostgres
from jifen.stack import Stack
from tests.conftest import start_stack, stop_stack
from tests.points_api.webhooks.receiver import Receiver
from tests.rewards_api.helpers import (
    HR,
    give_points,
    put_item,
    redeem,
    settled_hold,
    synced_employee,
    wait_for,
)
from tests.training_api.records import create_course

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("training", "points", "rewards")
# what must come back exactly as it was: table -> columns that order its rows
COMPARED = {
    "points": {"account": "employee_no", "ledger_entry": "id", "hold": "hold_id",
               "webhook_event": "id", "webhook_delivery": "id", "processed_event": "event_id"},
    "rewards": {"redemption": "id", "reward_item": "code", "limit_usage": "employee_no"},
    "training": {"employee": "employee_no", "training_fact": "id"},
}


def jifen(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", "jifen.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=600, env={**clean, **env})


@pytest.fixture(scope="module")
def plant() -> Iterator[Stack]:
    """A system of its own (its database is wiped by the test); webhook deliveries
    keep retrying while the receiver is down instead of dead-lettering."""
    s, base = start_stack(1, env={"POINTS_WEBHOOK_MAX_ATTEMPTS": "1000"})
    yield s
    stop_stack(s, base)


@pytest.fixture
async def gw(plant: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=plant.gateway_url, timeout=30) as client:
        yield client


async def read_state(stack: Stack) -> dict[str, Any]:
    """The compared tables of the three databases, row by row, and each outbox."""
    state: dict[str, Any] = {}
    for service in SERVICES:
        conn = await asyncpg.connect(stack.database_url(service).replace("+asyncpg", ""))
        try:
            for table, order in COMPARED[service].items():
                state[table] = [dict(r) for r in await conn.fetch(
                    f"SELECT * FROM {table} ORDER BY {order}")]
            state[f"{service}.outbox"] = {
                (r["event_id"], r["destination"]): r["delivered_at"] is not None
                for r in await conn.fetch("SELECT * FROM outbox_event")}
        finally:
            await conn.close()
    return state


async def count(stack: Stack, service: str, sql: str) -> int:
    conn = await asyncpg.connect(stack.database_url(service).replace("+asyncpg", ""))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def settled(stack: Stack) -> bool:
    """No outbox row and no webhook delivery left to send."""
    backlog = 0
    for service in SERVICES:
        backlog += await count(stack, service, "SELECT count(*) FROM outbox_event "
                                               "WHERE delivered_at IS NULL AND dead_at IS NULL")
    webhooks = await count(stack, "points", "SELECT count(*) FROM webhook_delivery "
                                            "WHERE status = 'pending'")
    return backlog == 0 and webhooks == 0


async def complete(gw: httpx.AsyncClient, employee: dict[str, Any], at: str,
                   points_status: str) -> dict[str, Any]:
    """A course of its own completed by the employee; the recording's answer."""
    course = await create_course(gw, class_hours="2", difficulty="intermediate")
    r = await gw.post("/training/v1/course-completions", headers=HR, json={
        "employee_no": employee["employee_no"], "course_code": course["code"],
        "completed_at": at})
    assert r.status_code == 201 and r.json()["points"]["status"] == points_status, r.text
    return r.json()


async def make_plant(gw: httpx.AsyncClient, receiver: Receiver) -> dict[str, Any]:
    """Two employees with points from a course and from HR; a fulfilled gift
    (captured hold), a redemption waiting for approval (active hold), a rejected
    one (released hold); every event delivered to a webhook receiver."""
    r = await gw.post("/points/v1/webhooks", headers=HR,
                      json={"url": receiver.url, "event_types": ["*"]})
    assert r.status_code == 201, r.text
    first = await synced_employee(gw, name="张伟")
    second = await synced_employee(gw, org=first["org"], name="李娜")
    await complete(gw, first, "2026-03-12T16:30:00+08:00", "awarded")
    await give_points(gw, first["employee_no"], 200)
    await give_points(gw, second["employee_no"], 100)
    gift = await put_item(gw, name="纪念马克杯", cost_points=10, stock=5)
    leave = await put_item(gw, name="带薪假一天", kind="paid_leave", leave_days="1",
                           cost_points=30, stock=3, requires_approval=True)
    fulfilled = await redeem(gw, first, gift["code"])
    waiting = await redeem(gw, first, leave["code"])
    rejected = await redeem(gw, second, leave["code"])
    for made, status in ((fulfilled, "fulfilled"), (waiting, "pending_approval"),
                         (rejected, "pending_approval")):
        assert made.status_code == 201 and made.json()["status"] == status, made.text
    r = await gw.post(f"/rewards/v1/redemptions/{rejected.json()['id']}/reject", headers=HR,
                      json={"reason": "本月人手不足"})
    assert r.status_code == 200, r.text
    await settled_hold(gw, fulfilled.json()["id"], "captured")
    await settled_hold(gw, rejected.json()["id"], "released")
    return {"first": first, "second": second}


async def test_backup_wipe_restore_round_trip(plant: Stack, gw: httpx.AsyncClient,
                                              tmp_path: Path):
    answer = {"status": 200}
    receiver = Receiver(lambda _request, _seen: answer["status"]).start()
    try:
        await run_round_trip(plant, gw, receiver, tmp_path / "backup")
    finally:
        receiver.stop()


async def run_round_trip(plant: Stack, gw: httpx.AsyncClient, receiver: Receiver,
                         backup_dir: Path) -> None:
    made = await make_plant(gw, receiver)
    await wait_for(lambda: settled(plant), within=30, what="every event delivered")
    delivered_before = {r.event_id for r in receiver.requests}

    # backlogs: a webhook the receiver refuses, a course completion points_api misses
    receiver.respond = lambda _request, _seen: 503
    await complete(gw, made["second"], "2026-03-13T09:00:00+08:00", "awarded")
    await wait_for(lambda: count(plant, "points", "SELECT count(*) FROM webhook_delivery "
                                                  "WHERE status = 'pending' AND attempts > 0"),
                   within=60, what="a webhook delivery retrying")
    plant.stop_service("points")
    late = await complete(gw, made["second"], "2026-03-14T09:00:00+08:00", "pending")
    plant.stop_service("training")
    plant.stop_service("rewards")
    before = await read_state(plant)
    pending_webhooks = {str(d["event_id"]) for d in before["webhook_delivery"]
                        if d["status"] == "pending"}
    assert pending_webhooks and not all(before["training.outbox"].values())

    urls = {f"{s.upper()}_DATABASE_URL": plant.database_url(s) for s in SERVICES}
    done = jifen("backup", str(backup_dir), env=urls)
    assert done.returncode == 0, done.stderr
    assert "ledger_entry" in done.stdout

    # wipe: the database server's data is gone
    plant.stop()
    assert plant.pg is not None
    plant.pg.destroy()
    assert not (plant.config.base_dir / "pg").exists()

    embedded = {"JIFEN_DATA_DIR": str(plant.config.base_dir),
                "JIFEN_PG_PORT": str(plant.config.pg_port)}
    done = jifen("restore", str(backup_dir), "--grace", "0", env=embedded)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checksums match" in done.stdout and "reconcile: clean" in done.stdout

    pg = LocalPostgres(plant.config.base_dir / "pg" / "data", port=plant.config.pg_port,
                       fast=True)
    pg.start()
    plant.pg = pg
    after = await read_state(plant)
    for table in (t for tables in COMPARED.values() for t in tables):
        assert after[table] == before[table], table
    for service in SERVICES:  # the same events; what was waiting still waits
        outbox_before, outbox_after = before[f"{service}.outbox"], after[f"{service}.outbox"]
        assert outbox_after.keys() == outbox_before.keys()
        assert all(not outbox_after[k] for k, done_ in outbox_before.items() if not done_)

    # the system comes back on the restored data and its backlogs resume
    receiver.respond = lambda _request, _seen: 200
    restarted_at = len(receiver.requests)
    plant.processes = []
    await asyncio.to_thread(plant.start, progress=False)
    await wait_for(lambda: settled(plant), within=60, what="the backlogs delivered")

    entries = await count(plant, "points", "SELECT count(*) FROM ledger_entry")
    assert entries == len(before["ledger_entry"]) + 1  # the missed completion, once
    late_entries = await count(plant, "points", "SELECT count(*) FROM ledger_entry "
                                                f"WHERE source_fact_id = '{late['id']}'")
    assert late_entries == 1
    resent = [r.event_id for r in receiver.requests[restarted_at:]]
    assert not set(resent) & (delivered_before - pending_webhooks)
    assert pending_webhooks <= set(resent)
    assert len(resent) == len(set(resent))  # each owed delivery sent once
    again = jifen("reconcile", "--grace", "0",
                  env={f"{s.upper()}_DATABASE_URL": plant.database_url(s) for s in SERVICES})
    assert again.returncode == 0, again.stdout
