"""Faults: points_api down when a redemption is placed, rewards_api killed while
points_api holds or spends, and what a redemption of an item with stock holds (no
lock) while points_api is slow to answer."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from jifen.cli import main as jifen
from tests.conftest import call_direct
from tests.rewards_api.helpers import (
    HR,
    account,
    get_item,
    give_points,
    hold,
    problem,
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


def _request_in_points_socket(stack) -> bool:
    """Bytes wait unread on a connection to frozen points_api (Linux's /proc/net/tcp):
    the request rewards_api sent has arrived there, however long sending it took."""
    port = int(stack.direct_url("points").rsplit(":", 1)[1])
    waiting = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as lines:
            for line in list(lines)[1:]:
                local, _remote, state, queues = line.split()[1:5]
                if int(local.rsplit(":", 1)[1], 16) == port and state == "01":  # established
                    waiting += int(queues.split(":")[1], 16)  # rx_queue
    return waiting > 0


def _points_pid(stack) -> int:
    [proc] = [p.proc for p in stack.processes if p.service == "points" and p.proc is not None]
    return proc.pid


async def _reserving(gw, employee_no: str) -> list[dict]:
    r = await gw.get("/rewards/v1/redemptions", headers=HR,
                     params={"employee_no": employee_no, "status": "reserving"})
    return r.json()["items"]


async def _reserved(gw, emp: dict, item_code: str, key: str | None = None
                    ) -> tuple[asyncio.Task, dict]:
    """A redemption on its way (points_api frozen), once it is recorded as reserving."""
    attempt = asyncio.create_task(redeem(gw, emp, item_code, key=key))
    [made] = await wait_for(lambda: _reserving(gw, emp["employee_no"]), within=60,
                            what="a reserving redemption")
    return attempt, made


async def _reconcile(stack, since: str) -> int:
    return await asyncio.to_thread(jifen, [
        "reconcile",
        "--points-url", stack.database_url("points"),
        "--rewards-url", stack.database_url("rewards"),
        "--training-url", stack.database_url("training"), "--since", since, "--grace", "0"])


async def test_rewards_killed_between_hold_and_its_outcome_completes_after_restart(gw, stack):
    """The two-phase path (an item that needs approval): points_api is frozen while
    the hold request is on its way; rewards_api is killed with the redemption
    recorded as reserving; points_api then creates the hold. After the restart the
    sweeper finds the hold and carries the redemption on to wait for approval."""
    since = datetime.now(UTC).isoformat()
    emp = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], 100)
    item = await put_item(gw, name="带薪假", kind="paid_leave", leave_days="1", cost_points=30,
                          stock=2, requires_approval=True)
    points_pid = _points_pid(stack)

    async def reserving() -> list[dict]:
        r = await gw.get("/rewards/v1/redemptions", headers=HR,
                         params={"employee_no": emp["employee_no"], "status": "reserving"})
        return r.json()["items"]

    os.killpg(points_pid, signal.SIGSTOP)
    try:
        attempt = asyncio.create_task(redeem(gw, emp, item["code"]))
        [made] = await wait_for(reserving, within=60, what="a reserving redemption")
        await wait_for(lambda: asyncio.to_thread(_request_in_points_socket, stack), within=60,
                       what="the hold request in points_api's socket")
        stack.stop_service("rewards", sig=signal.SIGKILL)
    finally:
        os.killpg(points_pid, signal.SIGCONT)
    answer = await attempt
    assert answer.status_code >= 500  # the client saw the process die
    await wait_for(lambda: hold(gw, made["id"]), within=60, what="the hold")
    stack.start_service("rewards")

    async def finished() -> dict | None:
        found = await redemption(gw, made["id"])
        return found if found["status"] != "reserving" else None

    done = await wait_for(finished, within=90, interval=0.5, what="the sweeper")
    assert done["status"] == "pending_approval"
    assert (await hold(gw, made["id"]))["status"] == "active"
    acct = await account(gw, emp["employee_no"])
    assert (acct["balance"], acct["held"]) == (100, 30)
    stock = (await get_item(gw, item["code"]))["stock"]
    assert (stock["remaining"], stock["reserved"], stock["issued"]) == (1, 1, 0)
    assert await _reconcile(stack, since) == 0


async def _redeeming(stack) -> bool:
    """A redemption is under way in rewards_api: its transaction holds its
    Idempotency-Key's advisory lock (taken first, released at its end; one bigint
    key, objsubid 1, unlike the claim owners' two int4 keys), or, redeemed at once,
    its claim of the key is in the table."""
    engine = create_async_engine(stack.database_url("rewards"))
    try:
        async with engine.connect() as conn:
            return bool((await conn.execute(text(
                "SELECT (SELECT count(*) FROM pg_locks l "
                "        JOIN pg_database d ON d.oid = l.database "
                "        WHERE l.locktype = 'advisory' AND l.objsubid = 1 "
                "          AND d.datname = current_database()) "
                "     + (SELECT count(*) FROM idempotency_key WHERE state = 'running')"))
            ).scalar())
    finally:
        await engine.dispose()


async def test_rewards_killed_while_the_spend_is_on_its_way_leaves_no_redemption(gw, stack):
    """An item that takes nothing but points, redeemed at once: points_api is frozen
    while the spend request is on its way, after the claim of the key and before the
    statement that records the redemption; rewards_api is killed, and points_api then
    spends. No redemption exists; the spend stays unconfirmed (reconcile names it), and
    points_api gives the points back when it expires (or when released)."""
    since = datetime.now(UTC).isoformat()
    emp = await synced_employee(gw)
    no = emp["employee_no"]
    await give_points(gw, no, 100)
    item = await put_item(gw, name="定制保温杯", cost_points=30)
    points_pid = _points_pid(stack)

    os.killpg(points_pid, signal.SIGSTOP)
    try:
        attempt = asyncio.create_task(redeem(gw, emp, item["code"]))
        await wait_for(lambda: _redeeming(stack), within=60, what="rewards_api redeeming")
        await wait_for(lambda: asyncio.to_thread(_request_in_points_socket, stack), within=60,
                       what="the spend request in points_api's socket")
        stack.stop_service("rewards", sig=signal.SIGKILL)
    finally:
        os.killpg(points_pid, signal.SIGCONT)
    answer = await attempt
    assert answer.status_code >= 500  # the client saw the process die

    async def spent() -> list[dict]:
        r = await gw.get("/points/v1/holds", headers=HR, params={"employee_no": no})
        return [h for h in r.json()["items"] if h["status"] == "spent"]

    [orphan] = await wait_for(spent, within=60, what="the spend")
    stack.start_service("rewards")
    assert (await account(gw, no))["balance"] == 70
    listed = await gw.get("/rewards/v1/redemptions", headers=HR, params={"employee_no": no})
    assert listed.json()["items"] == []
    assert await _reconcile(stack, since) == 1
    # what the expiry does later (tests/points_api/holds), done now
    release = {"event_id": str(uuid.uuid4()), "event_type": "hold.release",
               "occurred_at": datetime.now(UTC).isoformat(), "producer": "rewards",
               "payload": {"hold_id": orphan["hold_id"], "employee_no": no}}
    done = await call_direct(gw, "POST", "/points/v1/internal/events", caller="rewards",
                             json={"events": [release]})
    assert done.json()["receipts"][0]["status"] == "applied", done.text
    assert (await account(gw, no))["balance"] == 100


async def test_a_second_request_with_the_key_while_the_first_runs_is_409(gw, stack):
    emp = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], 100)
    item = await put_item(gw, cost_points=30)
    key = str(uuid.uuid4())
    points_pid = _points_pid(stack)

    os.killpg(points_pid, signal.SIGSTOP)
    try:
        first = asyncio.create_task(redeem(gw, emp, item["code"], key=key))
        await wait_for(lambda: _redeeming(stack), within=60,
                       what="the first request inside its transaction")
        second = await redeem(gw, emp, item["code"], key=key)
    finally:
        os.killpg(points_pid, signal.SIGCONT)
    made = await first
    replay = await redeem(gw, emp, item["code"], key=key)

    assert second.status_code == 409, second.text
    assert second.json()["type"].endswith("/idempotency-key-in-use")
    assert made.status_code == replay.status_code == 201, made.text
    assert replay.json()["id"] == made.json()["id"]
    assert replay.headers.get("idempotent-replayed") == "true"
    assert (await account(gw, emp["employee_no"]))["balance"] == 70


async def test_nothing_is_locked_while_points_api_answers_an_item_with_stock(gw, stack):
    """An item with stock and a per-employee limit: the unit and the limit are taken and
    the redemption recorded as reserving before points_api is asked, and nothing stays
    locked while it answers. With points_api frozen: a second redemption by the same
    employee is refused by the limit at once, another employee's takes the last unit,
    HR raises the stock, and a request with the first one's key is 409; then the
    first is fulfilled and its key replayed."""
    first_emp, second_emp, third_emp = [await synced_employee(gw) for _ in range(3)]
    for emp in (first_emp, second_emp):
        await give_points(gw, emp["employee_no"], 100)
    item = await put_item(gw, name="劳保手套", cost_points=30, stock=2,
                          limit={"count": 1, "period": "month"})
    body = {"name": item["name"], "kind": item["kind"], "cost_points": 30,
            "limit": {"count": 1, "period": "month"}}
    key = str(uuid.uuid4())
    points_pid = _points_pid(stack)

    os.killpg(points_pid, signal.SIGSTOP)
    try:
        first, made = await _reserved(gw, first_emp, item["code"], key)
        limited = await redeem(gw, first_emp, item["code"])
        second, _ = await _reserved(gw, second_emp, item["code"])
        gone = await redeem(gw, third_emp, item["code"])
        while_frozen = (await get_item(gw, item["code"]))["stock"]
        raised = await gw.put(f"/rewards/v1/items/{item['code']}", headers=HR,
                              json={**body, "stock": 10})
        running = await redeem(gw, first_emp, item["code"], key=key)
    finally:
        os.killpg(points_pid, signal.SIGCONT)
    answers = [await first, await second]
    replay = await redeem(gw, first_emp, item["code"], key=key)

    assert limited.status_code == 409 and problem(limited) == "limit-reached", limited.text
    assert gone.status_code == 409 and problem(gone) == "out-of-stock", gone.text
    assert gone.json()["detail"] == f"{item['name']}: 0 left, 1 asked for"
    assert (while_frozen["remaining"], while_frozen["reserved"], while_frozen["issued"]) \
        == (0, 2, 0)
    assert raised.status_code == 200, raised.text
    assert raised.json()["stock"] == {"total": 10, "remaining": 8, "reserved": 2, "issued": 0}
    assert running.status_code == 409 and problem(running) == "idempotency-key-in-use"
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert answers[0].json()["id"] == made["id"] == replay.json()["id"]
    assert replay.status_code == 201 and replay.headers.get("idempotent-replayed") == "true"
    stock = (await get_item(gw, item["code"]))["stock"]
    assert stock == {"total": 10, "remaining": 8, "reserved": 0, "issued": 2}
    for a in answers:
        await settled_hold(gw, a.json()["id"], "captured")
    for emp in (first_emp, second_emp):
        assert (await account(gw, emp["employee_no"]))["balance"] == 70


async def test_rewards_killed_after_reserving_a_unit_the_sweeper_finishes_the_redemption(
        gw, stack):
    """An item with stock and a limit, rewards_api killed with each redemption recorded
    as reserving and its spend on its way to frozen points_api: one spend never arrives
    (points_api is killed too), the other does (points_api goes on). After the restart
    the sweeper fails the first, giving its unit and limit back, and fulfils the second
    (the unit issued, the spend confirmed); a retry with the second's key meanwhile
    answers it. Stock, limits and points agree (reconcile)."""
    since = datetime.now(UTC).isoformat()
    lost, spent = await synced_employee(gw), await synced_employee(gw)
    for emp in (lost, spent):
        await give_points(gw, emp["employee_no"], 100)
    item = await put_item(gw, name="定制保温杯", cost_points=30, stock=2,
                          limit={"count": 1, "period": "month"})
    key = str(uuid.uuid4())

    async def killed_while_spending(emp: dict, *, spend_arrives: bool) -> dict:
        points_pid = _points_pid(stack)
        os.killpg(points_pid, signal.SIGSTOP)
        try:
            attempt, made = await _reserved(gw, emp, item["code"], key)
            await wait_for(lambda: asyncio.to_thread(_request_in_points_socket, stack),
                           within=60, what="the spend request in points_api's socket")
            stack.stop_service("rewards", sig=signal.SIGKILL)
            if not spend_arrives:
                stack.stop_service("points", sig=signal.SIGKILL)
        finally:
            if spend_arrives:
                os.killpg(points_pid, signal.SIGCONT)
        assert (await attempt).status_code >= 500  # the client saw the process die
        if not spend_arrives:
            stack.start_service("points")
        return made

    first = await killed_while_spending(lost, spend_arrives=False)
    stack.start_service("rewards")
    second = await killed_while_spending(spent, spend_arrives=True)
    await wait_for(lambda: hold(gw, second["id"]), within=60, what="the spend")
    # the sweeper is left to its pace: 20 s after each redemption started
    stack.start_service("rewards")
    # another request under the dead request's key takes its claim over, finds its
    # redemption and is refused as the key's reuse, leaving the key to its own retry
    other = await redeem(gw, spent, item["code"], key=key, quantity=2)
    retry = await redeem(gw, spent, item["code"], key=key)

    async def finished(redemption_id: str) -> dict | None:
        found = await redemption(gw, redemption_id)
        return found if found["status"] != "reserving" else None

    failed = await wait_for(lambda: finished(first["id"]), within=90, interval=0.5,
                            what="the sweeper")
    fulfilled = await wait_for(lambda: finished(second["id"]), within=90, interval=0.5,
                               what="the sweeper")
    answered = await redeem(gw, spent, item["code"], key=key)

    assert other.status_code == 422 and problem(other) == "idempotency-key-reused", other.text
    # 409 while the redemption is reserving; on a slow machine the sweeper's first pass
    # may have finished it before the retry arrived: then the redemption itself
    assert (retry.status_code == 409 and problem(retry) == "idempotency-key-in-use") or (
        retry.status_code == 200 and retry.json()["id"] == second["id"]), retry.text
    assert (failed["status"], failed["failure_reason"]) == ("failed", "hold-not-confirmed")
    assert fulfilled["status"] == "fulfilled"
    assert answered.status_code == 200 and answered.json()["id"] == second["id"], answered.text
    assert answered.json()["status"] == "fulfilled"
    await settled_hold(gw, second["id"], "captured")
    assert await hold(gw, first["id"]) is None
    assert (await account(gw, lost["employee_no"]))["balance"] == 100
    assert (await account(gw, spent["employee_no"]))["balance"] == 70
    stock = (await get_item(gw, item["code"]))["stock"]
    assert (stock["remaining"], stock["reserved"], stock["issued"]) == (1, 0, 1)
    for emp, left in ((lost, 1), (spent, 0)):
        seen = await gw.get(f"/rewards/v1/items/{item['code']}", headers=emp["headers"])
        assert seen.json()["limit_remaining"] == left
    assert await _reconcile(stack, since) == 0


async def test_a_limit_counted_without_stock_is_recorded_before_it_is_given_back(gw, stack):
    """The reserving statement commits by itself: when it counts the employee's limit
    and finds the stock gone, it still records the redemption as reserving with what it
    took (the limit, no unit), so that a process dying before the give-back leaves a
    record for the sweeper instead of a month's limit used up by nothing."""
    from zoneinfo import ZoneInfo

    from services.rewards_api.catalogue.eligibility import period_key
    from services.rewards_api.redemptions import repository as repo
    from shared.db import create_engine, driver_connection

    emp = await synced_employee(gw)
    item = await put_item(gw, name="防护面罩", cost_points=30, stock=0,
                          limit={"count": 1, "period": "month"})
    now, rid = datetime.now(UTC), uuid.uuid4()
    periods = {p: period_key(p, now, ZoneInfo("Asia/Shanghai"))
               for p in ("month", "quarter", "year")}
    engine = create_engine(stack.database_url("rewards"), pool_size=1, max_overflow=0)
    try:
        conn, db = await driver_connection(engine)
        try:
            row = await db.first(repo.RESERVE, item_code=item["code"],
                                 employee_no=emp["employee_no"], quantity=1, redemption_id=rid,
                                 now=now, expires=now, requested_by=emp["employee_no"],
                                 key=None, **periods)
            assert (row["counted"], row["taken"], row["reserved"], row["stocked"]) \
                == (True, False, True, True)
            kept = await db.first(repo.VIEW, redemption_id=rid)
            assert (kept["status"], kept["stock_tracked"], kept["limit_period_key"]) \
                == ("reserving", False, periods["month"])
            seen = await gw.get(f"/rewards/v1/items/{item['code']}", headers=emp["headers"])
            assert seen.json()["limit_remaining"] == 0  # counted, and on record
            back = await db.first(repo.GIVEN_BACK, redemption_id=rid, forget=True,
                                  reason="out-of-stock", check_due=None, keyed=False,
                                  **dict.fromkeys(("scope", "key", "digest", "status",
                                                   "headers", "body", "fresh")))
            assert back["given_back"] == 1
            assert await db.first(repo.VIEW, redemption_id=rid) is None
        finally:
            await conn.close()
    finally:
        await engine.dispose()
    seen = await gw.get(f"/rewards/v1/items/{item['code']}", headers=emp["headers"])
    assert seen.json()["limit_remaining"] == 1
    assert (await get_item(gw, item["code"]))["stock"]["reserved"] == 0
