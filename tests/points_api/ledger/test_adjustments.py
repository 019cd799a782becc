"""Manual adjustments and reversals by HR: audited, compensating, never editing."""

from __future__ import annotations

import uuid

from tests.conftest import auth
from tests.points_api.event_factories import (
    HR,
    account,
    all_entries,
    course,
    earn,
    new_employee,
)


async def adjust(gw, employee_no: str, points: int, reason: str = "补录线下培训",
                 category: str = "participation", headers=None):
    return await gw.post(f"/points/v1/accounts/{employee_no}/adjustments", headers=headers or HR,
                         json={"points": points, "category": category, "reason": reason})


async def test_adjustment_moves_both_balances_and_keeps_actor_and_reason(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]

    r = await adjust(gw, no, 50, "补录线下安全培训", "growth")

    assert r.status_code == 201, r.text
    entry = r.json()
    assert (entry["kind"], entry["points"], entry["category"]) == ("adjust", 50, "growth")
    assert entry["actor"] == "HR001"
    assert entry["reason"] == "人工调整: 补录线下安全培训"
    acct = await account(gw, no)
    assert (acct["balance"], acct["qualifying_points"]) == (50, 50)
    assert acct["by_category"]["growth"] == 50


async def test_adjustment_needs_a_reason_and_non_zero_points(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    path = f"/points/v1/accounts/{no}/adjustments"

    missing = await gw.post(path, headers=HR, json={"points": 5, "category": "outcome"})
    blank = await adjust(gw, no, 5, "   ")
    zero = await adjust(gw, no, 0)
    huge = await adjust(gw, no, 10**12)

    for r in (missing, blank, zero, huge):
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["errors"][0]["pointer"] == "#/reason"


async def test_only_hr_adjusts_and_unknown_employees_are_404(gw):
    emp = await new_employee(gw)
    manager = auth("M1", "manager", departments=(emp["org"]["department"]["code"],))

    assert (await adjust(gw, emp["employee_no"], 5, headers=manager)).status_code == 403
    assert (await adjust(gw, emp["employee_no"], 5,
                         headers=auth(emp["employee_no"], "employee"))).status_code == 403
    unknown = await adjust(gw, f"NOBODY{uuid.uuid4().hex[:6]}", 5)
    assert unknown.status_code == 404
    assert unknown.json()["type"].endswith("/account-not-found")


async def test_reversal_compensates_once_and_is_itself_final(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    outcome = await earn(gw, "course.completed", course(no, "设备操作基础", course_points=20))
    entry_id = outcome["awarded"][0]["entry_id"]

    r = await gw.post(f"/points/v1/entries/{entry_id}/reverse", headers=HR,
                      json={"reason": "重复录入"})

    assert r.status_code == 201, r.text
    reversal = r.json()
    assert (reversal["kind"], reversal["points"]) == ("reverse", -20)
    assert reversal["reverses_entry_id"] == entry_id
    assert reversal["actor"] == "HR001"
    assert reversal["reason"] == "撤销: 完成课程 设备操作基础 2 课时 (重复录入)"
    original = (await gw.get(f"/points/v1/entries/{entry_id}", headers=HR)).json()
    assert original["reversed_by_entry_id"] == reversal["id"]
    assert original["points"] == 20  # history is never edited
    acct = await account(gw, no)
    assert (acct["balance"], acct["qualifying_points"], acct["month_points"]) == (0, 0, 0)

    twice = await gw.post(f"/points/v1/entries/{entry_id}/reverse", headers=HR,
                          json={"reason": "再次撤销"})
    of_reversal = await gw.post(f"/points/v1/entries/{reversal['id']}/reverse", headers=HR,
                                json={"reason": "撤销撤销"})
    assert twice.status_code == of_reversal.status_code == 409
    assert twice.json()["type"].endswith("/entry-already-reversed")
    assert of_reversal.json()["type"].endswith("/entry-is-reversal")


async def test_reversal_needs_a_reason_and_an_existing_entry(gw):
    emp = await new_employee(gw)
    entry = (await adjust(gw, emp["employee_no"], 7)).json()

    no_reason = await gw.post(f"/points/v1/entries/{entry['id']}/reverse", headers=HR, json={})
    missing = await gw.post("/points/v1/entries/999999999/reverse", headers=HR,
                            json={"reason": "x"})

    assert no_reason.status_code == 422
    assert missing.status_code == 404


async def test_idempotency_key_replays_an_adjustment_instead_of_repeating_it(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    headers = {**HR, "Idempotency-Key": str(uuid.uuid4())}
    body = {"points": 12, "category": "participation", "reason": "补录"}

    first = await gw.post(f"/points/v1/accounts/{no}/adjustments", headers=headers, json=body)
    replay = await gw.post(f"/points/v1/accounts/{no}/adjustments", headers=headers, json=body)
    other = await gw.post(f"/points/v1/accounts/{no}/adjustments", headers=headers,
                          json={**body, "points": 13})

    assert first.status_code == replay.status_code == 201
    assert replay.headers.get("idempotent-replayed") == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert other.status_code == 422  # the key is bound to the first request
    assert len(await all_entries(gw, no)) == 1
    assert (await account(gw, no))["balance"] == 12


async def test_hr_cannot_change_their_own_points(gw):
    """Like approving one's own redemption: an HR administrator who is also an employee
    adjusts and reverses others' points, never their own (whatever the case of the
    token's subject)."""
    emp = await new_employee(gw)
    no = emp["employee_no"]
    colleague = auth(f"HR-{no}", "hr_admin")
    entry = (await adjust(gw, no, 30, headers=colleague)).json()
    for sub in (no, no.lower(), f" {no} "):
        themself = auth(sub, "hr_admin", "employee")
        r = await adjust(gw, no, 500, "年终奖励", headers=themself)
        assert r.status_code == 403, (sub, r.text)
        assert r.json()["type"].endswith("/self-adjustment")
        r = await gw.post(f"/points/v1/entries/{entry['id']}/reverse", headers=themself,
                          json={"reason": "撤销"})
        assert r.status_code == 403 and r.json()["type"].endswith("/self-adjustment")
    assert (await account(gw, no))["balance"] == 30
    assert (await adjust(gw, no, 5, headers=colleague)).status_code == 201
