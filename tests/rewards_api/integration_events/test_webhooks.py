"""Fulfilment reaches webhook subscribers: rewards_api's integration events
travel through its outbox to points_api, which delivers every service's
webhooks."""

from __future__ import annotations

from decimal import Decimal

from tests.points_api.webhooks.receiver import Receiver
from tests.rewards_api.helpers import (
    HR,
    give_points,
    manager_of,
    put_item,
    redeem,
    synced_employee,
)


async def test_approved_leave_reaches_the_attendance_webhook(gw):
    receiver = Receiver().start()
    sub = await gw.post("/points/v1/webhooks", headers=HR, json={
        "url": receiver.url, "event_types": ["leave.granted", "voucher.issued"],
        "description": "考勤系统"})
    assert sub.status_code == 201, sub.text
    try:
        emp = await synced_employee(gw)
        await give_points(gw, emp["employee_no"], 300)
        item = await put_item(gw, name="带薪假 1 天", kind="paid_leave", leave_days="1",
                              cost_points=200, requires_approval=True)
        made = (await redeem(gw, emp, item["code"])).json()
        await gw.post(f"/rewards/v1/redemptions/{made['id']}/approve", headers=manager_of(emp))
        events = await gw.get("/rewards/v1/integration-events", headers=HR,
                              params={"employee_no": emp["employee_no"],
                                      "event_type": "leave.granted"})
        [granted] = events.json()["items"]

        [request] = await receiver.wait_for(granted["event_id"])

        body = request.json
        assert body["type"] == "leave.granted"
        assert body["data"]["redemption_id"] == made["id"]
        assert Decimal(body["data"]["days"]) == 1
        assert body["data"]["employee_name"] == "李娜"
    finally:
        await gw.delete(f"/points/v1/webhooks/{sub.json()['id']}", headers=HR)
        receiver.stop()
