"""Holds: reserve, capture into a spend entry, release, expire; never overspend."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from tests.conftest import call_direct, service_headers
from tests.points_api.event_factories import HR, account, deliver, new_employee

HOLDS = "/points/v1/internal/holds"
SPENDS = "/points/v1/internal/spends"


async def place(gw, body: dict, **kwargs):
    """POST a hold as rewards_api does: straight to points_api, signed as rewards."""
    return await call_direct(gw, "POST", HOLDS, caller="rewards", json=body, **kwargs)


async def spend(gw, body: dict):
    """POST a spend as rewards_api does."""
    return await call_direct(gw, "POST", SPENDS, caller="rewards", json=body)


def envelope(event_type: str, payload: dict) -> dict:
    return {"event_id": str(uuid.uuid4()), "event_type": event_type,
            "occurred_at": datetime.now(UTC).isoformat(), "producer": "rewards",
            "payload": payload}


async def funded(gw, points: int) -> str:
    no = (await new_employee(gw))["employee_no"]
    r = await gw.post(f"/points/v1/accounts/{no}/adjustments", headers=HR,
                      json={"points": points, "category": "participation", "reason": "期初积分"})
    assert r.status_code == 201, r.text
    return no


async def expired(gw, hold_id: str) -> dict:
    """The hold once the expiry sweep has released it (polled: the sweep runs every
    0.3 s in the tests, and a loaded machine may take a few seconds)."""
    for _ in range(100):
        got = (await gw.get(f"/points/v1/holds/{hold_id}", headers=HR)).json()
        if got["status"] == "expired":
            return got
        await asyncio.sleep(0.1)
    raise AssertionError(f"hold {hold_id} is still {got['status']}")


def hold(no: str, points: int, *, seconds: float = 3600, hold_id: uuid.UUID | None = None) -> dict:
    return {"hold_id": str(hold_id or uuid.uuid4()), "employee_no": no, "points": points,
            "expires_at": (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(),
            "reason": "兑换 带薪假 1 天"}


async def test_hold_reduces_spendable_and_is_idempotent(gw):
    no = await funded(gw, 100)
    body = hold(no, 30)
    r = await place(gw, body)
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["spendable_after"]) == ("active", 70)
    again = await place(gw, body)
    assert again.status_code == 200 and again.json()["hold_id"] == body["hold_id"]
    acct = await account(gw, no)
    assert (acct["balance"], acct["held"], acct["spendable"]) == (100, 30, 70)
    clash = await place(gw, {**body, "points": 31})
    assert clash.status_code == 409 and clash.json()["type"].endswith("/hold-mismatch")


async def test_hold_larger_than_spendable_is_refused(gw):
    no = await funded(gw, 20)
    r = await place(gw, hold(no, 21))
    assert r.status_code == 409
    assert r.json()["type"].endswith("/insufficient-points")
    assert (r.json()["spendable"], r.json()["required"]) == (20, 21)


async def test_capture_spends_without_touching_qualifying(gw):
    no = await funded(gw, 100)
    body = hold(no, 40)
    await place(gw, body)
    action = {"hold_id": body["hold_id"], "employee_no": no}
    receipts = await deliver(gw, envelope("hold.capture", action), envelope("hold.capture", action))
    assert [r["status"] for r in receipts] == ["applied", "applied"]
    assert receipts[0]["result"]["status"] == "captured"
    acct = await account(gw, no)
    assert (acct["balance"], acct["held"], acct["qualifying_points"]) == (60, 0, 100)
    got = (await gw.get(f"/points/v1/holds/{body['hold_id']}", headers=HR)).json()
    assert got["status"] == "captured" and got["spend_entry_id"]
    entry = (await gw.get(f"/points/v1/entries/{got['spend_entry_id']}", headers=HR)).json()
    assert (entry["kind"], entry["points"], entry["reason"]) == ("spend", -40, "兑换 带薪假 1 天")
    # a captured hold cannot be released
    late = await deliver(gw, envelope("hold.release", action))
    assert late[0]["status"] == "failed" and late[0]["permanent"]


async def test_release_gives_points_back_and_blocks_capture(gw):
    no = await funded(gw, 50)
    body = hold(no, 50)
    await place(gw, body)
    action = {"hold_id": body["hold_id"], "employee_no": no}
    assert (await deliver(gw, envelope("hold.release", action)))[0]["status"] == "applied"
    acct = await account(gw, no)
    assert (acct["balance"], acct["held"]) == (50, 0)
    capture = await deliver(gw, envelope("hold.capture", action))
    assert capture[0]["status"] == "failed" and capture[0]["permanent"]


async def test_expired_hold_releases_itself(gw):
    no = await funded(gw, 30)
    body = hold(no, 30, seconds=1)
    await place(gw, body)
    await expired(gw, body["hold_id"])
    assert (await account(gw, no))["spendable"] == 30
    capture = await deliver(gw, envelope("hold.capture", {"hold_id": body["hold_id"],
                                                          "employee_no": no}))
    assert capture[0]["permanent"]


async def test_fifty_concurrent_holds_never_overspend(gw):
    no = await funded(gw, 100)
    results = await asyncio.gather(*[place(gw, hold(no, 10)) for _ in range(50)])
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 10 and codes.count(409) == 40
    acct = await account(gw, no)
    assert (acct["held"], acct["spendable"]) == (100, 0)


async def test_only_rewards_api_places_holds_and_never_through_the_gateway(gw):
    no = await funded(gw, 10)
    for path in (HOLDS, "/points/v1/holds"):  # the public path never places holds
        r = await gw.post(path, headers=HR, json=hold(no, 5))
        assert r.status_code in (404, 405) and r.json()["status"] == r.status_code
    assert (await call_direct(gw, "POST", HOLDS, headers=HR, json=hold(no, 5))).status_code == 401
    r = await call_direct(gw, "POST", HOLDS, caller="training", json=hold(no, 5))
    assert r.status_code == 403 and "rewards" in r.json()["detail"]
    r = await call_direct(gw, "POST", HOLDS, headers=service_headers("rewards", "training"),
                          json=hold(no, 5))  # signed for another service
    assert r.status_code == 401
    assert (await account(gw, no))["held"] == 0


# -- spends: hold and capture at once, confirmed by the redemption's capture -------------


async def test_a_spend_takes_the_points_at_once_and_its_capture_confirms_it(gw):
    no = await funded(gw, 100)
    body = hold(no, 40)
    r = await spend(gw, body)
    assert r.status_code == 201, r.text
    spent = r.json()
    assert (spent["status"], spent["spendable_after"]) == ("spent", 60)
    acct = await account(gw, no)
    assert (acct["balance"], acct["held"], acct["qualifying_points"]) == (60, 0, 100)
    entry = (await gw.get(f"/points/v1/entries/{spent['spend_entry_id']}", headers=HR)).json()
    assert (entry["kind"], entry["points"], entry["reason"]) == ("spend", -40, "兑换 带薪假 1 天")

    again = await spend(gw, body)
    assert again.status_code == 200 and again.json()["spend_entry_id"] == spent["spend_entry_id"]
    clash = await spend(gw, {**body, "points": 41})
    assert clash.status_code == 409 and clash.json()["type"].endswith("/hold-mismatch")
    # a hold of the same id is the same redemption: answered, never made twice
    assert (await place(gw, body)).status_code == 200

    action = {"hold_id": body["hold_id"], "employee_no": no}
    receipts = await deliver(gw, envelope("hold.capture", action), envelope("hold.capture", action))
    assert [r["status"] for r in receipts] == ["applied", "applied"]
    assert [r["result"]["status"] for r in receipts] == ["captured", "captured"]
    got = (await gw.get(f"/points/v1/holds/{body['hold_id']}", headers=HR)).json()
    assert (got["status"], got["spend_entry_id"]) == ("captured", spent["spend_entry_id"])
    assert (await account(gw, no))["balance"] == 60
    late = await deliver(gw, envelope("hold.release", action))
    assert late[0]["status"] == "failed" and late[0]["permanent"]


async def test_a_spend_larger_than_spendable_is_refused_and_leaves_nothing(gw):
    no = await funded(gw, 20)
    await place(gw, hold(no, 5))
    body = hold(no, 16)
    r = await spend(gw, body)
    assert r.status_code == 409 and r.json()["type"].endswith("/insufficient-points")
    assert (r.json()["spendable"], r.json()["required"]) == (15, 16)
    assert (await gw.get(f"/points/v1/holds/{body['hold_id']}", headers=HR)).status_code == 404
    unknown = await spend(gw, hold("NOBODY-X", 1))
    assert unknown.status_code == 409 and unknown.json()["spendable"] == 0
    past = await spend(gw, hold(no, 1, seconds=-5))
    assert past.status_code == 422


async def test_a_spend_checks_its_caller_and_its_body(gw):
    no = await funded(gw, 20)
    assert (await call_direct(gw, "POST", SPENDS, headers=HR, json=hold(no, 5))).status_code == 401
    r = await call_direct(gw, "POST", SPENDS, caller="training", json=hold(no, 5))
    assert r.status_code == 403 and "rewards" in r.json()["detail"]
    for bad, field in (({**hold(no, 5), "points": "five"}, "points"),
                       ({**hold(no, 5), "hold_id": "not-a-uuid"}, "hold_id"),
                       ({k: v for k, v in hold(no, 5).items() if k != "employee_no"},
                        "employee_no")):
        r = await spend(gw, bad)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [e["pointer"] for e in r.json()["errors"]] == [f"#/{field}"], r.text
    for raw in (b"{", b"[]", b""):
        r = await call_direct(gw, "POST", SPENDS, caller="rewards", content=raw,
                              headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["status"] == 422, r.text
    assert (await account(gw, no))["balance"] == 20


async def test_a_released_spend_gives_the_points_back(gw):
    no = await funded(gw, 50)
    body = hold(no, 50)
    spent = (await spend(gw, body)).json()
    action = {"hold_id": body["hold_id"], "employee_no": no}
    assert (await deliver(gw, envelope("hold.release", action)))[0]["status"] == "applied"
    acct = await account(gw, no)
    assert (acct["balance"], acct["held"], acct["qualifying_points"]) == (50, 0, 50)
    got = (await gw.get(f"/points/v1/holds/{body['hold_id']}", headers=HR)).json()
    assert got["status"] == "released"
    entries = (await gw.get(f"/points/v1/accounts/{no}/entries", headers=HR)).json()["items"]
    back = entries[0]
    assert (back["kind"], back["points"], back["reverses_entry_id"]) == (
        "reverse", 50, spent["spend_entry_id"])
    capture = await deliver(gw, envelope("hold.capture", action))
    assert capture[0]["status"] == "failed" and capture[0]["permanent"]


async def test_a_spend_never_confirmed_expires_and_gives_the_points_back(gw):
    no = await funded(gw, 30)
    body = hold(no, 30, seconds=1)
    await spend(gw, body)
    await expired(gw, body["hold_id"])
    assert (await account(gw, no))["balance"] == 30


async def test_fifty_concurrent_spends_never_overspend(gw):
    no = await funded(gw, 100)
    results = await asyncio.gather(*[spend(gw, hold(no, 10)) for _ in range(50)])
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 10 and codes.count(409) == 40
    acct = await account(gw, no)
    assert (acct["balance"], acct["held"]) == (0, 0)
    r = await call_direct(gw, "POST", SPENDS, caller="training", json=hold(no, 5))
    assert r.status_code == 403 and "rewards" in r.json()["detail"]
    r = await gw.post(SPENDS, headers=HR, json=hold(no, 5))  # never through the gateway
    assert r.status_code == 404
