"""Publishing events and reading deliveries in webhook tests."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.points_api.webhooks.publish import publish
from tests.points_api.event_factories import HR

DOC = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


async def publish_now(points_db: async_sessionmaker[AsyncSession], event_type: str,
                      payload: dict[str, Any], *, event_id: uuid.UUID | None = None) -> tuple[
                          uuid.UUID, int]:
    """Publish one event in a committed transaction; its id and delivery count."""
    event_id = event_id or uuid.uuid4()
    async with points_db() as session, session.begin():
        count = await publish(session, event_type=event_type, payload=payload,
                              event_id=event_id)
    return event_id, count


async def deliveries(gw: httpx.AsyncClient, sub_id: str, **params: Any) -> list[dict[str, Any]]:
    r = await gw.get(f"/points/v1/webhooks/{sub_id}/deliveries", headers=HR, params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def delivery_of(gw: httpx.AsyncClient, sub_id: str, event_id: uuid.UUID | str,
                      *, status: str | None = None, within: float = 90) -> dict[str, Any]:
    """The delivery of an event to a subscription, with its attempts, once it has
    ``status`` (any status when None)."""
    deadline = time.monotonic() + within
    while True:
        for d in await deliveries(gw, sub_id, limit=500):
            if d["event_id"] == str(event_id) and (status is None or d["status"] == status):
                r = await gw.get(f"/points/v1/webhook-deliveries/{d['id']}", headers=HR)
                assert r.status_code == 200, r.text
                return r.json()
        assert time.monotonic() < deadline, f"no {status} delivery of {event_id} to {sub_id}"
        await asyncio.sleep(0.05)


def documented_snippet(language: str, marker: str) -> str:
    """The first ``language`` code block of docs/webhooks.md that contains ``marker``."""
    for block in re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S):
        if marker in block:
            return block
    raise AssertionError(f"docs/webhooks.md has no {language} block with {marker!r}")


def documented_verifier() -> Any:
    namespace: dict[str, Any] = {}
    exec(documented_snippet("python", "def verify_jifen_signature"), namespace)  # noqa: S102
    return namespace["verify_jifen_signature"]
