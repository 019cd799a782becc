"""Fixtures for webhook tests: receivers, subscriptions cleaned up after each
test, and a session on points_api's database to publish from."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifen.stack import Stack
from shared.db import create_engine, make_sessionmaker
from tests.points_api.event_factories import HR
from tests.points_api.webhooks.receiver import Receiver

WEBHOOKS = "/points/v1/webhooks"


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    started: list[Receiver] = []
    yield started
    for r in started:
        r.stop()


@pytest.fixture
def receiver(receivers: list[Receiver]) -> Receiver:
    r = Receiver().start()
    receivers.append(r)
    return r


@pytest.fixture
async def subscribe(gw: httpx.AsyncClient) -> AsyncIterator[Any]:
    """``await subscribe(url, types, ...)`` creates a subscription (the answer, with
    its secret) and deletes it after the test so that it receives nothing more."""
    created: list[str] = []

    async def make(url: str, event_types: list[str], **fields: Any) -> dict[str, Any]:
        r = await gw.post(WEBHOOKS, headers=HR,
                          json={"url": url, "event_types": event_types, **fields})
        assert r.status_code == 201, r.text
        created.append(r.json()["id"])
        return r.json()

    yield make
    for sub_id in created:
        await gw.delete(f"{WEBHOOKS}/{sub_id}", headers=HR)


@pytest.fixture(scope="session")
async def points_db(stack: Stack) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(stack.database_url("points"), pool_size=5, max_overflow=5,
                           application_name="jifen-webhook-tests")
    yield make_sessionmaker(engine)
    await engine.dispose()
