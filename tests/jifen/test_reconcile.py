"""``jifen reconcile``: its checks on made-up snapshots, and on the running
system's databases."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from jifen.cli import main as jifen
from jifen.reconcile import (
    FactEntries,
    HoldRow,
    InFlight,
    RedemptionRow,
    StockRow,
    check_balances,
    check_facts,
    check_held,
    check_holds,
    check_limits,
    check_stock,
)
from tests.conftest import call_direct
from tests.factories import uid
from tests.points_api.event_factories import course, deliver, envelope
from tests.rewards_api.helpers import (
    HR,
    give_points,
    manager_of,
    put_item,
    redeem,
    settled_hold,
    synced_employee,
)
from tests.training_api.records import ago, create_course

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(hours=1)
GRACE = timedelta(seconds=60)


def a_hold(status: str, *, hold_id: uuid.UUID | None = None, points: int = 10,
           created_at: datetime = OLD) -> HoldRow:
    return HoldRow(hold_id or uuid.uuid4(), "E1", points, status, NOW + timedelta(days=1),
                   created_at)


def a_redemption(status: str, hold_id: uuid.UUID, *, points: int = 10,
                 updated_at: datetime = OLD, expires_at: datetime | None = None,
                 hold_check_pending: bool = False) -> RedemptionRow:
    return RedemptionRow(hold_id, "E1", points, status, OLD, updated_at,
                         expires_at or NOW + timedelta(days=1), hold_check_pending)


def holds_findings(pairs: list[tuple[str | None, str | None]], in_flight: InFlight | None = None,
                   **redemption_fields) -> list[str]:
    holds, redemptions = [], []
    for redemption_status, hold_status in pairs:
        hold_id = uuid.uuid4()
        if hold_status:
            holds.append(a_hold(hold_status, hold_id=hold_id))
        if redemption_status:
            redemptions.append(a_redemption(redemption_status, hold_id, **redemption_fields))
    return [f.detail for f in check_holds(holds, redemptions, in_flight or InFlight(), now=NOW,
                                          grace=GRACE)]


def test_agreeing_holds_and_redemptions_are_clean():
    assert holds_findings([("pending_approval", "active"), ("fulfilled", "captured"),
                           ("rejected", "released"), ("cancelled", "released"),
                           ("expired", "expired"), ("failed", None), ("failed", "released"),
                           (None, "released"), (None, "expired")]) == []


def test_holds_and_redemptions_that_disagree_are_reported():
    found = holds_findings([(None, "active"), (None, "captured"), ("pending_approval", None),
                            ("pending_approval", "released"), ("fulfilled", "released"),
                            ("fulfilled", None), ("rejected", "captured"),
                            ("failed", "captured"), ("failed", "active"), ("reserving", "active")])
    assert len(found) == 10, found
    assert any("belongs to no redemption" in f for f in found)
    assert any("fulfilled but its hold is released" in f for f in found)
    assert any("still reserving" in f for f in found)


def test_events_in_flight_and_recent_changes_are_not_reported():
    captured_later, released_later, checked = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    in_flight = InFlight(pending={captured_later: {"hold.capture"},
                                  released_later: {"hold.release"}})
    holds = [a_hold("active", hold_id=i) for i in (captured_later, released_later, checked)]
    holds.append(a_hold("active", created_at=NOW - timedelta(seconds=5)))  # being placed
    recent = uuid.uuid4()
    holds.append(a_hold("released", hold_id=recent))
    redemptions = [a_redemption("fulfilled", captured_later),
                   a_redemption("cancelled", released_later),
                   a_redemption("failed", checked, hold_check_pending=True),
                   a_redemption("pending_approval", recent,
                                updated_at=NOW - timedelta(seconds=5))]

    assert check_holds(holds, redemptions, in_flight, now=NOW, grace=GRACE) == []

    dead = InFlight(dead={captured_later: {"hold.capture"}})
    [finding] = check_holds(holds[:1], redemptions[:1], dead, now=NOW, grace=GRACE)
    assert "dead-lettered" in finding.detail


def test_an_expired_pending_redemption_waits_for_the_sweeper():
    hold_id = uuid.uuid4()
    overdue = a_redemption("pending_approval", hold_id, expires_at=NOW - timedelta(seconds=1))
    assert check_holds([a_hold("expired", hold_id=hold_id)], [overdue], InFlight(), now=NOW,
                       grace=GRACE) == []


def test_balances_held_points_stock_and_limits():
    assert [f.subject for f in check_balances([("E1", 100, 100), ("E2", 100, 90)])] == ["E2"]
    assert check_held({"E1": 30}, [a_hold("active", points=30), a_hold("captured")]) == []
    assert [f.subject for f in check_held({"E1": 20}, [a_hold("active", points=30)])] == ["E1"]
    good = StockRow("A", 10, 7, 2, 1, 2, 1, False, 0, 0, 0)
    voucher = StockRow("V", 3, 1, 1, 1, 1, 1, True, 3, 1, 1)
    short = StockRow("B", 10, 8, 1, 1, 2, 1, False, 0, 0, 0)
    pool = StockRow("W", 3, 1, 1, 1, 1, 1, True, 4, 2, 1)
    assert [f.subject for f in check_stock([good, voucher, short, pool])] == ["B", "W"]
    assert [f.subject for f in check_limits([("E1", "A", "M2026-11", 2, 2),
                                             ("E1", "B", "M2026-11", 2, 1)])] == ["E1/B/M2026-11"]


async def run_reconcile(stack, capsys, *extra: str) -> tuple[int, str]:
    code = await asyncio.to_thread(jifen, [
        "reconcile",
        "--points-url", stack.database_url("points"),
        "--rewards-url", stack.database_url("rewards"),
        "--training-url", stack.database_url("training"), *extra])
    return code, capsys.readouterr().out


async def test_the_running_system_reconciles_clean(gw, stack, capsys):
    """Redemptions in every state, compared once their events were delivered."""
    since = datetime.now(UTC).isoformat()
    emp = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], 100)
    instant = await put_item(gw, cost_points=10, stock=5)
    approval = await put_item(gw, cost_points=20, stock=10, requires_approval=True,
                              limit={"count": 10, "period": "year"})
    fulfilled = (await redeem(gw, emp, instant["code"])).json()
    waiting = (await redeem(gw, emp, approval["code"])).json()
    rejected = (await redeem(gw, emp, approval["code"])).json()
    await gw.post(f"/rewards/v1/redemptions/{rejected['id']}/reject", headers=manager_of(emp),
                  json={"reason": "名额已满"})
    too_dear = await redeem(gw, emp, approval["code"], quantity=5)
    assert too_dear.json()["type"].endswith("/insufficient-points")
    await settled_hold(gw, fulfilled["id"], "captured")
    await settled_hold(gw, rejected["id"], "released")
    assert waiting["status"] == "pending_approval"

    code, out = await run_reconcile(stack, capsys, "--since", since, "--grace", "0")

    assert code == 0, out
    assert "reconcile: clean (4 redemptions, 3 holds" in out


async def test_a_hold_without_a_redemption_is_reported(gw, stack, capsys):
    since = datetime.now(UTC).isoformat()
    emp = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], 50)
    hold_id = str(uuid.uuid4())
    r = await call_direct(gw, "POST", "/points/v1/internal/holds", caller="rewards", json={
        "hold_id": hold_id, "employee_no": emp["employee_no"], "points": 30,
        "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        "reason": "兑换 不存在的兑换"})
    assert r.status_code == 201, r.text
    try:
        code, out = await run_reconcile(stack, capsys, "--since", since, "--grace", "0")
    finally:
        release = {"event_id": str(uuid.uuid4()), "event_type": "hold.release",
                   "occurred_at": datetime.now(UTC).isoformat(), "producer": "rewards",
                   "payload": {"hold_id": hold_id, "employee_no": emp["employee_no"]}}
        done = await call_direct(gw, "POST", "/points/v1/internal/events", caller="rewards",
                                 json={"events": [release]})
        assert done.json()["receipts"][0]["status"] == "applied", done.text
    assert code == 1
    assert (f"OFF holds    {hold_id}: active hold of {emp['employee_no']} (30 points) "
            "belongs to no redemption") in out


async def test_points_for_a_fact_training_api_never_recorded_are_reported(gw, stack, capsys):
    """An event that reached points_api with no fact behind it (forged by whoever held a
    producer's key, or replayed from another system) shows up as points without a
    source; a completion recorded through training_api does not."""
    since = datetime.now(UTC).isoformat()
    emp = await synced_employee(gw)
    no = emp["employee_no"]
    taught = await create_course(gw)
    r = await gw.post("/training/v1/course-completions", headers=HR, json={
        "employee_no": no, "course_code": taught["code"], "completed_at": ago()})
    assert r.status_code == 201, r.text
    recorded = r.json()
    ghost = course(no)
    [receipt] = await deliver(gw, envelope("course.completed", ghost))
    assert receipt["status"] == "applied", receipt
    code, out = await run_reconcile(stack, capsys, "--since", since, "--grace", "0")
    assert code == 1
    assert (f"OFF facts    {ghost['fact_id']}: 1 ledger entry of {no} (+16 points) for a "
            "fact that training_api does not have") in out
    assert recorded["id"] not in out
    assert "facts checked" in out


def test_facts_check_reads_ids_as_uuids():
    named = [FactEntries("8B1E3A52-0000-4000-8000-000000000001", "E1", 2, 10),
             FactEntries("not-a-uuid", "E2", 1, 5)]
    findings = check_facts(named, {"8b1e3a52-0000-4000-8000-000000000001"})
    assert [f.subject for f in findings] == ["not-a-uuid"]


async def test_counters_that_disagree_with_redemptions_are_reported(gw, stack, capsys):
    item = await put_item(gw, stock=4)
    employee_no = uid("E")
    engine = create_async_engine(stack.database_url("rewards"))
    tampered = ("UPDATE reward_item SET stock_reserved = stock_reserved + 1, "
                "stock_remaining = stock_remaining - 1 WHERE code = :code")
    restored = ("UPDATE reward_item SET stock_reserved = stock_reserved - 1, "
                "stock_remaining = stock_remaining + 1 WHERE code = :code")
    try:
        async with engine.begin() as conn:
            await conn.execute(text(tampered), {"code": item["code"]})
            await conn.execute(text("INSERT INTO limit_usage (employee_no, item_code, "
                                    "period_key, used) VALUES (:no, :code, 'M2026-11', 1)"),
                               {"no": employee_no, "code": item["code"]})
        code, out = await run_reconcile(stack, capsys)
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM limit_usage WHERE employee_no = :no"),
                               {"no": employee_no})
            await conn.execute(text(restored), {"code": item["code"]})
        await engine.dispose()
    assert code == 1
    assert f"OFF stock    {item['code']}: reserved 1, live redemptions hold 0" in out
    assert f"OFF limits   {employee_no}/{item['code']}/M2026-11: counter says 1 used" in out


async def test_unreachable_databases_exit_2(capsys):
    code = await asyncio.to_thread(jifen, [
        "reconcile",
        "--points-url", "postgresql+asyncpg://postgres@127.0.0.1:1/none",
        "--rewards-url", "postgresql+asyncpg://postgres@127.0.0.1:1/none"])
    assert code == 2
    assert "cannot read the databases" in capsys.readouterr().err
