"""The honours job running by itself: a period is closed once its late-arrival window
has passed and it has points, whichever replica gets there, however often it looks;
a run that found nobody (an empty database at first start) does not stop it, and a
manual re-run after later facts awards only the newcomers."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from services.points_api.config import Settings
from services.points_api.honours.job import close_periods
from services.points_api.honours.service import SYSTEM, due_periods
from shared.db import create_engine, make_sessionmaker
from tests.points_api.event_factories import HR
from tests.points_api.honours.test_honours import roll, run, staff
from tests.points_api.leaderboards.factories import give, mid_month

SHANGHAI = timezone(timedelta(hours=8))
# the end of June 2009 on the company calendar; the default window is 3 days
JUNE_ENDS = datetime(2009, 7, 1, tzinfo=SHANGHAI)


async def june_runs(gw) -> list[dict]:
    runs = (await gw.get("/points/v1/honours/runs", headers=HR, params={"limit": 500})).json()
    return [r for r in runs["items"] if (r["kind"], r["period"]) == ("monthly", "2009-06")]


def test_the_due_periods_wait_for_the_late_arrival_window():
    tz, late = SHANGHAI, timedelta(days=3)
    inside = due_periods(tz, late=late, now=JUNE_ENDS + timedelta(days=2, hours=23))
    after = due_periods(tz, late=late, now=JUNE_ENDS + timedelta(days=3))
    assert [(kind, label) for kind, label, _ in inside] == [("monthly", "2009-05"),
                                                            ("yearly", "2008")]
    assert after[0] == ("monthly", "2009-06", JUNE_ENDS + late)
    new_year = due_periods(tz, late=late, now=datetime(2010, 1, 4, tzinfo=SHANGHAI))
    assert [(kind, label) for kind, label, _ in new_year] == [("monthly", "2009-12"),
                                                              ("yearly", "2009")]


async def test_the_job_closes_a_month_after_its_window_once_it_has_points(gw, stack):
    url = stack.database_url("points")
    engines = [create_engine(url, pool_size=2, max_overflow=0) for _ in range(2)]
    settings = Settings(database_url=url)
    replicas = [SimpleNamespace(state=SimpleNamespace(sessionmaker=make_sessionmaker(e),
                                                      settings=settings)) for e in engines]
    after_window = JUNE_ENDS + timedelta(days=4)
    try:
        # first start on a database without June's facts: nothing is recorded...
        await close_periods(replicas[0], now=after_window)
        assert await june_runs(gw) == []
        # ...and an HR run of the empty month (what the job used to record) closes nothing
        assert (await run(gw, kind="monthly", period="2009-06"))["awarded"] == 0
        first, second = await staff(gw, [300, 200], at=mid_month(2009, 6))
        # inside the window the job leaves June alone: late facts may still come
        await close_periods(replicas[0], now=JUNE_ENDS + timedelta(days=1))
        assert [r["requested_by"] for r in await june_runs(gw)] == ["HR001"]
        # after it, both replicas look at once and again later: June is closed once
        await asyncio.gather(*(close_periods(r, now=after_window) for r in replicas))
        await close_periods(replicas[1], now=after_window + timedelta(days=9))
    finally:
        for engine in engines:
            await engine.dispose()

    assert [r["requested_by"] for r in await june_runs(gw)].count(SYSTEM) == 1
    assert [(h["employee_no"], h["rank"]) for h in await roll(gw, period="2009-06")] == [
        (first, 1), (second, 2)]

    # a fact imported weeks later: a manual re-run is safe and awards only the newcomer
    (late,) = await staff(gw, [250], at=mid_month(2009, 6))
    await give(gw, second, 10, at=mid_month(2009, 6))
    again = await run(gw, kind="monthly", period="2009-06")
    assert [(w["employee_no"], w["rank"], w["status"]) for w in again["winners"]] == [
        (first, 1, "already_awarded"), (late, 2, "new"), (second, 3, "already_awarded")]
    assert again["awarded"] == 1
    assert sorted(h["employee_no"] for h in await roll(gw, period="2009-06")) == sorted(
        [first, second, late])
