"""The colleague model's status says what is true: a build in progress reads running
with its progress, a build whose process stopped reads failed, a refresh while one
runs starts nothing, and a finished build reads ready."""

from __future__ import annotations

import asyncio

import asyncpg

from services.training_api.recommendations.model import INTERRUPTED
from services.training_api.recommendations.repository import LOCK_CLASS, LOCK_KEY
from tests.factories import HR

STATUS = "/training/v1/recommendation-model"


async def _status(gw):
    r = await gw.get(STATUS, headers=HR)
    assert r.status_code == 200, r.text
    return r.json()


async def _until_ready(gw, within: float = 60):
    for _ in range(int(within * 4)):
        body = await _status(gw)
        if body["status"] != "running":
            return body
        await asyncio.sleep(0.25)
    raise AssertionError(f"still running after {within} s: {body}")


async def _runs(conn) -> int:
    return await conn.fetchval("SELECT count(*) FROM recommendation_model_run")


async def test_running_interrupted_and_ready_are_what_they_say(gw, stack):
    await _until_ready(gw)  # the build at start-up
    conn = await asyncpg.connect(stack.database_url("training").replace("+asyncpg", ""))
    try:
        # another replica building: it holds the lock and its row says how far it is
        assert await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", LOCK_CLASS, LOCK_KEY)
        await conn.execute(
            "INSERT INTO recommendation_model_run (started_at, status, progress, phase) "
            "VALUES (now(), 'running', 0.4, 'item-to-item model')")
        body = await _status(gw)
        assert (body["status"], body["progress"], body["phase"]) == (
            "running", 0.4, "item-to-item model"), body
        assert body["built_at"] is not None  # the signals in use are the last ready build's
        before = await _runs(conn)
        r = await gw.post(f"{STATUS}/refresh", headers=HR)
        assert r.status_code == 202 and r.json()["status"] == "running", r.text
        assert await _runs(conn) == before  # nothing started beside the running build

        # that replica dies: the lock goes with its connection, its row stays "running"
        await conn.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_CLASS, LOCK_KEY)
        body = await _status(gw)
        assert (body["status"], body["error"], body["progress"]) == (
            "failed", INTERRUPTED, None), body

        # a new build marks the dead one failed, commits its own row, and ends ready
        r = await gw.post(f"{STATUS}/refresh", headers=HR)
        assert r.status_code == 202, r.text
        assert r.json()["status"] in ("running", "ready"), r.text
        assert await _runs(conn) == before + 1
        body = await _until_ready(gw)
        assert (body["status"], body["progress"], body["error"]) == ("ready", 1.0, None), body
        assert body["built_at"] >= body["started_at"] and body["employees"] >= 0
        dead = await conn.fetchrow("SELECT status, error FROM recommendation_model_run "
                                   "WHERE phase = 'item-to-item model' ORDER BY id DESC LIMIT 1")
        assert (dead["status"], dead["error"]) == ("failed", INTERRUPTED)
    finally:
        await conn.close()
