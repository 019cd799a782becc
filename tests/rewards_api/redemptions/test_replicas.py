"""The two races again with two replicas of each service behind nginx: requests
of one race land on both rewards_api replicas, and each replica asks points_api
through the gateway, so the guarantees must come from the databases."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from jifen.stack import Stack, StackConfig
from tests.conftest import free_port, register_stack
from tests.rewards_api.redemptions.test_concurrency import race_for_points, race_for_stock

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
    await race_for_points(gw2)


async def test_stock_5_hundred_redemptions_with_two_replicas(gw2):
    await race_for_stock(gw2)
