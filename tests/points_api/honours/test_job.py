"""The honours job running by itself: the month and the year that closed last are
closed once, whichever replica gets there, however often it looks."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from services.points_api.config import Settings
from services.points_api.honours.job import close_periods
from services.points_api.honours.service import SYSTEM, last_closed
from shared.db import create_engine, make_sessionmaker
from tests.points_api.event_factories import HR


async def test_each_replica_closes_the_last_periods_once(gw, stack):
    url = stack.database_url("points")
    engines = [create_engine(url, pool_size=2, max_overflow=0) for _ in range(2)]
    settings = Settings(database_url=url)
    replicas = [SimpleNamespace(state=SimpleNamespace(sessionmaker=make_sessionmaker(e),
                                                      settings=settings)) for e in engines]
    try:
        await asyncio.gather(*(close_periods(replica) for replica in replicas))
        await close_periods(replicas[0])
    finally:
        for engine in engines:
            await engine.dispose()

    runs = (await gw.get("/points/v1/honours/runs", headers=HR, params={"limit": 500})).json()
    month, year = last_closed(settings.tz)
    by_system = [(r["kind"], r["period"]) for r in runs["items"] if r["requested_by"] == SYSTEM]
    assert by_system.count(("monthly", month)) == 1
    assert by_system.count(("yearly", year)) == 1
