"""Delivery to real HTTP receivers: matching, body and headers, retries with
backoff, dead letters, replays, pausing, pings and forwarded events."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from tests.conftest import auth, call_direct
from tests.points_api.event_factories import HR, deliver, new_employee
from tests.points_api.webhooks.helpers import (
    deliveries,
    delivery_of,
    documented_verifier,
    publish_now,
)
from tests.points_api.webhooks.receiver import Receiver

LEAVE = {"employee_no": "E1001", "employee_name": "张伟", "item_name": "带薪假 1 天",
         "days": "1.0", "approved_by": "M2001", "note": "年度优秀员工 🎉"}


async def test_an_event_reaches_matching_active_subscribers_only(
        gw, subscribe, receivers, points_db):
    hooks = {name: Receiver().start() for name in ("leave", "all", "subsidy", "paused")}
    receivers.extend(hooks.values())
    leave = await subscribe(hooks["leave"].url, ["leave.granted", "subsidy.granted"])
    every = await subscribe(hooks["all"].url, ["*"])
    await subscribe(hooks["subsidy"].url, ["subsidy.granted"])
    await subscribe(hooks["paused"].url, ["leave.granted"], active=False)

    event_id, count = await publish_now(points_db, "leave.granted", LEAVE)
    assert count == 2
    for name in ("leave", "all"):
        [request] = await hooks[name].wait_for(event_id)
        body = request.json
        assert body == {"id": str(event_id), "type": "leave.granted",
                        "occurred_at": body["occurred_at"], "data": LEAVE}
        assert "张伟".encode() in request.body  # UTF-8 as is, not \u-escaped
        assert request.headers["Jifen-Event-Type"] == "leave.granted"
        assert request.headers["Jifen-Signature"].startswith("v1=")
        assert request.headers["Content-Type"].startswith("application/json")
        assert request.path == "/hooks/jifen"
    await asyncio.sleep(0.5)
    assert hooks["subsidy"].for_event(event_id) == []
    assert hooks["paused"].for_event(event_id) == []

    detail = await delivery_of(gw, leave["id"], event_id, status="delivered")
    assert detail["event"]["data"] == LEAVE
    assert [(a["attempt_no"], a["status_code"], a["succeeded"]) for a in detail["attempts"]] == [
        (1, 200, True)]
    assert detail["attempts"][0]["response_excerpt"] is None  # only status and timing kept
    assert detail["attempts"][0]["duration_ms"] >= 0
    assert int(hooks["leave"].for_event(event_id)[0].headers["Jifen-Delivery-Id"]) == detail["id"]
    assert (await delivery_of(gw, every["id"], event_id))["status"] == "delivered"

    # publishing the same id again creates nothing and sends nothing
    _, again = await publish_now(points_db, "leave.granted", LEAVE, event_id=event_id)
    assert again == 0
    await asyncio.sleep(0.5)
    assert len(hooks["leave"].for_event(event_id)) == 1


async def test_a_receiver_that_fails_twice_gets_the_event_once_more(gw, subscribe, receivers,
                                                                    points_db):
    flaky = Receiver(lambda _request, seen: 500 if seen < 2 else 200).start()
    receivers.append(flaky)
    sub = await subscribe(flaky.url, ["honour.awarded"])
    event_id, _ = await publish_now(points_db, "honour.awarded",
                                    {"employee_no": "E1001", "honour": "月度 TOP 10"})
    detail = await delivery_of(gw, sub["id"], event_id, status="delivered")
    assert [(a["attempt_no"], a["status_code"], a["succeeded"]) for a in detail["attempts"]] == [
        (1, 500, False), (2, 500, False), (3, 200, True)]
    assert detail["attempts"][0]["error"] == "HTTP 500"
    assert detail["attempt_count"] == 3 and detail["last_error"] is None
    requests = flaky.for_event(event_id)
    assert len(requests) == 3
    # backoff: each retry waited (base 0.2 s in tests: at least half of it)
    assert requests[1].at - requests[0].at >= 0.09
    assert requests[2].at - requests[1].at >= 0.09
    assert len({r.body for r in requests}) == 1  # same body each time, fresh signatures
    await asyncio.sleep(1.0)
    assert len(flaky.for_event(event_id)) == 3


async def test_replay_sends_a_delivered_event_again(gw, subscribe, receiver, points_db):
    sub = await subscribe(receiver.url, ["certification.granted"])
    event_id, _ = await publish_now(points_db, "certification.granted",
                                    {"employee_no": "E1001", "certification": "高级设备操作员",
                                     "salary_raise_percent": "8"})
    first = await delivery_of(gw, sub["id"], event_id, status="delivered")
    r = await gw.post(f"/points/v1/webhook-deliveries/{first['id']}/replay", headers=HR)
    assert r.status_code == 202, r.text
    assert (r.json()["status"], r.json()["replays"], r.json()["replayed_by"]) == (
        "pending", 1, "HR001")
    second, again = await receiver.wait_for(event_id, count=2)
    assert again.body == second.body and again.event_id == str(event_id)
    detail = await delivery_of(gw, sub["id"], event_id, status="delivered")
    assert [a["attempt_no"] for a in detail["attempts"]] == [1, 2]
    assert (await gw.post(f"/points/v1/webhook-deliveries/{first['id']}/replay",
                          headers=auth("AUD1", "auditor"))).status_code == 403


async def test_dead_after_max_attempts_then_replayed(gw, subscribe, receivers, points_db):
    healthy = False
    down = Receiver(lambda _request, _seen: 200 if healthy else 503).start()
    receivers.append(down)
    sub = await subscribe(down.url, ["eligibility.reached"])
    event_id, _ = await publish_now(points_db, "eligibility.reached",
                                    {"employee_no": "E1001", "position": "生产组长"})
    dead = await delivery_of(gw, sub["id"], event_id, status="dead")
    assert len(dead["attempts"]) == 4  # POINTS_WEBHOOK_MAX_ATTEMPTS in the test stack
    assert all(a["status_code"] == 503 for a in dead["attempts"])
    assert dead["dead_at"] and dead["next_attempt_at"] is None
    await asyncio.sleep(0.8)
    assert len(down.for_event(event_id)) == 4
    # the subscription also receives eligibility.reached events that tests running
    # meanwhile cause: only this event's deliveries are this test's business
    dead_listed = await deliveries(gw, sub["id"], status="dead", limit=500)
    assert {d["status"] for d in dead_listed} == {"dead"}
    assert [d["id"] for d in dead_listed if d["event_id"] == str(event_id)] == [dead["id"]]
    pending = await deliveries(gw, sub["id"], status="pending", limit=500)
    assert [d for d in pending if d["event_id"] == str(event_id)] == []

    healthy = True
    r = await gw.post(f"/points/v1/webhook-deliveries/{dead['id']}/replay", headers=HR)
    assert r.status_code == 202
    done = await delivery_of(gw, sub["id"], event_id, status="delivered")
    assert [a["status_code"] for a in done["attempts"]] == [503, 503, 503, 503, 200]
    assert done["dead_at"] is None


async def test_unreachable_receiver_logs_the_error(gw, subscribe, points_db):
    gone = Receiver().start()
    url = gone.url
    gone.stop()
    sub = await subscribe(url, ["voucher.issued"])
    event_id, _ = await publish_now(points_db, "voucher.issued", {"employee_no": "E1001"})
    dead = await delivery_of(gw, sub["id"], event_id, status="dead")
    assert dead["attempts"][0]["status_code"] is None
    assert "Connect" in dead["attempts"][0]["error"]


async def test_forwarded_leave_granted_reaches_the_subscriber(gw, subscribe, receiver):
    sub = await subscribe(receiver.url, ["leave.granted"])
    producer_id = str(uuid.uuid4())
    payload = {**LEAVE, "event_id": producer_id, "redemption_id": str(uuid.uuid4()),
               "granted_at": datetime.now(UTC).isoformat()}
    envelope = {"event_id": str(uuid.uuid4()), "event_type": "leave.granted",
                "occurred_at": payload["granted_at"], "producer": "rewards", "payload": payload}
    [receipt] = await deliver(gw, envelope)
    assert (receipt["status"], receipt["result"]) == ("applied", {"webhook_deliveries": 1})
    [request] = await receiver.wait_for(producer_id)
    assert request.json["type"] == "leave.granted" and request.json["data"] == payload
    [again] = await deliver(gw, envelope)  # the relay's redelivery
    assert again["status"] == "duplicate"
    await asyncio.sleep(0.5)
    assert len(receiver.for_event(producer_id)) == 1
    assert (await delivery_of(gw, sub["id"], producer_id))["event"]["data"]["days"] == "1.0"


async def test_forwarded_events_are_accepted_from_their_producer_only(gw, subscribe, receiver):
    await subscribe(receiver.url, ["leave.granted"])
    payload = {**LEAVE, "event_id": str(uuid.uuid4())}
    forged = {"event_id": str(uuid.uuid4()), "event_type": "leave.granted",
              "occurred_at": datetime.now(UTC).isoformat(), "producer": "training",
              "payload": payload}
    [receipt] = await deliver(gw, forged)  # signed as training_api: not its event
    assert (receipt["status"], receipt["permanent"]) == ("failed", True)
    assert "rewards only" in receipt["error"]
    await asyncio.sleep(0.5)
    assert receiver.for_event(payload["event_id"]) == []


async def test_a_paused_subscription_is_sent_nothing(gw, subscribe, receiver, points_db):
    sub = await subscribe(receiver.url, ["points.awarded"], active=False)
    paused_id, count = await publish_now(points_db, "points.awarded",
                                         {"employee_no": "E1001", "points": 5})
    assert count == 0
    r = await gw.patch(f"/points/v1/webhooks/{sub['id']}", headers=HR, json={"active": True})
    assert r.status_code == 200 and r.json()["active"] is True
    event_id, count = await publish_now(points_db, "points.awarded",
                                        {"employee_no": "E1001", "points": 20})
    assert count == 1
    await receiver.wait_for(event_id)
    assert receiver.for_event(paused_id) == []
    r = await gw.patch(f"/points/v1/webhooks/{sub['id']}", headers=HR, json={"active": False})
    delivered = await delivery_of(gw, sub["id"], event_id, status="delivered")
    replay = await gw.post(f"/points/v1/webhook-deliveries/{delivered['id']}/replay", headers=HR)
    assert replay.status_code == 409
    assert replay.json()["type"].endswith("/webhook-subscription-inactive")


async def test_ping_and_rotation_sign_with_both_secrets(gw, subscribe, receiver):
    verify = documented_verifier()
    sub = await subscribe(receiver.url, ["honour.awarded"])
    r = await gw.post(f"/points/v1/webhooks/{sub['id']}/ping", headers=HR)
    assert r.status_code == 202, r.text
    [ping] = await receiver.wait_for(r.json()["event_id"])
    assert ping.json["type"] == "webhook.ping" and "积分系统测试" in ping.json["data"]["message"]
    assert verify(sub["secret"], ping.headers, ping.body)

    rotated = (await gw.post(f"/points/v1/webhooks/{sub['id']}/rotate-secret",
                             headers=HR)).json()
    r = await gw.post(f"/points/v1/webhooks/{sub['id']}/ping", headers=HR)
    [after] = await receiver.wait_for(r.json()["event_id"])
    assert after.headers["Jifen-Signature"].count("v1=") == 2
    assert verify(rotated["secret"], after.headers, after.body)
    assert verify(sub["secret"], after.headers, after.body)

    final = (await gw.post(f"/points/v1/webhooks/{sub['id']}/rotate-secret", headers=HR,
                           json={"previous_secret_valid_seconds": 0})).json()
    r = await gw.post(f"/points/v1/webhooks/{sub['id']}/ping", headers=HR)
    [last] = await receiver.wait_for(r.json()["event_id"])
    assert last.headers["Jifen-Signature"].count("v1=") == 1
    assert verify(final["secret"], last.headers, last.body)
    assert not verify(rotated["secret"], last.headers, last.body)


async def test_a_rewards_batch_of_captures_and_fulfilments_is_applied_together(
        gw, subscribe, receiver):
    """rewards_api's relay sends each redemption's capture followed by its fulfilment
    events; interleaved, they are still applied in one go, each exactly once."""
    await subscribe(receiver.url, ["leave.granted"])
    no = (await new_employee(gw))["employee_no"]
    r = await gw.post(f"/points/v1/accounts/{no}/adjustments", headers=HR,
                      json={"points": 100, "category": "participation", "reason": "期初积分"})
    assert r.status_code == 201, r.text
    batch, granted = [], []
    for _ in range(2):
        hold_id = str(uuid.uuid4())
        expires = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        spent = await call_direct(gw, "POST", "/points/v1/internal/spends", caller="rewards",
                                  json={"hold_id": hold_id, "employee_no": no, "points": 30,
                                        "expires_at": expires, "reason": "兑换 带薪假 1 天"})
        assert spent.status_code == 201, spent.text
        granted.append(str(uuid.uuid4()))
        batch += [_from_rewards("hold.capture", {"hold_id": hold_id, "employee_no": no}),
                  _from_rewards("redemption.fulfilled", {"event_id": str(uuid.uuid4())}),
                  _from_rewards("leave.granted", {**LEAVE, "event_id": granted[-1]})]
    receipts = await deliver(gw, *batch)
    assert [r["status"] for r in receipts] == ["applied"] * 6
    assert [r["result"] for r in receipts[::3]] == [
        {"hold_id": e["payload"]["hold_id"], "status": "captured"} for e in batch[::3]]
    # other subscriptions may exist: ours is one of the deliveries of each leave event
    assert all(set(r["result"]) == {"webhook_deliveries"} for r in receipts[1::3])
    assert all(r["result"]["webhook_deliveries"] >= 1 for r in receipts[2::3])
    assert [r["status"] for r in await deliver(gw, *batch)] == ["duplicate"] * 6
    for event_id in granted:
        assert len(await receiver.wait_for(event_id)) == 1
    held = (await gw.get(f"/points/v1/holds/{batch[0]['payload']['hold_id']}", headers=HR))
    assert held.json()["status"] == "captured"


def _from_rewards(event_type: str, payload: dict) -> dict:
    return {"event_id": str(uuid.uuid4()), "event_type": event_type,
            "occurred_at": datetime.now(UTC).isoformat(), "producer": "rewards",
            "payload": payload}
