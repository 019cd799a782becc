"""Faults: points_api down when a redemption is placed, rewards_api killed
between the hold and its capture."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime

from jifen.cli import main as jifen
from tests.rewards_api.helpers import (
    HR,
    account,
    get_item,
    give_points,
    hold,
    put_item,
    redeem,
    redemption,
    settled_hold,
    synced_employee,
    wait_for,
)


async def test_points_down_answers_503_and_reserves_nothing(gw, stack):
    emp = await synced_employee(gw)
    item = await put_item(gw, name="体检套餐", kind="health_check", cost_points=30, stock=5,
                          limit={"count": 1, "period": "month"})
    stack.stop_service("points")
    try:
        r = await redeem(gw, emp, item["code"])
        browsing = await gw.get("/rewards/v1/items", headers=emp["headers"],
                                params={"kind": "health_check", "limit": 500})
    finally:
        stack.start_service("points")

    assert r.status_code == 503, r.text
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["type"].endswith("/points-unavailable")
    stock = (await get_item(gw, item["code"]))["stock"]
    assert (stock["remaining"], stock["reserved"], stock["issued"]) == (5, 0, 0)
    failed = await redemption(gw, r.json()["redemption_id"], emp["headers"])
    assert (failed["status"], failed["failure_reason"]) == ("failed", "points-unavailable")
    seen = await gw.get(f"/rewards/v1/items/{item['code']}", headers=emp["headers"])
    assert seen.json()["limit_remaining"] == 1
    # the catalogue still answers while points_api is down, without balances
    assert browsing.status_code == 200
    mine = [i for i in browsing.json()["items"] if i["code"] == item["code"]]
    assert mine and mine[0]["spendable_points"] is None and mine[0]["affordable"] is None
    assert (await account(gw, emp["employee_no"]))["held"] == 0


def _points_pid(stack) -> int:
    [proc] = [p.proc for p in stack.processes if p.service == "points" and p.proc is not None]
    return proc.pid


async def test_rewards_killed_between_hold_and_capture_completes_after_restart(gw, stack):
    """points_api is frozen while the hold request is on its way; rewards_api is
    killed with the redemption recorded as reserving; points_api then creates the
    hold. After the restart the sweeper finds the hold and completes the
    redemption."""
    since = datetime.now(UTC).isoformat()
    emp = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], 100)
    item = await put_item(gw, name="定制保温杯", cost_points=30, stock=2)
    points_pid = _points_pid(stack)

    async def reserving() -> list[dict]:
        r = await gw.get("/rewards/v1/redemptions", headers=HR,
                         params={"employee_no": emp["employee_no"], "status": "reserving"})
        return r.json()["items"]

    os.killpg(points_pid, signal.SIGSTOP)
    try:
        attempt = asyncio.create_task(redeem(gw, emp, item["code"]))
        [made] = await wait_for(reserving, within=10, what="a reserving redemption")
        await asyncio.sleep(0.3)  # the hold request is in points_api's socket
        stack.stop_service("rewards", sig=signal.SIGKILL)
    finally:
        os.killpg(points_pid, signal.SIGCONT)
    answer = await attempt
    assert answer.status_code >= 500  # the client saw the process die
    await wait_for(lambda: hold(gw, made["id"]), within=10, what="the hold")
    stack.start_service("rewards")

    async def finished() -> dict | None:
        found = await redemption(gw, made["id"])
        return found if found["status"] != "reserving" else None

    done = await wait_for(finished, within=90, interval=0.5, what="the sweeper")
    assert done["status"] == "fulfilled"
    await settled_hold(gw, made["id"], "captured")
    assert (await account(gw, emp["employee_no"]))["balance"] == 70
    stock = (await get_item(gw, item["code"]))["stock"]
    assert (stock["remaining"], stock["reserved"], stock["issued"]) == (1, 0, 1)
    code = await asyncio.to_thread(jifen, [
        "reconcile",
        "--points-url", stack.database_url("points"),
        "--rewards-url", stack.database_url("rewards"),
        "--training-url", stack.database_url("training"), "--since", since, "--grace", "0"])
    assert code == 0
