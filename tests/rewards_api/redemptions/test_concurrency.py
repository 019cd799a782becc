"""Races: many redemptions at once never overspend points, oversell stock or
pass a per-employee limit."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.rewards_api.helpers import (
    HR,
    account,
    get_item,
    give_points,
    put_item,
    redeem,
    settled_hold,
    synced_employee,
)


def outcomes(answers) -> Counter:
    return Counter(r.status_code if r.status_code != 409 else r.json()["type"].rsplit("/", 1)[-1]
                   for r in answers)


async def race_for_points(gw) -> None:
    """Balance 100, fifty redemptions of 10 at once: exactly ten succeed."""
    emp = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], 100)
    item = await put_item(gw, name="定制保温杯", cost_points=10)

    answers = await asyncio.gather(*[redeem(gw, emp, item["code"]) for _ in range(50)])

    assert outcomes(answers) == {201: 10, "insufficient-points": 40}, \
        [r.text for r in answers if r.status_code not in (201, 409)][:3]
    for r in answers:
        if r.status_code == 201:
            await settled_hold(gw, r.json()["id"], "captured")
    acct = await account(gw, emp["employee_no"])
    assert (acct["balance"], acct["held"], acct["spendable"]) == (0, 0, 0)
    assert acct["qualifying_points"] == 100


async def race_for_stock(gw) -> None:
    """Stock 5, a hundred redemptions by four employees at once: exactly five succeed,
    and exactly their points are spent."""
    employees = [await synced_employee(gw) for _ in range(4)]
    for emp in employees:
        await give_points(gw, emp["employee_no"], 1000)
    item = await put_item(gw, name="体检套餐", kind="health_check", cost_points=10, stock=5)

    answers = await asyncio.gather(*[redeem(gw, employees[i % 4], item["code"])
                                     for i in range(100)])

    assert outcomes(answers) == {201: 5, "out-of-stock": 95}
    stock = (await get_item(gw, item["code"]))["stock"]
    assert (stock["remaining"], stock["reserved"], stock["issued"]) == (0, 0, 5)
    spent = 0
    for emp in employees:
        for r in answers:
            if r.status_code == 201 and r.json()["employee_no"] == emp["employee_no"]:
                await settled_hold(gw, r.json()["id"], "captured")
        spent += 1000 - (await account(gw, emp["employee_no"]))["balance"]
    assert spent == 50


async def test_balance_100_fifty_redemptions_of_10_exactly_ten_succeed(gw):
    await race_for_points(gw)


async def test_stock_5_hundred_redemptions_exactly_five_succeed(gw):
    await race_for_stock(gw)


async def test_the_per_employee_limit_holds_under_concurrency(gw):
    emp = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], 1000)
    item = await put_item(gw, cost_points=10, limit={"count": 2, "period": "month"})

    answers = await asyncio.gather(*[redeem(gw, emp, item["code"]) for _ in range(20)])

    assert outcomes(answers) == {201: 2, "limit-reached": 18}
    seen = await gw.get(f"/rewards/v1/items/{item['code']}", headers=emp["headers"])
    assert seen.json()["limit_remaining"] == 0
    other = await synced_employee(gw, org=emp["org"])
    await give_points(gw, other["employee_no"], 100)
    assert (await redeem(gw, other, item["code"])).status_code == 201  # the limit is per person


async def test_stock_cannot_be_set_below_what_is_reserved(gw):
    emp = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], 100)
    item = await put_item(gw, cost_points=10, stock=3)
    for _ in range(2):
        assert (await redeem(gw, emp, item["code"])).status_code == 201

    body = {"name": item["name"], "kind": item["kind"], "cost_points": item["cost_points"]}
    lower = await gw.put(f"/rewards/v1/items/{item['code']}", headers=HR,
                         json={**body, "stock": 1})
    more = await gw.put(f"/rewards/v1/items/{item['code']}", headers=HR,
                        json={**body, "stock": 10})

    assert lower.status_code == 409
    assert lower.json()["type"].endswith("/stock-below-committed")
    assert more.status_code == 200
    assert more.json()["stock"] == {"total": 10, "remaining": 8, "reserved": 0, "issued": 2}

