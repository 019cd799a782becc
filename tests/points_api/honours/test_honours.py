"""Periodic honours: the monthly TOP 10 with rank bands, run twice and at once but
awarded once; department boards; the yearly top 10%; the honour roll."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tests.conftest import auth
from tests.points_api.event_factories import HR, all_entries
from tests.points_api.leaderboards.factories import give, hire, mid_month, org_tree

RUNS = "/points/v1/honours/runs"


async def staff(gw, points: list[int], *, at: datetime, org: dict | None = None) -> list[str]:
    org = org or await org_tree(gw)
    numbers = []
    for amount in points:
        no = await hire(gw, org["line"], org["role"])
        await give(gw, no, amount, at=at)
        numbers.append(no)
    return numbers


async def run(gw, **body) -> dict:
    r = await gw.post(RUNS, headers=HR, json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def roll(gw, headers=None, **params) -> list[dict]:
    r = await gw.get("/points/v1/honours", headers=headers or HR,
                     params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def feed(gw, no: str) -> list[dict]:
    r = await gw.get(f"/points/v1/accounts/{no}/notifications", headers=auth(no),
                     params={"limit": 500})
    return r.json()["items"]


async def test_monthly_top_10_pays_the_bands_once_however_often_it_runs(gw):
    may = mid_month(2012, 5)
    people = await staff(gw, [1200, 1100, 1100, 900, 800, 700, 600, 500, 400, 300, 200, 100],
                         at=may)
    first, second, third, fourth = people[0], *sorted(people[1:3]), people[3]
    await give(gw, fourth, 5000, at=mid_month(2012, 4))
    await give(gw, first, 100, at=mid_month(2012, 4))

    preview = await run(gw, kind="monthly", period="2012-05", dry_run=True)
    assert await roll(gw, period="2012-05") == []
    together = await asyncio.gather(run(gw, kind="monthly", period="2012-05"),
                                    run(gw, kind="monthly", period="2012-05"))
    again = await run(gw, kind="monthly", period="2012-05")

    expected = [(first, 1, 100), (second, 2, 60), (third, 2, 60), (fourth, 4, 30),
                *[(no, rank, 30) for no, rank in zip(people[4:10], range(5, 11), strict=True)]]
    assert [(w["employee_no"], w["rank"], w["bonus_points"]) for w in preview["winners"]] == (
        expected)
    assert (preview["dry_run"], preview["run_id"], preview["awarded"],
            preview["bonus_points"]) == (True, None, 10, 430)
    assert sorted(r["awarded"] for r in together) == [0, 10]
    assert again["awarded"] == 0
    assert {w["status"] for w in again["winners"]} == {"already_awarded"}
    honours = await roll(gw, period="2012-05")
    assert [(h["employee_no"], h["rank"], h["bonus_points"]) for h in honours] == expected
    assert honours[0]["title"] == "2012年5月 月度积分 TOP 10"
    for no, _, bonus in expected:
        paid = [e for e in await all_entries(gw, no) if e["rule_id"] == "honour.monthly"]
        assert [(e["points"], e["category"]) for e in paid] == [(bonus, "growth")]
    assert not [e for e in await all_entries(gw, people[10]) if e["rule_id"]
                and e["rule_id"].startswith("honour.")]
    won = [n for n in await feed(gw, first) if n["kind"] == "honour_won"]
    assert [n["body"] for n in won] == ["2012年5月 第 1 名，积分 1200，奖励 100 积分"]
    ranked = {n["data"]["period"]: n for n in await feed(gw, first)
              if n["kind"] == "rank_changed"}
    assert ranked["2012-05"]["data"] == {"period": "2012-05", "rank": 1, "previous_rank": 2,
                                         "change": 1, "points": 1200}
    assert ranked["2012-05"]["title"] == "2012年5月 积分榜最终排名第 1 名"
    assert "较上期上升 1 名" in ranked["2012-05"]["body"]
    down = [n for n in await feed(gw, fourth) if n["kind"] == "rank_changed"]
    assert down[0]["data"]["change"] == -3


async def test_department_boards_when_configured(gw):
    r = await gw.get("/points/v1/honours/settings", headers=HR)
    defaults = r.json()
    org = await org_tree(gw)
    july = mid_month(2012, 7)
    leader, runner_up = await staff(gw, [90, 80], at=july, org=org)
    settings = {**defaults, "monthly": {**defaults["monthly"], "department_codes": [
        org["workshop"]], "department_bands": [{"from_rank": 1, "to_rank": 1, "points": 10}]}}
    try:
        saved = await gw.put("/points/v1/honours/settings", headers=HR, json=settings)
        assert saved.status_code == 200, saved.text
        result = await run(gw, kind="monthly", period="2012-07")
    finally:
        await gw.put("/points/v1/honours/settings", headers=HR, json=defaults)

    department = [(w["employee_no"], w["rank"], w["bonus_points"]) for w in result["winners"]
                  if w["scope"] == "department"]
    assert department == [(leader, 1, 10)]
    assert [w["scope_value"] for w in result["winners"] if w["scope"] == "department"] == [
        org["workshop"]]
    company = [w["employee_no"] for w in result["winners"] if w["scope"] == "company"]
    assert company[:2] == [leader, runner_up]


async def test_yearly_top_10_percent_are_excellent_employees(gw):
    points = [2000, 1900, 1900] + [1000 - 10 * i for i in range(17)]
    people = await staff(gw, points, at=mid_month(2011, 6))

    result = await run(gw, kind="yearly", period="2011")

    assert [(w["employee_no"], w["rank"], w["title"], w["bonus_points"])
            for w in result["winners"]] == [
        (people[0], 1, "年度优秀员工", 0), (min(people[1:3]), 2, "年度优秀员工", 0),
        (max(people[1:3]), 2, "年度优秀员工", 0)]
    listed = await roll(gw, period="2011", kind="yearly")
    assert [h["employee_no"] for h in listed] == [w["employee_no"] for w in result["winners"]]
    assert all(h["entry_id"] is None for h in listed)


async def test_the_roll_hides_names_to_others(gw):
    (shy,) = await staff(gw, [321], at=mid_month(2012, 9))
    await gw.put(f"/points/v1/accounts/{shy}/privacy", headers=auth(shy),
                 json={"hide_name_on_boards": True})
    await run(gw, kind="monthly", period="2012-09")

    (seen,) = await roll(gw, auth("E-OTHER"), period="2012-09")
    (own,) = await roll(gw, auth(shy), period="2012-09")

    assert (seen["employee_no"], seen["name"], seen["rank"]) == (None, "匿名", 1)
    assert (own["employee_no"], own["name"]) == (shy, "张伟")


async def test_runs_need_a_closed_period_and_hr(gw):
    this_month = datetime.now(UTC).strftime("%Y-%m")

    open_month = await gw.post(RUNS, headers=HR, json={"kind": "monthly", "period": "2099-01"})
    current = await gw.post(RUNS, headers=HR, json={"kind": "yearly",
                                                    "period": this_month[:4]})
    malformed = await gw.post(RUNS, headers=HR, json={"kind": "monthly", "period": "2012"})
    employee = await gw.post(RUNS, headers=auth("E1"), json={"kind": "monthly",
                                                             "period": "2012-01"})
    runs = await gw.get(f"{RUNS}", headers=HR)

    assert open_month.status_code == 409
    assert open_month.json()["type"].endswith("/period-not-closed")
    assert current.status_code == 409
    assert malformed.status_code == 422
    assert employee.status_code == 403
    assert runs.status_code == 200 and runs.json()["items"]
