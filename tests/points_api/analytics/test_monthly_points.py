"""Each employee's points per month and milestone days, for training_api's attrition
indicators: leavers included, pages by employee number, training_api only (at
points_api's own address: the gateway does not route internal paths)."""

from __future__ import annotations

from tests.conftest import auth, call_direct
from tests.points_api.event_factories import HR
from tests.points_api.leaderboards.factories import give, hire, mid_month, org_tree
from tests.training_api.records import assert_problem

PATH = "/points/v1/internal/analytics/monthly-points"


async def all_pages(gw, **params) -> dict[str, dict]:
    out, cursor = {}, None
    while True:
        r = await call_direct(gw, "GET", PATH, caller="training", params={
            **params, "limit": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        out.update({i["employee_no"]: i for i in r.json()["items"]})
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return out


async def test_points_per_month_for_every_employee(gw):
    org = await org_tree(gw)
    first = await hire(gw, org["line"], org["role"])
    second = await hire(gw, org["line"], org["role"], status="left")
    await give(gw, first, 30, at=mid_month(2010, 3))
    await give(gw, first, 12, at=mid_month(2010, 5))
    await give(gw, first, 99, at=mid_month(2010, 7))  # after the range

    found = await all_pages(gw, **{"from": "2010-02", "to": "2010-06"})

    assert found[first]["months"] == {"2010-03": 30, "2010-05": 12}
    assert found[first]["milestones"] == []
    assert found[second]["months"] == {}  # a leaver is listed too


async def test_only_training_api_and_good_input(gw):
    params = {"from": "2026-01", "to": "2026-03"}
    for who in (auth("E1", "employee"), HR):
        assert_problem(await call_direct(gw, "GET", PATH, headers=who, params=params), 401)
    assert_problem(await call_direct(gw, "GET", PATH, caller="rewards", params=params), 403)
    assert_problem(await gw.get(PATH, headers=HR, params=params), 404)  # not public
    for bad in ({"from": "2026-13", "to": "2026-03"}, {"from": "2026-04", "to": "2026-03"},
                {"from": "2000-01", "to": "2026-03"}, {"from": "2026-01"},
                {**params, "limit": 0}, {**params, "limit": 5001}):
        assert_problem(await call_direct(gw, "GET", PATH, caller="training", params=bad), 422)
    assert_problem(await call_direct(gw, "GET", PATH, caller="training",
                                     params={**params, "cursor": "garbage!"}), 422)
    assert_problem(await call_direct(gw, "GET", PATH, caller="training",  # not ours: [1]
                                     params={**params, "cursor": "WzFd"}), 404)
