"""Many training events in one delivery are applied together (one transaction, a
fixed number of statements) with the outcomes they would have had one by one."""

from __future__ import annotations

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


def _day_of_live_interactions(employee_no: str) -> list[dict]:
    """Twelve interactions on one day: the daily cap (10 interactions, 20 points)
    stops paying within the batch."""
    return [envelope("live.interaction", fact(employee_no, kind=kind))
            for kind in ["question", "speak"] * 6]


async def test_a_batch_pays_what_the_same_events_pay_one_by_one(gw):
    together, alone = await new_employee(gw), await new_employee(gw)
    batch = _day_of_live_interactions(together["employee_no"])
    one_by_one = _day_of_live_interactions(alone["employee_no"])

    receipts = await deliver(gw, *batch)
    singles = [await send(gw, e["event_type"], e["payload"]) for e in one_by_one]

    assert [r["status"] for r in receipts] == ["applied"] * 12
    paid = [r["result"]["total_points"] for r in receipts]
    assert paid == [r["result"]["total_points"] for r in singles]
    assert sum(paid) == 20  # the cap held inside the batch
    assert [r["result"]["balance"] for r in receipts] == \
        [r["result"]["balance"] for r in singles]
    assert receipts[-1]["result"]["skipped"] == singles[-1]["result"]["skipped"]
    for emp in (together, alone):
        assert (await account(gw, emp["employee_no"]))["balance"] == 20
    assert len(await all_entries(gw, together["employee_no"])) == \
        len(await all_entries(gw, alone["employee_no"]))


async def test_a_batch_is_applied_once_and_pays_a_fact_once(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    payload = course(no, "设备操作基础", course_points=20)
    first = envelope("course.completed", payload)
    again = envelope("course.completed", payload)  # the same fact under a new event id

    receipts = await deliver(gw, first, first, again)
    redelivered = await deliver(gw, first, again)

    assert [r["status"] for r in receipts] == ["applied", "duplicate", "applied"]
    assert receipts[0]["result"]["total_points"] == 20
    assert receipts[2]["result"]["total_points"] == 0
    assert "此记录已计分" in receipts[2]["result"]["skipped"][-1]
    assert [r["status"] for r in redelivered] == ["duplicate", "duplicate"]
    assert (await account(gw, no))["balance"] == 20


async def test_events_that_cannot_be_applied_leave_the_rest_of_the_batch_applied(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    unknown = f"NOBODY-{uuid.uuid4().hex[:6]}"
    events = [envelope("course.completed", course(no, course_points=10)),
              envelope("course.completed", course(unknown, course_points=10)),
              envelope("course.completed", {**course(no), "fact_id": "not-a-uuid"}),
              envelope("course.completed", course(no, course_points=5))]

    receipts = await deliver(gw, *events)

    assert [r["status"] for r in receipts] == ["applied", "failed", "failed", "applied"]
    assert receipts[1]["permanent"] is False  # the copy may still arrive: retried later
    assert receipts[2]["permanent"] is True
    assert (await account(gw, no))["balance"] == 15
    # the failed events were not claimed: delivered again, they are tried again
    retried = await deliver(gw, events[1])
    assert retried[0]["status"] == "failed"


async def test_outcomes_follow_the_order_of_the_batch_across_employees(gw):
    first, second = await new_employee(gw), await new_employee(gw)
    events = [envelope("course.completed", course(first["employee_no"], course_points=7)),
              envelope("course.completed", course(second["employee_no"], course_points=9)),
              envelope("course.completed", course(first["employee_no"], course_points=11))]

    receipts = await deliver(gw, *events)

    results = [r["result"] for r in receipts]
    assert [(r["employee_no"], r["total_points"], r["balance"]) for r in results] == [
        (first["employee_no"], 7, 7), (second["employee_no"], 9, 9),
        (first["employee_no"], 11, 18)]
    assert results[2]["month_points"] >= 18 and results[0]["month_points"] == \
        results[2]["month_points"] - 11
    for r in results:
        assert r["month_rank"] >= 1
