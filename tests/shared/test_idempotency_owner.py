"""An Idempotency-Key is held as long as the process running its request lives:
a live request keeps answering 409 however long it runs, and the key of a request
whose process was killed (SIGKILL, mid-request) is usable again at once, not after
a timeout, unless that request had committed its work: then it is never run again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from shared.db import create_engine
from tests.conftest import make_token
from tests.points_api.event_factories import all_entries, new_employee
from tests.training_api.records import create_course
from tests.training_api.records import new_employee as new_training_employee

ROOT = Path(__file__).resolve().parents[2]


def hold_key(stack, path: str, body: bytes, token: str, key: str, *, owned: bool = True,
             applied: bool = False) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.shared.claim_holder", stack.database_url("points"), path,
         body.decode(), token, key, *([] if owned else ["--no-owner"]),
         *(["--applied"] if applied else [])],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in proc.stdout:  # log lines first, then "running" once the key is held
        if line.strip() == "running":
            return proc
        seen.append(line)
    proc.kill()
    raise AssertionError("the holder did not take the key:\n" + "".join(seen))


async def age_claim(stack, key: str, minutes: int) -> None:
    engine = create_engine(stack.database_url("points"), pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                "UPDATE idempotency_key SET created_at = now() - make_interval(mins => :m) "
                "WHERE key = :key"), {"m": minutes, "key": key})
    finally:
        await engine.dispose()


async def test_a_killed_owner_frees_its_key_at_once_and_a_live_one_keeps_it(stack, gw):
    no = (await new_employee(gw))["employee_no"]
    path = f"/points/v1/accounts/{no}/adjustments"
    body = json.dumps({"points": 7, "category": "participation", "reason": "补录线下培训"},
                      ensure_ascii=False).encode()
    token, key = make_token("HR-IDEM", "hr_admin"), str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key,
               "Content-Type": "application/json"}
    holder = await asyncio.to_thread(hold_key, stack, path, body, token, key)
    try:
        # older than the two minutes after which an ownerless claim counts as dead:
        # its owner lives, so the key stays taken
        await age_claim(stack, key, minutes=10)
        busy = await gw.post(path, headers=headers, content=body)
        assert busy.status_code == 409, busy.text
        assert busy.json()["type"].endswith("/idempotency-key-in-use")
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        await asyncio.to_thread(holder.wait)

    deadline = time.monotonic() + 60  # well under the two minutes of the clock rule
    while (r := await gw.post(path, headers=headers, content=body)).status_code == 409:
        assert time.monotonic() < deadline, "the dead owner's key stayed blocked"
        await asyncio.sleep(0.2)
    assert r.status_code == 201, r.text
    replay = await gw.post(path, headers=headers, content=body)
    assert replay.headers.get("idempotent-replayed") == "true"
    assert [e["points"] for e in await all_entries(gw, no)] == [7]


async def test_an_ownerless_claim_is_taken_over_after_two_minutes(stack, gw):
    """A claim made while its process held no owner lock (its database connection was
    away) keeps the clock rule: in use while young, free once two minutes old."""
    no = (await new_employee(gw))["employee_no"]
    path = f"/points/v1/accounts/{no}/adjustments"
    body = json.dumps({"points": 3, "category": "participation", "reason": "补录"}).encode()
    token, key = make_token("HR-IDEM", "hr_admin"), str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key,
               "Content-Type": "application/json"}
    holder = await asyncio.to_thread(hold_key, stack, path, body, token, key, owned=False)
    os.kill(holder.pid, signal.SIGKILL)
    await asyncio.to_thread(holder.wait)
    assert (await gw.post(path, headers=headers, content=body)).status_code == 409
    await age_claim(stack, key, minutes=3)
    r = await gw.post(path, headers=headers, content=body)
    assert r.status_code == 201, r.text


async def test_a_request_that_committed_before_its_process_died_is_not_run_again(stack, gw):
    no = (await new_employee(gw))["employee_no"]
    path = f"/points/v1/accounts/{no}/adjustments"
    body = json.dumps({"points": 9, "category": "participation", "reason": "补录"}).encode()
    token, key = make_token("HR-IDEM", "hr_admin"), str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key,
               "Content-Type": "application/json"}
    holder = await asyncio.to_thread(hold_key, stack, path, body, token, key, applied=True)
    busy = await gw.post(path, headers=headers, content=body)
    assert busy.json()["type"].endswith("/idempotency-key-in-use")  # its owner lives
    os.kill(holder.pid, signal.SIGKILL)
    await asyncio.to_thread(holder.wait)
    deadline = time.monotonic() + 60
    while (r := await gw.post(path, headers=headers, content=body)).json()["type"].endswith(
            "/idempotency-key-in-use"):
        assert time.monotonic() < deadline, "the dead owner's key stayed blocked"
        await asyncio.sleep(0.2)
    assert r.status_code == 409, r.text
    assert r.json()["type"].endswith("/idempotency-key-answer-lost")
    assert await all_entries(gw, no) == []  # the retry did not adjust (again)


async def test_a_recording_marks_its_key_applied_in_the_commit_before_it_delivers(stack, gw):
    """training_api's recordings commit before they answer, then hand their event to
    points_api: the key is marked applied by that commit, so a process that dies while
    delivering is never asked to record the fact a second time. Seen from the
    database while points_api is stopped (SIGSTOP: the delivery waits its budget)."""
    no = (await new_training_employee(gw))["employee_no"]
    course = (await create_course(gw, class_hours="2"))["code"]
    headers = {"Authorization": f"Bearer {make_token('HR001', 'hr_admin')}"}
    seen = text("SELECT k.state, (SELECT count(*) FROM training_fact f WHERE f.employee_no = "
                ":no AND f.occurred_at = :at) AS facts FROM idempotency_key k WHERE k.key = :key")
    points = next(p for p in stack.processes if p.service == "points")
    engine = create_engine(stack.database_url("training"), pool_size=1, max_overflow=0)
    states: list[str] = []
    os.kill(points.proc.pid, signal.SIGSTOP)
    try:
        for attempt in range(5):  # until one look falls between the commit and the answer
            key, at = str(uuid.uuid4()), datetime.now(UTC) - timedelta(minutes=10 + attempt)
            recording = asyncio.create_task(gw.post(
                "/training/v1/course-completions", headers={**headers, "Idempotency-Key": key},
                json={"employee_no": no, "course_code": course, "completed_at": at.isoformat()}))
            while not recording.done():
                async with engine.connect() as conn:
                    row = (await conn.execute(seen, {"no": no, "at": at, "key": key})).first()
                if row is not None and row.facts and row.state != "done":
                    states.append(row.state)
                await asyncio.sleep(0.01)
            assert (await recording).status_code == 201
            if states:
                break
    finally:
        os.kill(points.proc.pid, signal.SIGCONT)
        await engine.dispose()
    assert states, "no look fell between the commit and the stored answer"
    assert set(states) == {"applied"}, states  # never "running" once the fact is there
