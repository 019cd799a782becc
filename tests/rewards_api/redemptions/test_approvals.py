"""Approval: the manager of the employee's department or HR decides, never the
employee; rejection, cancellation and expiry give the points and stock back."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import auth
from tests.factories import uid
from tests.rewards_api.helpers import (
    HR,
    account,
    get_item,
    give_points,
    manager_of,
    put_item,
    redeem,
    redemption,
    settled_hold,
    synced_employee,
    wait_for,
)


async def leave_item(gw, **fields) -> dict:
    return await put_item(gw, name="带薪假 1 天", kind="paid_leave", leave_days="1",
                          cost_points=200, stock=3, requires_approval=True,
                          limit={"count": 2, "period": "quarter"}, **fields)


async def pending(gw, points: int = 300) -> tuple[dict, dict, dict]:
    """An employee with ``points`` and a pending paid-leave redemption."""
    emp = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], points)
    item = await leave_item(gw)
    r = await redeem(gw, emp, item["code"])
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending_approval"
    return emp, item, r.json()


async def assert_given_back(gw, emp: dict, item: dict, made: dict, status: str) -> None:
    await settled_hold(gw, made["id"], "released")
    acct = await account(gw, emp["employee_no"])
    assert (acct["balance"], acct["held"], acct["spendable"]) == (300, 0, 300)
    stock = (await get_item(gw, item["code"]))["stock"]
    assert (stock["remaining"], stock["reserved"], stock["issued"]) == (3, 0, 0)
    seen = await gw.get(f"/rewards/v1/items/{item['code']}", headers=emp["headers"])
    assert seen.json()["limit_remaining"] == 2
    assert (await redemption(gw, made["id"], emp["headers"]))["status"] == status


async def test_a_pending_redemption_holds_points_until_the_manager_approves(gw):
    emp, item, made = await pending(gw)
    acct = await account(gw, emp["employee_no"])
    assert (acct["balance"], acct["held"], acct["spendable"]) == (300, 200, 100)
    assert (await get_item(gw, item["code"]))["stock"]["reserved"] == 1

    r = await gw.post(f"/rewards/v1/redemptions/{made['id']}/approve",
                      headers=manager_of(emp, "M100"), json={"note": "同意"})

    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["status"], done["decided_by"], done["decision_reason"]) == (
        "fulfilled", "M100", "同意")
    await settled_hold(gw, made["id"], "captured")
    acct = await account(gw, emp["employee_no"])
    assert (acct["balance"], acct["held"], acct["qualifying_points"]) == (100, 0, 300)
    stock = (await get_item(gw, item["code"]))["stock"]
    assert (stock["reserved"], stock["issued"]) == (0, 1)
    events = await gw.get("/rewards/v1/integration-events", headers=auth("ATT", "integration"),
                          params={"employee_no": emp["employee_no"]})
    fulfilled, granted = events.json()["items"]
    assert (fulfilled["event_type"], granted["event_type"]) == ("redemption.fulfilled",
                                                                "leave.granted")
    assert granted["redemption_id"] == fulfilled["redemption_id"] == made["id"]
    assert Decimal(granted["payload"]["days"]) == 1
    assert granted["payload"]["employee_name"] == "李娜"
    assert granted["payload"]["approved_by"] == "M100"
    twice = await gw.post(f"/rewards/v1/redemptions/{made['id']}/approve",
                          headers=manager_of(emp))
    assert twice.status_code == 409
    assert twice.json()["type"].endswith("/redemption-not-pending")


async def test_nobody_approves_their_own_and_other_departments_cannot(gw):
    emp, _, made = await pending(gw)
    stranger = await synced_employee(gw)
    path = f"/rewards/v1/redemptions/{made['id']}"
    self_as_manager = auth(emp["employee_no"], "manager", "hr_admin",
                           departments=(emp["org"]["department"]["code"],))
    lower_case_self = auth(emp["employee_no"].lower(), "manager", "hr_admin",
                           departments=(emp["org"]["department"]["code"],))

    for headers in (emp["headers"], self_as_manager, lower_case_self):
        for action, body in (("approve", {}), ("reject", {"reason": "自己驳回"})):
            r = await gw.post(f"{path}/{action}", headers=headers, json=body)
            assert r.status_code == 403, r.text
            assert r.json()["type"].endswith("/self-approval")
    other = await gw.post(f"{path}/approve", headers=manager_of(stranger))
    assert other.status_code == 403
    assert other.json()["type"].endswith("/not-approver")
    colleague = await gw.post(f"{path}/approve", headers=stranger["headers"])
    assert colleague.status_code == 404
    cancel_by_other = await gw.post(f"{path}/cancel", headers=manager_of(emp))
    assert cancel_by_other.status_code == 403
    assert (await redemption(gw, made["id"]))["status"] == "pending_approval"

    by_hr = await gw.post(f"{path}/approve", headers=HR)
    assert by_hr.status_code == 200 and by_hr.json()["status"] == "fulfilled"


async def test_reject_releases_points_stock_and_limit(gw):
    emp, item, made = await pending(gw)
    no_reason = await gw.post(f"/rewards/v1/redemptions/{made['id']}/reject",
                              headers=manager_of(emp), json={})
    assert no_reason.status_code == 422

    r = await gw.post(f"/rewards/v1/redemptions/{made['id']}/reject", headers=manager_of(emp),
                      json={"reason": "本月产线排班紧张，请下月再申请"})

    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["decision_reason"]) == (
        "rejected", "本月产线排班紧张，请下月再申请")
    await assert_given_back(gw, emp, item, made, "rejected")


async def test_cancel_by_the_employee_releases_points_stock_and_limit(gw):
    emp, item, made = await pending(gw)

    r = await gw.post(f"/rewards/v1/redemptions/{made['id']}/cancel", headers=emp["headers"],
                      json={"reason": "计划有变"})

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    await assert_given_back(gw, emp, item, made, "cancelled")
    again = await gw.post(f"/rewards/v1/redemptions/{made['id']}/cancel", headers=emp["headers"])
    assert again.status_code == 409


async def test_expiry_releases_points_stock_and_limit(gw, stack):
    """The approval deadline is moved into the past."""
    emp, item, made = await pending(gw)
    engine = create_async_engine(stack.database_url("rewards"))
    try:
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE redemption SET hold_expires_at = now() "
                                    "- interval '1 second' WHERE id = :id"), {"id": made["id"]})
    finally:
        await engine.dispose()

    async def expired() -> bool:
        return (await redemption(gw, made["id"]))["status"] == "expired"

    await wait_for(expired, within=60, what="expiry")
    await assert_given_back(gw, emp, item, made, "expired")
    late = await gw.post(f"/rewards/v1/redemptions/{made['id']}/approve", headers=HR)
    assert late.status_code == 409


async def test_decisions_on_a_redemption_that_is_not_pending(gw, stack):
    """Permissions are checked before the state: the redemption here failed because
    points_api was down."""
    emp = await synced_employee(gw)
    stranger = await synced_employee(gw)
    item = await leave_item(gw)
    stack.stop_service("points")
    try:
        r = await redeem(gw, emp, item["code"])
    finally:
        stack.start_service("points")
    assert r.status_code == 503, r.text
    path = f"/rewards/v1/redemptions/{r.json()['redemption_id']}"

    own = await gw.post(f"{path}/approve", headers=emp["headers"])
    other = await gw.post(f"{path}/reject", headers=manager_of(stranger), json={"reason": "否"})
    colleague = await gw.post(f"{path}/cancel", headers=stranger["headers"])
    right = await gw.post(f"{path}/approve", headers=manager_of(emp))
    cancel = await gw.post(f"{path}/cancel", headers=emp["headers"])

    assert (own.status_code, own.json()["type"].rsplit("/", 1)[-1]) == (403, "self-approval")
    assert (other.status_code, other.json()["type"].rsplit("/", 1)[-1]) == (403, "not-approver")
    assert colleague.status_code == 404
    assert right.status_code == cancel.status_code == 409
    assert right.json()["type"].endswith("/redemption-not-pending")
    assert (await redemption(gw, r.json()["redemption_id"]))["status"] == "failed"
    unknown = await gw.post(f"/rewards/v1/redemptions/{uid('x')}/approve", headers=HR)
    assert unknown.status_code == 422


async def test_integration_events_are_for_hr_integrations_and_auditors(gw):
    for headers in (auth(uid("E"), "employee"), auth(uid("M"), "manager", departments=("D",))):
        r = await gw.get("/rewards/v1/integration-events", headers=headers)
        assert r.status_code == 403
    for headers in (HR, auth("ATT", "integration"), auth("AUD", "auditor")):
        r = await gw.get("/rewards/v1/integration-events", headers=headers,
                         params={"event_type": "leave.granted", "limit": 1})
        assert r.status_code == 200, r.text
    bad = await gw.get("/rewards/v1/integration-events", headers=HR,
                       params={"cursor": "bm90LWEtbGlzdA"})
    assert bad.status_code == 404
    unknown = await gw.get("/rewards/v1/integration-events", headers=HR,
                           params={"event_type": "payroll.run"})
    assert unknown.status_code == 422
    future = await gw.get("/rewards/v1/integration-events", headers=HR,
                          params={"after_id": 2**53 - 1})
    assert future.json() == {"items": [], "next_cursor": None}
