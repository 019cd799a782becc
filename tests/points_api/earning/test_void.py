"""Voiding a training fact reverses its points with compensating entries."""

from __future__ import annotations

import uuid

from tests.points_api.event_factories import (
    HR,
    account,
    all_entries,
    course,
    earn,
    fact,
    new_employee,
    practical,
    send,
)


def void(employee_no: str, fact_id: str, reason: str = "录入错误") -> dict:
    return fact(employee_no, voided_fact_id=fact_id, reason=reason)


async def test_void_reverses_every_entry_of_the_fact(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    note = fact(no, title="焊接飞溅控制")
    await earn(gw, "note.shared", note)
    await earn(gw, "note.reviewed", {**note, "featured": True, "reviewer": "A1"})
    kept = await earn(gw, "course.completed", course(no))

    outcome = await earn(gw, "fact.voided", void(no, note["fact_id"]))

    assert outcome["total_points"] == -15
    assert sorted(a["points"] for a in outcome["awarded"]) == [-10, -5]
    assert outcome["balance"] == kept["total_points"] == 16
    entries = await all_entries(gw, no)
    reversals = [e for e in entries if e["kind"] == "reverse"]
    originals = {e["id"]: e for e in entries if e["source_fact_id"] == note["fact_id"]
                 and e["kind"] == "earn"}
    assert {r["reverses_entry_id"] for r in reversals} == set(originals)
    assert all(o["reversed_by_entry_id"] for o in originals.values())
    assert "撤销: 分享学习笔记 焊接飞溅控制 (录入错误)" in {r["reason"] for r in reversals}
    acct = await account(gw, no)
    assert acct["qualifying_points"] == acct["month_points"] == 16


async def test_void_delivered_again_or_twice_changes_nothing_more(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    completion = course(no)
    await earn(gw, "course.completed", completion)
    voiding = void(no, completion["fact_id"])
    event_id = str(uuid.uuid4())

    first = await send(gw, "fact.voided", voiding, event_id=event_id)
    again = await send(gw, "fact.voided", voiding, event_id=event_id)
    second_void = await earn(gw, "fact.voided", void(no, completion["fact_id"]))

    assert (first["status"], again["status"]) == ("applied", "duplicate")
    assert second_void["total_points"] == 0
    assert (await account(gw, no))["balance"] == 0


async def test_fact_arriving_after_its_void_earns_nothing(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    completion = course(no)

    await earn(gw, "fact.voided", void(no, completion["fact_id"]))
    late = await earn(gw, "course.completed", completion)

    assert late["total_points"] == 0
    assert "已撤销" in late["skipped"][0]


async def test_void_after_points_were_taken_reverses_what_the_balance_holds(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    assessment = practical(no)
    await earn(gw, "practical.assessed", assessment)
    r = await gw.post(f"/points/v1/accounts/{no}/adjustments", headers=HR, json={
        "points": -25, "category": "outcome", "reason": "扣减"})
    assert r.status_code == 201, r.text

    outcome = await earn(gw, "fact.voided", void(no, assessment["fact_id"]))

    assert outcome["total_points"] == -5
    assert outcome["balance"] == 0
    (reversal,) = [e for e in await all_entries(gw, no, kind="reverse")]
    assert reversal["details"]["shortfall"] == 25
    assert (await account(gw, no))["balance"] == 0


async def test_exam_retake_after_a_voided_attempt_pays_its_band_again(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    exam = {"exam_code": f"EX-{uuid.uuid4().hex[:6]}", "exam_title": "设备点检考试",
            "pass_score": 60}
    attempt = fact(no, score=95, **exam)
    await earn(gw, "exam.attempted", attempt)
    await earn(gw, "fact.voided", void(no, attempt["fact_id"], "代考"))

    retake = await earn(gw, "exam.attempted", fact(no, score=95, **exam))

    assert retake["total_points"] == 15
    assert retake["balance"] == 15
