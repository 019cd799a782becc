"""Exactly once in effect: redelivered events, the same fact sent twice, and many
facts for one employee at once."""

from __future__ import annotations

import asyncio
import uuid

from tests.points_api.event_factories import (
    account,
    all_entries,
    course,
    deliver,
    envelope,
    fact,
    new_employee,
    send,
)


async def test_event_delivered_three_times_is_awarded_once(gw):
    emp = await new_employee(gw)
    event = envelope("course.completed", course(emp["employee_no"], "设备操作基础",
                                                course_points=20))

    receipts = [await send(gw, event["event_type"], event["payload"],
                           event_id=event["event_id"]) for _ in range(3)]

    assert [r["status"] for r in receipts] == ["applied", "duplicate", "duplicate"]
    assert (await account(gw, emp["employee_no"]))["balance"] == 20
    assert len(await all_entries(gw, emp["employee_no"])) == 1


async def test_concurrent_redeliveries_apply_once(gw):
    emp = await new_employee(gw)
    event = envelope("course.completed", course(emp["employee_no"]))

    batches = await asyncio.gather(*[deliver(gw, event) for _ in range(3)])

    statuses = sorted(receipts[0]["status"] for receipts in batches)
    assert statuses == ["applied", "duplicate", "duplicate"]
    assert (await account(gw, emp["employee_no"]))["balance"] == 16


async def test_same_fact_under_a_new_event_id_pays_nothing_more(gw):
    emp = await new_employee(gw)
    payload = course(emp["employee_no"], "设备操作基础", course_points=20)

    first = await send(gw, "course.completed", payload)
    second = await send(gw, "course.completed", payload)

    assert first["result"]["total_points"] == 20
    assert second["status"] == "applied"
    assert second["result"]["total_points"] == 0
    assert "此记录已计分" in second["result"]["skipped"][-1]
    assert (await account(gw, emp["employee_no"]))["balance"] == 20


async def test_fifty_concurrent_facts_for_one_employee_keep_the_balance_exact(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    events = [envelope("course.completed", course(no, "装配工艺", hours="1", difficulty="basic"))
              for _ in range(50)]

    batches = await asyncio.gather(*[deliver(gw, event) for event in events])

    assert all(receipts[0]["status"] == "applied" for receipts in batches)
    entries = await all_entries(gw, no)
    acct = await account(gw, no)
    assert len(entries) == 50
    assert acct["balance"] == sum(e["points"] for e in entries) == 250
    assert acct["qualifying_points"] == acct["month_points"] == 250
    assert acct["by_category"]["participation"] == 250


async def test_concurrent_interactions_never_pass_the_daily_cap(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    events = [envelope("live.interaction", fact(no, kind="speak")) for _ in range(30)]

    batches = await asyncio.gather(*[deliver(gw, event) for event in events])

    paid = [b[0]["result"]["total_points"] for b in batches]
    assert sum(paid) == 20
    assert paid.count(2) == 10
    assert (await account(gw, no))["balance"] == 20


async def test_a_batch_applies_each_event_on_its_own(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    good = envelope("course.completed", course(no))
    bad = envelope("skill_application.confirmed",
                   fact(no, summary="x", points=500, confirmer="M1"))
    unknown = {**envelope("course.completed", course(no)), "event_type": "course.liked"}

    receipts = await deliver(gw, good, bad, unknown)

    assert [r["status"] for r in receipts] == ["applied", "failed", "ignored"]
    assert receipts[0]["event_id"] == good["event_id"]
    assert (await account(gw, no))["balance"] == 16


async def test_outcome_reports_month_rank_and_its_change(gw):
    first = await new_employee(gw)
    second = await new_employee(gw, org=first["org"])
    await send(gw, "course.completed", course(first["employee_no"]))

    receipt = await send(gw, "course.completed", course(
        second["employee_no"], "设备操作基础", course_points=2000))

    outcome = receipt["result"]
    assert outcome["month_points"] == 2000
    assert outcome["month_rank_change"] > 0
    assert outcome["month_rank"] <= (await account(gw, first["employee_no"]))["month_rank"]
    acct = await account(gw, second["employee_no"])
    assert acct["month_rank"] == outcome["month_rank"]
    assert str(uuid.UUID(receipt["event_id"])) == receipt["event_id"]
