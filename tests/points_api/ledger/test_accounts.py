"""Reading accounts and entries: who sees what, zeros before the first entry,
pagination and filters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.conftest import auth, signed_with_user_key
from tests.factories import create_department
from tests.points_api.event_factories import (
    HR,
    account,
    all_entries,
    course,
    earn,
    new_employee,
    practical,
)


async def test_new_employee_has_an_account_of_zeros(gw):
    emp = await new_employee(gw)

    acct = await account(gw, emp["employee_no"])

    assert acct["employee_no"] == emp["employee_no"]
    assert (acct["balance"], acct["held"], acct["spendable"], acct["qualifying_points"]) == (
        0, 0, 0, 0)
    assert acct["by_category"] == {"participation": 0, "outcome": 0, "growth": 0}
    assert acct["month_points"] == 0
    assert acct["month_rank"] >= 1
    assert acct["updated_at"] is None


async def test_unknown_employee_is_404(gw):
    r = await gw.get(f"/points/v1/accounts/NOBODY{uuid.uuid4().hex[:6]}", headers=HR)

    assert r.status_code == 404
    assert r.json()["type"].endswith("/account-not-found")


async def test_account_shows_month_points_by_category(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    await earn(gw, "course.completed", course(no))
    await earn(gw, "practical.assessed", practical(no))
    last_year = datetime.now(UTC) - timedelta(days=400)
    await earn(gw, "course.completed", course(no, at=last_year))

    acct = await account(gw, no)

    assert acct["balance"] == acct["qualifying_points"] == 16 + 30 + 16
    assert acct["by_category"] == {"participation": 32, "outcome": 30, "growth": 0}
    assert acct["month_points"] == 46
    assert acct["month_by_category"] == {"participation": 16, "outcome": 30, "growth": 0}
    assert acct["month"] == datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


async def test_who_may_read_an_account(gw):
    emp = await new_employee(gw)
    colleague = await new_employee(gw, org=emp["org"])
    no = emp["employee_no"]
    plant = emp["org"]["plant"]["code"]
    elsewhere = await create_department(gw, name="物流部")
    path = f"/points/v1/accounts/{no}"
    entries = f"{path}/entries"

    allowed = {
        "self": auth(no, "employee"),
        "manager of the plant": auth("M1", "manager", departments=(plant,)),
        "hr": HR,
        "auditor": auth("AU1", "auditor"),
    }
    denied = {
        # a "service" role in a token signed with the user key grants nothing
        "user-signed service": signed_with_user_key({"sub": "svc", "roles": ["service"]}),
        "colleague": auth(colleague["employee_no"], "employee"),
        "manager elsewhere": auth("M2", "manager", departments=(elsewhere["code"],)),
        "assessor": auth("A1", "assessor"),
    }
    for who, headers in allowed.items():
        for url in (path, entries):
            r = await gw.get(url, headers=headers)
            assert r.status_code == 200, (who, url, r.text)
    for who, headers in denied.items():
        for url in (path, entries):
            r = await gw.get(url, headers=headers)
            assert r.status_code == 404, (who, url, r.text)
    assert (await gw.get(path)).status_code == 401


async def test_entry_is_visible_like_its_account(gw):
    emp = await new_employee(gw)
    other = await new_employee(gw, org=emp["org"])
    outcome = await earn(gw, "course.completed", course(emp["employee_no"]))
    entry_id = outcome["awarded"][0]["entry_id"]

    own = await gw.get(f"/points/v1/entries/{entry_id}", headers=auth(emp["employee_no"]))
    foreign = await gw.get(f"/points/v1/entries/{entry_id}", headers=auth(other["employee_no"]))

    assert own.status_code == 200
    assert own.json()["points"] == 16
    assert foreign.status_code == 404


async def test_entries_are_paginated_newest_first(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    for hours in ("1", "2", "3", "4", "5"):
        await earn(gw, "course.completed", course(no, hours=hours, difficulty="basic"))

    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = await gw.get(f"/points/v1/accounts/{no}/entries", headers=HR, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 2
        seen += [e["points"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == [25, 20, 15, 10, 5]


async def test_entries_filter_by_category_kind_and_time(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    await earn(gw, "course.completed", course(no))
    await earn(gw, "practical.assessed", practical(no))
    old = datetime(2025, 3, 15, 10, 0, tzinfo=UTC)
    await earn(gw, "course.completed", course(no, at=old, hours="1", difficulty="basic"))
    r = await gw.post(f"/points/v1/accounts/{no}/adjustments", headers=HR,
                      json={"points": 3, "category": "growth", "reason": "奖励"})
    assert r.status_code == 201

    def points(items):
        return sorted(e["points"] for e in items)

    assert points(await all_entries(gw, no, category="outcome")) == [30]
    assert points(await all_entries(gw, no, kind="adjust")) == [3]
    assert points(await all_entries(gw, no, kind="earn", category="participation")) == [5, 16]
    assert points(await all_entries(gw, no, **{"from": "2025-03-15", "to": "2025-03-15"})) == [5]
    assert points(await all_entries(gw, no, period="M2025-03")) == [5]
    assert points(await all_entries(gw, no, period="Q2025-1")) == [5]
    assert points(await all_entries(gw, no, **{"to": "2025-03-15T10:00:00+00:00"})) == []
    assert points(await all_entries(gw, no, **{"from": "2026-01-01T00:00:00+08:00"})) == [
        3, 16, 30]


async def test_bad_cursor_and_filters_are_4xx_problems(gw):
    emp = await new_employee(gw)
    url = f"/points/v1/accounts/{emp['employee_no']}/entries"

    for cursor in ("not-a-cursor", "WzEsMl0", "WyJ4Il0"):  # garbage, [1,2], ["x"]
        r = await gw.get(url, headers=HR, params={"cursor": cursor})
        assert r.status_code == 404, (cursor, r.text)
        assert r.json()["type"].endswith("/invalid-cursor")
    assert (await gw.get(url, headers=HR, params={"cursor": "x!"})).status_code == 422
    for params in ({"from": "yesterday"}, {"to": "2026-13-01"}, {"period": "M2026-13"},
                   {"to": "9999-12-31T23:59:59-12:00"}, {"from": "0001-01-01"},
                   {"kind": "gift"}, {"category": "fun"}, {"limit": 0}):
        r = await gw.get(url, headers=HR, params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
