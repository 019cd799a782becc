"""Leaderboards: standard competition ranks, neighbours in one call, scopes,
periods, pagination, spending, and hidden names."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from tests.conftest import auth, call_direct
from tests.factories import create_department, create_employee, create_job_role
from tests.points_api.event_factories import HR, account, deliver
from tests.points_api.leaderboards.factories import (
    board,
    give,
    hire,
    mid_month,
    my_rank,
    org_tree,
    ranks,
)


async def staffed_department(gw, points: list[int]) -> tuple[dict, list[str]]:
    """A fresh department whose employees earn ``points`` this month, in that order."""
    org = await org_tree(gw)
    staff = [await hire(gw, org["line"], org["role"]) for _ in points]
    for no, amount in zip(staff, points, strict=True):
        await give(gw, no, amount)
    return org, staff


async def test_ties_share_a_rank_and_neighbours_come_in_one_call(gw):
    org, staff = await staffed_department(gw, [50, 40, 40, 30, 20, 10])
    top, tie_a, tie_b, middle, low, last = staff
    tied = sorted([tie_a, tie_b])

    page = await board(gw, scope="department", scope_value=org["line"], limit=10)

    assert ranks(page) == [(1, top, 50), (2, tied[0], 40), (2, tied[1], 40), (4, middle, 30),
                           (5, low, 20), (6, last, 10)]
    assert (page["period"], page["scope"], page["scope_value"]) == (
        "month", "department", org["line"])
    mine = await my_rank(gw, auth(middle), scope="department", k=2)
    assert (mine["employee_no"], mine["rank"], mine["points"]) == (middle, 4, 30)
    assert ranks(mine) == [(2, tied[0], 40), (2, tied[1], 40), (4, middle, 30), (5, low, 20),
                           (6, last, 10)]
    assert [row["is_me"] for row in mine["items"]] == [False, False, True, False, False]
    # inside a tie the neighbours are the rest of the tie, then the next values
    second = await my_rank(gw, employee_no=tied[1], scope="department",
                           scope_value=org["line"], k=1)
    assert ranks(second) == [(2, tied[0], 40), (2, tied[1], 40), (4, middle, 30)]
    first = await my_rank(gw, employee_no=top, scope="department", k=3)
    assert ranks(first) == [(1, top, 50), (2, tied[0], 40), (2, tied[1], 40), (4, middle, 30)]


async def test_pages_continue_the_ranks_across_a_tie(gw):
    org, staff = await staffed_department(gw, [30, 20, 20, 20, 10])
    params = {"scope": "department", "scope_value": org["line"], "limit": 2}

    first = await board(gw, **params)
    second = await board(gw, **params, cursor=first["next_cursor"])
    third = await board(gw, **params, cursor=second["next_cursor"])

    assert [row["rank"] for row in first["items"] + second["items"] + third["items"]] == [
        1, 2, 2, 2, 5]
    assert third["next_cursor"] is None
    bad = await gw.get("/points/v1/leaderboards", headers=HR,
                       params={**params, "cursor": "bm90LW91cnM"})
    assert bad.status_code == 404


async def test_department_board_includes_sub_departments(gw):
    org = await org_tree(gw)
    in_workshop = await hire(gw, org["workshop"], org["role"])
    on_line = await hire(gw, org["line"], org["role"])
    elsewhere = await hire(gw, org["other"], org["role"])
    for no, amount in ((in_workshop, 10), (on_line, 30), (elsewhere, 20)):
        await give(gw, no, amount)

    workshop = await board(gw, scope="department", scope_value=org["workshop"])
    plant = await board(gw, scope="department", scope_value=org["plant"])
    line = await board(gw, scope="department", scope_value=org["line"])

    assert ranks(workshop) == [(1, on_line, 30), (2, in_workshop, 10)]
    assert ranks(plant) == [(1, on_line, 30), (2, elsewhere, 20), (3, in_workshop, 10)]
    assert ranks(line) == [(1, on_line, 30)]
    mine = await my_rank(gw, auth(in_workshop), scope="department",
                         scope_value=org["plant"], k=5)
    assert mine["rank"] == 3


async def test_moving_department_moves_the_employee_between_boards(gw):
    org = await org_tree(gw)
    no = await hire(gw, org["line"], org["role"])
    await give(gw, no, 25)
    moved = await create_employee(gw, employee_no=no, department=org["other"],
                                  role=org["role"])
    for _ in range(200):
        r = await call_direct(gw, "GET", f"/points/v1/internal/employees/{no}", headers=HR)
        if r.json()["department_code"] == org["other"]:
            break
        await asyncio.sleep(0.05)
    assert moved["department_code"] == r.json()["department_code"] == org["other"]

    assert ranks(await board(gw, scope="department", scope_value=org["other"])) == [
        (1, no, 25)]
    assert (await board(gw, scope="department", scope_value=org["workshop"]))["items"] == []


async def test_spending_does_not_lower_qualifying_points_or_rank(gw):
    org, (spender, rival) = await staffed_department(gw, [100, 80])
    hold_id = str(uuid.uuid4())
    created = await call_direct(gw, "POST", "/points/v1/internal/holds", caller="rewards", json={
        "hold_id": hold_id, "employee_no": spender, "points": 60, "reason": "兑换 超市购物卡",
        "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()})
    assert created.status_code == 201, created.text
    (receipt,) = await deliver(gw, {
        "event_id": str(uuid.uuid4()), "event_type": "hold.capture", "producer": "rewards",
        "occurred_at": datetime.now(UTC).isoformat(),
        "payload": {"hold_id": hold_id, "employee_no": spender}})
    assert receipt["status"] == "applied", receipt

    acct = await account(gw, spender)
    page = await board(gw, scope="department", scope_value=org["line"])
    mine = await my_rank(gw, auth(spender), scope="department")

    assert (acct["balance"], acct["qualifying_points"]) == (40, 100)
    assert ranks(page) == [(1, spender, 100), (2, rival, 80)]
    assert (mine["rank"], mine["points"]) == (1, 100)


async def test_hidden_name_shows_as_anonymous_to_others_only(gw):
    org, (shy, colleague) = await staffed_department(gw, [70, 60])
    r = await gw.put(f"/points/v1/accounts/{shy}/privacy", headers=auth(shy),
                     json={"hide_name_on_boards": True})
    assert r.status_code == 200, r.text
    assert (r.json()["hide_name_on_boards"], r.json()["updated_by"]) == (True, shy)
    params = {"scope": "department", "scope_value": org["line"]}

    seen_by_colleague = (await board(gw, auth(colleague), **params))["items"][0]
    seen_by_self = (await board(gw, auth(shy), **params))["items"][0]
    seen_by_hr = (await board(gw, HR, **params))["items"][0]

    assert seen_by_colleague == {**seen_by_colleague, "rank": 1, "employee_no": None,
                                 "name": "匿名", "name_hidden": True, "points": 70}
    assert (seen_by_self["employee_no"], seen_by_self["name"]) == (shy, "张伟")
    assert (seen_by_hr["employee_no"], seen_by_hr["name_hidden"]) == (shy, True)
    colleague_view = await my_rank(gw, auth(colleague), scope="department")
    assert [row["name"] for row in colleague_view["items"]] == ["匿名", "张伟"]
    other = await gw.put(f"/points/v1/accounts/{shy}/privacy", headers=auth(colleague),
                         json={"hide_name_on_boards": False})
    assert other.status_code == 404


async def test_family_front_line_and_company_boards_of_a_past_month(gw):
    at = mid_month(2013, 3)
    org = await org_tree(gw)
    technical = await create_department(gw, parent=org["plant"], name="技术部")
    engineer_role = await create_job_role(gw, family="technical", name="工艺工程师")
    engineer = await hire(gw, technical["code"], engineer_role["code"], front_line=False)
    operator = await hire(gw, org["line"], org["role"], front_line=True)
    planner = await hire(gw, org["line"], org["role"], front_line=False)
    for no, amount in ((engineer, 7000), (operator, 6000), (planner, 5000)):
        await give(gw, no, amount, at=at)
    params = {"period": "month", "at": "2013-03-20", "limit": 3}

    company = await board(gw, **params)
    production = await board(gw, **params, scope="family", scope_value="production")
    front_line = await board(gw, **params, scope="front_line")
    year = await board(gw, period="year", at="2013-01-01", limit=1)

    assert ranks(company) == [(1, engineer, 7000), (2, operator, 6000), (3, planner, 5000)]
    assert (company["period_key"], company["starts_on"], company["ends_on"]) == (
        "M2013-03", "2013-03-01", "2013-03-31")
    assert ranks(production)[:2] == [(1, operator, 6000), (2, planner, 5000)]
    assert ranks(front_line)[0] == (1, operator, 6000)
    assert (year["period_key"], ranks(year)) == ("Y2013", [(1, engineer, 7000)])
    mine = await my_rank(gw, auth(planner), period="quarter", at="2013-02-02", scope="family")
    assert (mine["period_key"], mine["scope_value"], mine["rank"]) == ("Q2013-1", "production", 2)


async def test_an_employee_without_points_ranks_after_everyone_with_some(gw):
    org, (earner,) = await staffed_department(gw, [5])
    idle = await hire(gw, org["line"], org["role"])

    mine = await my_rank(gw, auth(idle), scope="department", k=3)

    assert (mine["rank"], mine["points"]) == (2, 0)
    assert ranks(mine) == [(1, earner, 5), (2, idle, 0)]


async def test_board_problems(gw):
    org, (member,) = await staffed_department(gw, [5])
    stranger = await hire(gw, org["other"], org["role"])

    no_value = await gw.get("/points/v1/leaderboards", headers=HR,
                            params={"scope": "department"})
    unknown = await gw.get("/points/v1/leaderboards", headers=HR,
                           params={"scope": "department", "scope_value": "NO-SUCH-DEPT"})
    bad_period = await gw.get("/points/v1/leaderboards", headers=HR,
                              params={"period": "week"})
    ancient = await gw.get("/points/v1/leaderboards", headers=HR, params={"at": "0001-01-01"})
    not_mine = await gw.get("/points/v1/leaderboards/me", headers=auth(stranger),
                            params={"employee_no": member})
    outside = await gw.get("/points/v1/leaderboards/me", headers=auth(stranger),
                           params={"scope": "department", "scope_value": org["line"]})
    anonymous = await gw.get("/points/v1/leaderboards")

    assert no_value.status_code == 404  # HR has no department of their own
    assert no_value.json()["type"].endswith("/scope-value-required")
    assert unknown.status_code == 200 and unknown.json()["items"] == []
    assert bad_period.status_code == ancient.status_code == 422
    assert not_mine.status_code == 404
    assert outside.status_code == 404 and outside.json()["type"].endswith("/not-in-scope")
    assert anonymous.status_code == 401

