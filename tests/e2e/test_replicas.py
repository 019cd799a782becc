"""Two replicas of each service behind the gateway: traffic reaches both, and
their outbox relays deliver every event exactly once."""

import asyncio
import time

from sqlalchemy import func, select

from services.training_api.db import kit_tables
from shared.db import create_engine, make_sessionmaker
from tests.conftest import auth, call_direct
from tests.factories import uid

HR = auth("HR-REPL", "hr_admin")


async def test_two_replicas_share_the_work_and_deliver_once(replicated_stack, gw2):
    dept, role = uid("D"), uid("R")
    await gw2.put(f"/training/v1/departments/{dept}", headers=HR, json={"name": "双副本车间"})
    await gw2.put(f"/training/v1/job-roles/{role}", headers=HR,
                  json={"name": "操作工", "family": "production"})
    nos = [uid("RP") for _ in range(40)]
    results = await asyncio.gather(*[gw2.put(f"/training/v1/employees/{no}", headers=HR, json={
        "name": "王五", "department_code": dept, "job_role_code": role}) for no in nos])
    assert {r.status_code for r in results} == {201}

    deadline = time.monotonic() + 60
    while True:
        copies = await asyncio.gather(*[
            call_direct(gw2, "GET", f"/points/v1/internal/employees/{no}", headers=HR)
            for no in nos])
        if all(c.status_code == 200 for c in copies):
            break
        assert time.monotonic() < deadline, "copies did not arrive"
        await asyncio.sleep(0.3)

    engine = create_engine(replicated_stack.database_url("training"))
    t = kit_tables.outbox
    mine = select(t.c.attempts, t.c.delivered_at, t.c.dead_at).where(
        t.c.payload["employee_no"].astext.in_(nos))
    try:
        while True:  # rewards' copies may still be on their way
            async with make_sessionmaker(engine)() as session:
                rows = (await session.execute(mine)).all()
                dupes = (await session.execute(
                    select(func.count()).select_from(t).group_by(t.c.event_id, t.c.destination)
                    .having(func.count() > 1))).all()
            if all(r.delivered_at or r.dead_at for r in rows) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.3)
    finally:
        await engine.dispose()
    assert len(rows) == 2 * len(nos)  # one row per destination (points, rewards)
    assert all(r.delivered_at is not None and r.dead_at is None for r in rows)
    assert dupes == []

    for service in ("training", "points"):
        logs = [(replicated_stack.log_dir / f"{service}-{port}.log").read_text(errors="replace")
                for port in replicated_stack.replica_ports(service)]
        assert all('"request"' in log for log in logs), f"a {service} replica got no traffic"
