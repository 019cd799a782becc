"""The two races again with two replicas of each service behind nginx: requests
of one race land on both rewards_api replicas, and each replica asks points_api
through the gateway, so the guarantees must come from the databases."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from jifen.stack import Stack, StackConfig
from tests.conftest import free_port, register_stack
from tests.rewards_api.helpers import (
    account,
    get_item,
    give_points,
    put_item,
    redeem,
    settled_hold,
    synced_employee,
)
from tests.rewards_api.redemptions.test_concurrency import outcomes

pytestmark = pytest.mark.e2e


def _free_base_ports() -> dict[str, int]:
    """Bases whose second replica (base + 10) is free as well."""
    ports: dict[str, int] = {}
    for service in ("training", "points", "rewards"):
        while True:
            base = free_port()
            if base + 10 < 65535 and _is_free(base + 10):
                ports[service] = base
                break
    return ports


def _is_free(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def two_replicas() -> Iterator[Stack]:
    base = Path(tempfile.mkdtemp(prefix="jifen-replicas-"))
    config = StackConfig(base_dir=base, pg_port=free_port(), ports=_free_base_ports(),
                         gateway_port=free_port(), replicas=2, fast_db=True,
                         rate_per_second=5000, burst=10000,
                         extra_env={"REWARDS_OUTBOX_POLL_SECONDS": "0.2",
                                    "POINTS_OUTBOX_POLL_SECONDS": "0.2",
                                    "TRAINING_OUTBOX_POLL_SECONDS": "0.2"})
    stack = Stack(config)
    try:
        stack.start(progress=False)
        register_stack(stack)
        yield stack
    finally:
        stack.stop()
        if stack.pg is not None:
            stack.pg.destroy()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
async def gw2(two_replicas: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=two_replicas.gateway_url, timeout=60) as client:
        yield client


async def test_balance_100_fifty_redemptions_with_two_replicas(gw2):
    emp = await synced_employee(gw2)
    await give_points(gw2, emp["employee_no"], 100)
    item = await put_item(gw2, name="定制保温杯", cost_points=10)

    answers = await asyncio.gather(*[redeem(gw2, emp, item["code"]) for _ in range(50)])

    assert outcomes(answers) == {201: 10, "insufficient-points": 40}
    for r in answers:
        if r.status_code == 201:
            await settled_hold(gw2, r.json()["id"], "captured")
    acct = await account(gw2, emp["employee_no"])
    assert (acct["balance"], acct["held"]) == (0, 0)


async def test_stock_5_hundred_redemptions_with_two_replicas(gw2):
    employees = [await synced_employee(gw2) for _ in range(4)]
    for emp in employees:
        await give_points(gw2, emp["employee_no"], 1000)
    item = await put_item(gw2, name="体检套餐", kind="health_check", cost_points=10, stock=5)

    answers = await asyncio.gather(*[redeem(gw2, employees[i % 4], item["code"])
                                     for i in range(100)])

    assert outcomes(answers) == {201: 5, "out-of-stock": 95}
    stock = (await get_item(gw2, item["code"]))["stock"]
    assert (stock["remaining"], stock["reserved"], stock["issued"]) == (0, 0, 5)
