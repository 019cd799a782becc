"""Placing redemptions: what is refused before anything is reserved, instant
fulfilment, idempotent retries, reading them back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.conftest import auth
from tests.factories import uid
from tests.rewards_api.helpers import (
    HR,
    account,
    get_item,
    give_points,
    problem,
    put_item,
    redeem,
    redemption,
    settled_hold,
    synced_employee,
)


async def test_what_is_refused_before_anything_is_reserved(gw):
    emp = await synced_employee(gw, family="production")
    await give_points(gw, emp["employee_no"], 500)
    now = datetime.now(UTC)
    stocked = await put_item(gw, stock=5, limit={"count": 1, "period": "month"})
    technical = await put_item(gw, stock=5, eligibility={"role_families": ["technical"]})
    veteran = await put_item(gw, stock=5, eligibility={"min_qualifying_points": 1000})
    later = await put_item(gw, stock=5, active_from=(now + timedelta(days=1)).isoformat())
    archived = await put_item(gw, stock=5)
    await gw.post(f"/rewards/v1/items/{archived['code']}/archive", headers=HR)
    voucher = await put_item(gw, kind="voucher", name="超市购物卡 100 元")

    cases = [
        (await redeem(gw, emp, uid("NOPE")), 404, "item-not-found"),
        (await redeem(gw, emp, technical["code"]), 409, "not-eligible"),
        (await redeem(gw, emp, veteran["code"]), 409, "not-eligible"),
        (await redeem(gw, emp, later["code"]), 409, "item-not-available"),
        (await redeem(gw, emp, archived["code"]), 409, "item-not-available"),
        (await redeem(gw, emp, voucher["code"], quantity=2), 409, "quantity-not-allowed"),
        (await redeem(gw, emp, stocked["code"], quantity=2), 409, "limit-reached"),
        (await redeem(gw, emp, stocked["code"], quantity=6), 409, "limit-reached"),
        (await redeem(gw, emp, stocked["code"], employee_no=uid("E")), 403,
         "not-your-redemption"),
        (await redeem(gw, emp, stocked["code"], headers=HR, employee_no=uid("E")), 404,
         "employee-not-found"),
    ]
    for r, status, kind in cases:
        assert (r.status_code, problem(r)) == (status, kind), r.text
    for bad in ({"item_code": stocked["code"], "quantity": 0},
                {"item_code": stocked["code"], "quantity": 10**12},
                {"item_code": "has space"}, {"quantity": 1},
                {"item_code": stocked["code"], "colour": "red"}):
        r = await gw.post("/rewards/v1/redemptions", headers=emp["headers"], json=bad)
        assert r.status_code == 422, (bad, r.text)
    for item in (stocked, technical, veteran, later, archived):
        stock = (await get_item(gw, item["code"]))["stock"]
        assert (stock["remaining"], stock["reserved"]) == (5, 0)
    mine = await gw.get("/rewards/v1/redemptions", headers=emp["headers"])
    assert mine.json()["items"] == []
    assert (await account(gw, emp["employee_no"]))["held"] == 0


async def test_a_request_that_cannot_be_read_is_refused_in_fastapis_order(gw):
    """The route answers with its own handler (shared.routing.lean): the body read
    first (malformed JSON 422, unreadable 400), then the token (401), then the
    document (415, 422 for the key's length), then pydantic, as FastAPI would."""
    emp = await synced_employee(gw, family="production")
    item = await put_item(gw)
    url, ok = "/rewards/v1/redemptions", {"item_code": item["code"]}
    json_type = {"content-type": "application/json"}
    cases = [
        ({}, None, 401, "unauthorized"),
        ({**json_type}, b'{"item_code": ', 422, "validation-error"),  # before the token
        ({**emp["headers"], **json_type}, b"8\xffO>", 400, "http-error"),
        ({**emp["headers"], "content-type": "text/plain"}, b"{}", 415, None),
        ({**emp["headers"], "Idempotency-Key": "k" * 201}, None, 422, None),
        ({**emp["headers"], **json_type}, b"", 422, "validation-error"),
    ]
    for headers, raw, status, kind in cases:
        r = await (gw.post(url, headers=headers, content=raw) if raw is not None
                   else gw.post(url, headers=headers, json=ok))
        assert r.status_code == status, (headers, raw, r.text)
        assert r.headers["content-type"].startswith("application/problem+json"), r.text
        if kind is not None:
            assert problem(r) == kind, r.text
    assert (await gw.get(url, headers=emp["headers"])).json()["items"] == []


async def test_instant_redemption_is_fulfilled_and_spends_the_points(gw):
    emp = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], 100)
    item = await put_item(gw, name="定制保温杯", cost_points=30, stock=3)

    r = await redeem(gw, emp, item["code"])

    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "fulfilled" and body["fulfilled_at"]
    assert (body["points"], body["item_name"], body["employee_name"]) == (30, "定制保温杯", "李娜")
    assert body["requested_by"] == emp["employee_no"]
    await settled_hold(gw, body["id"], "captured")
    acct = await account(gw, emp["employee_no"])
    assert (acct["balance"], acct["held"], acct["qualifying_points"]) == (70, 0, 100)
    stock = (await get_item(gw, item["code"]))["stock"]
    assert (stock["remaining"], stock["reserved"], stock["issued"]) == (2, 0, 1)
    assert (await redemption(gw, body["id"], emp["headers"]))["status"] == "fulfilled"


async def test_an_item_with_stock_and_a_minimum_is_reserved_after_the_balance_check(gw):
    """The statement that claims the key reserves only what surely passes the checks;
    an item with a minimum of qualifying points is reserved by one more statement once
    points_api gave the balance, and refused by the stock there when none is left."""
    emp, other = await synced_employee(gw), await synced_employee(gw)
    for e in (emp, other):
        await give_points(gw, e["employee_no"], 100)
    item = await put_item(gw, cost_points=30, stock=1,
                          eligibility={"min_qualifying_points": 50})

    made = await redeem(gw, emp, item["code"])
    gone = await redeem(gw, other, item["code"])

    assert made.status_code == 201 and made.json()["status"] == "fulfilled", made.text
    assert gone.status_code == 409 and problem(gone) == "out-of-stock", gone.text
    assert gone.json()["detail"] == f"{item['name']}: 0 left, 1 asked for"
    stock = (await get_item(gw, item["code"]))["stock"]
    assert (stock["remaining"], stock["reserved"], stock["issued"]) == (0, 0, 1)
    await settled_hold(gw, made.json()["id"], "captured")
    assert (await account(gw, emp["employee_no"]))["balance"] == 70


async def test_an_item_redeemed_at_once_that_gains_stock_and_a_limit_is_reserved(gw):
    """A service remembers the items it redeemed at once and claims their keys without
    the reservation; once such an item has stock and a limit, its redemptions take
    them all the same, and are refused by them."""
    emp, other = await synced_employee(gw), await synced_employee(gw)
    for e in (emp, other):
        await give_points(gw, e["employee_no"], 100)
    item = await put_item(gw, cost_points=10)
    for _ in range(2):
        assert (await redeem(gw, emp, item["code"])).status_code == 201
    await put_item(gw, item["code"], cost_points=10, stock=2,
                   limit={"count": 1, "period": "year"})

    made = await redeem(gw, emp, item["code"])
    over = await redeem(gw, emp, item["code"])
    second = await redeem(gw, other, item["code"])
    gone = await redeem(gw, other, item["code"])

    assert made.status_code == 201 and made.json()["status"] == "fulfilled", made.text
    assert over.status_code == 409 and problem(over) == "limit-reached", over.text
    assert second.status_code == 201, second.text
    assert gone.status_code == 409 and problem(gone) == "limit-reached", gone.text
    stock = (await get_item(gw, item["code"]))["stock"]
    assert (stock["remaining"], stock["reserved"], stock["issued"]) == (0, 0, 2)
    await settled_hold(gw, made.json()["id"], "captured")
    assert (await account(gw, emp["employee_no"]))["balance"] == 70


async def test_out_of_stock_gives_back_the_limit_it_counted(gw):
    emp, other = await synced_employee(gw), await synced_employee(gw)
    for e in (emp, other):
        await give_points(gw, e["employee_no"], 100)
    item = await put_item(gw, cost_points=10, stock=1, limit={"count": 2, "period": "year"})

    assert (await redeem(gw, emp, item["code"])).status_code == 201
    gone = await redeem(gw, other, item["code"])

    assert gone.status_code == 409 and problem(gone) == "out-of-stock", gone.text
    seen = await gw.get(f"/rewards/v1/items/{item['code']}", headers=other["headers"])
    assert seen.json()["limit_remaining"] == 2
    assert (await account(gw, other["employee_no"]))["balance"] == 100


async def test_hr_redeems_on_an_employees_behalf(gw):
    emp = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], 100)
    item = await put_item(gw, cost_points=40)

    r = await redeem(gw, emp, item["code"], headers=HR, employee_no=emp["employee_no"])

    assert r.status_code == 201, r.text
    assert (r.json()["employee_no"], r.json()["requested_by"]) == (emp["employee_no"], "HR001")
    await settled_hold(gw, r.json()["id"], "captured")
    assert (await account(gw, emp["employee_no"]))["balance"] == 60


async def test_an_idempotent_retry_returns_the_same_redemption(gw):
    emp = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], 100)
    item = await put_item(gw, cost_points=25, stock=10)
    key = str(uuid.uuid4())

    first = await redeem(gw, emp, item["code"], key=key)
    retry = await redeem(gw, emp, item["code"], key=key)
    other_body = await redeem(gw, emp, item["code"], key=key, quantity=2)

    assert first.status_code == retry.status_code == 201, first.text
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers.get("idempotent-replayed") == "true"
    assert other_body.status_code == 422  # the key is bound to the first request
    assert other_body.json()["type"].endswith("/idempotency-key-reused")
    await settled_hold(gw, first.json()["id"], "captured")
    assert (await account(gw, emp["employee_no"]))["balance"] == 75
    assert (await get_item(gw, item["code"]))["stock"]["issued"] == 1
    listed = await gw.get("/rewards/v1/redemptions", headers=emp["headers"])
    assert [x["id"] for x in listed.json()["items"]] == [first.json()["id"]]


async def test_not_enough_points_is_409_and_gives_everything_back(gw):
    emp = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], 20)
    item = await put_item(gw, cost_points=30, stock=2, limit={"count": 1, "period": "year"})

    r = await redeem(gw, emp, item["code"])

    assert r.status_code == 409, r.text
    assert problem(r) == "insufficient-points"
    failed = await redemption(gw, r.json()["redemption_id"], emp["headers"])
    assert (failed["status"], failed["failure_reason"]) == ("failed", "insufficient-points")
    stock = (await get_item(gw, item["code"]))["stock"]
    assert (stock["remaining"], stock["reserved"]) == (2, 0)
    seen = await gw.get(f"/rewards/v1/items/{item['code']}", headers=emp["headers"])
    assert seen.json()["limit_remaining"] == 1
    acct = await account(gw, emp["employee_no"])
    assert (acct["balance"], acct["held"]) == (20, 0)


async def test_a_refusal_is_replayed_for_its_key_and_a_key_is_the_callers(gw):
    emp = await synced_employee(gw)
    other = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], 20)
    await give_points(gw, other["employee_no"], 50)
    item = await put_item(gw, cost_points=30)
    key = str(uuid.uuid4())

    refused = await redeem(gw, emp, item["code"], key=key)
    await give_points(gw, emp["employee_no"], 20)  # enough now, but the key was used
    again = await redeem(gw, emp, item["code"], key=key)
    missing = await redeem(gw, emp, "NO-SUCH-ITEM", key=(gone := str(uuid.uuid4())))
    missing_again = await redeem(gw, emp, "NO-SUCH-ITEM", key=gone)
    # the same key from another caller is another request
    theirs = await redeem(gw, other, item["code"], key=key)

    assert refused.status_code == again.status_code == 409
    assert again.content == refused.content
    assert again.headers.get("idempotent-replayed") == "true"
    assert problem(again) == "insufficient-points"
    assert missing.status_code == missing_again.status_code == 404
    assert missing_again.headers.get("idempotent-replayed") == "true"
    assert theirs.status_code == 201, theirs.text
    assert (await account(gw, emp["employee_no"]))["balance"] == 40


async def test_redemptions_are_visible_to_the_employee_their_manager_and_hr(gw):
    emp = await synced_employee(gw)
    stranger = await synced_employee(gw)
    await give_points(gw, emp["employee_no"], 100)
    item = await put_item(gw, cost_points=10)
    made = (await redeem(gw, emp, item["code"])).json()
    plant_manager = auth(uid("M"), "manager", departments=(emp["org"]["plant"]["code"],))
    other_manager = auth(uid("M"), "manager",
                         departments=(stranger["org"]["department"]["code"],))

    for headers in (emp["headers"], plant_manager, HR, auth("AUD", "auditor")):
        assert (await gw.get(f"/rewards/v1/redemptions/{made['id']}", headers=headers)
                ).status_code == 200
    for headers in (stranger["headers"], other_manager):
        r = await gw.get(f"/rewards/v1/redemptions/{made['id']}", headers=headers)
        assert r.status_code == 404
    managed = await gw.get("/rewards/v1/redemptions", headers=plant_manager)
    assert managed.status_code == 200, managed.text
    assert [x["id"] for x in managed.json()["items"]] == [made["id"]]
    assert (await gw.get("/rewards/v1/redemptions", headers=other_manager)).json()["items"] == []
    by_item = await gw.get("/rewards/v1/redemptions", headers=HR,
                           params={"item_code": item["code"], "status": "fulfilled"})
    assert [x["id"] for x in by_item.json()["items"]] == [made["id"]]
    missing = await gw.get(f"/rewards/v1/redemptions/{uuid.uuid4()}", headers=HR)
    assert missing.status_code == 404
    assert (await gw.get("/rewards/v1/redemptions/not-a-uuid", headers=HR)).status_code == 422
