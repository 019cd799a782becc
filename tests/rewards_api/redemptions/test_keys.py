"""A redemption's Idempotency-Key held by a claim of another request (an item redeemed
at once claims its key by a statement that commits by itself, naming its process):
409 while that process lives, whichever way the item is redeemed; taken over once it
is gone."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from shared.idempotency import OWNER_LOCK_CLASS
from tests.rewards_api.helpers import account, give_points, put_item, redeem, synced_employee

OWNER = 987_654  # a claim owner's key no service process draws in these tests


async def _claim(conn: asyncpg.Connection, caller: str, key: str) -> None:
    """A request of a process that owns OWNER, running with ``key``."""
    await conn.execute(
        "INSERT INTO idempotency_key (scope, key, request_hash, state, owner) "
        "VALUES ($1, $2, $3, 'running', $4)", caller, key, "0" * 64, OWNER)


@pytest.mark.parametrize("fields", [{}, {"stock": 5, "limit": {"count": 1, "period": "month"}},
                                    {"stock": 5, "requires_approval": True}],
                         ids=["at-once", "reserving-first", "in-a-transaction"])
async def test_a_live_claim_answers_409_and_a_dead_one_is_taken_over(gw, stack, fields):
    emp = await synced_employee(gw)
    no = emp["employee_no"]
    await give_points(gw, no, 100)
    item = await put_item(gw, cost_points=30, **fields)
    key = str(uuid.uuid4())
    conn = await asyncpg.connect(stack.database_url("rewards").replace("+asyncpg", ""))
    try:
        assert await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)",
                                   OWNER_LOCK_CLASS, OWNER)
        await _claim(conn, no, key)
        held = await redeem(gw, emp, item["code"], key=key)
        await conn.execute("SELECT pg_advisory_unlock($1, $2)", OWNER_LOCK_CLASS, OWNER)
        made = await redeem(gw, emp, item["code"], key=key)
        replay = await redeem(gw, emp, item["code"], key=key)
        state = await conn.fetchval(
            "SELECT state FROM idempotency_key WHERE scope = $1 AND key = $2", no, key)
    finally:
        await conn.close()

    assert held.status_code == 409, held.text
    assert held.json()["type"].endswith("/idempotency-key-in-use")
    assert made.status_code == 201, made.text
    assert replay.status_code == 201 and replay.json()["id"] == made.json()["id"]
    assert made.json()["status"] == ("pending_approval" if "requires_approval" in fields
                                     else "fulfilled")
    assert replay.headers.get("idempotent-replayed") == "true"
    assert state == "done"
    assert (await account(gw, no))["spendable"] == 70


async def test_an_item_redeemed_at_once_stores_refusals_for_its_key(gw):
    """The claim is replaced by the refusal's answer, replayed for the key; a
    different request with the key is 422."""
    emp = await synced_employee(gw)
    item = await put_item(gw, cost_points=30)
    key = str(uuid.uuid4())

    poor = await redeem(gw, emp, item["code"], key=key)
    again = await redeem(gw, emp, item["code"], key=key)
    other = await redeem(gw, emp, item["code"], key=key, quantity=2)

    assert poor.status_code == 409, poor.text
    assert poor.json()["type"].endswith("/insufficient-points")
    assert again.status_code == 409 and again.json() == poor.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert other.status_code == 422, other.text
    assert other.json()["type"].endswith("/idempotency-key-reused")
