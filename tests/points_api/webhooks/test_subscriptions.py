"""Webhook subscriptions: create (secret shown once), read, change, rotate,
delete; validation and roles."""

import uuid

import pytest

from tests.conftest import auth
from tests.points_api.event_factories import HR

WEBHOOKS = "/points/v1/webhooks"
# an address in the range the test stack allows, where nothing listens
URL = "https://127.77.0.9:9/hooks/jifen"
ON_PREMISE = "http://127.77.0.10:9000/in"


async def test_secret_is_shown_once_and_reads_show_a_hint(gw, subscribe):
    created = await subscribe(URL, ["certification.granted", "leave.granted"],
                              description="薪资系统")
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    assert created["secret_hint"] == f"whsec_…{secret[-4:]}"
    assert (created["active"], created["created_by"]) == (True, "HR001")
    one = await gw.get(f"{WEBHOOKS}/{created['id']}", headers=HR)
    assert one.status_code == 200
    assert "secret" not in one.json() and secret not in one.text
    assert one.json()["secret_hint"] == created["secret_hint"]
    assert one.json()["description"] == "薪资系统"
    listed = await gw.get(WEBHOOKS, headers=HR, params={"event_type": "leave.granted",
                                                        "limit": 500})
    assert created["id"] in [s["id"] for s in listed.json()["items"]]
    assert secret not in listed.text


async def test_patch_put_and_delete_keep_history(gw, subscribe):
    sub = await subscribe(URL, ["leave.granted"])
    path = f"{WEBHOOKS}/{sub['id']}"
    r = await gw.patch(path, headers=HR, json={"event_types": ["*"], "active": False})
    assert r.status_code == 200, r.text
    assert (r.json()["event_types"], r.json()["active"], r.json()["url"]) == (["*"], False, URL)
    assert r.json()["updated_by"] == "HR001"
    r = await gw.put(path, headers=HR, json={"url": ON_PREMISE,
                                             "event_types": ["subsidy.granted"]})
    assert r.status_code == 200, r.text
    assert (r.json()["url"], r.json()["event_types"], r.json()["active"],
            r.json()["description"]) == (ON_PREMISE,
                                         ["subsidy.granted"], True, None)
    assert r.json()["secret_hint"] == sub["secret_hint"]

    deleted = await gw.delete(path, headers=HR)
    assert deleted.status_code == 200
    assert deleted.json()["active"] is False and deleted.json()["deleted_at"]
    again = await gw.delete(path, headers=HR)
    assert again.json()["deleted_at"] == deleted.json()["deleted_at"]
    gone = await gw.get(path, headers=HR)  # deleted: gone from reads of the one
    assert gone.status_code == 404
    assert gone.json()["type"].endswith("/webhook-subscription-not-found")
    change = await gw.patch(path, headers=HR, json={"active": True})
    assert change.status_code == 409
    assert change.json()["type"].endswith("/webhook-subscription-deleted")
    live = await gw.get(WEBHOOKS, headers=HR, params={"limit": 500})
    assert sub["id"] not in [s["id"] for s in live.json()["items"]]
    everything = await gw.get(WEBHOOKS, headers=HR, params={"limit": 500,
                                                            "include_deleted": "true"})
    assert sub["id"] in [s["id"] for s in everything.json()["items"]]


async def test_rotation_issues_a_new_secret_and_keeps_the_old_one_for_a_while(gw, subscribe):
    sub = await subscribe(URL, ["*"])
    path = f"{WEBHOOKS}/{sub['id']}/rotate-secret"
    r = await gw.post(path, headers=HR)
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["secret"] != sub["secret"] and rotated["secret"].startswith("whsec_")
    assert rotated["secret_hint"] == f"whsec_…{rotated['secret'][-4:]}"
    assert rotated["previous_secret_expires_at"] and rotated["secret_rotated_at"]
    r = await gw.post(path, headers=HR, json={"previous_secret_valid_seconds": 0})
    assert r.status_code == 200 and r.json()["previous_secret_expires_at"] is None
    got = await gw.get(f"{WEBHOOKS}/{sub['id']}", headers=HR)
    assert r.json()["secret"] not in got.text


@pytest.mark.parametrize("url", [
    "ftp://files.example.com/in", "payroll.example.com/hooks", "https://", "http:///path",
    "https://user:pass@payroll.example.com/hooks", "https://token@payroll.example.com/",
    "https://payroll.example.com/hooks#frag", "https://payroll.example.com:99999/",
    "https://payroll.example.com/a b", "javascript:alert(1)", "",
])
async def test_bad_urls_are_refused(gw, url):
    r = await gw.post(WEBHOOKS, headers=HR, json={"url": url, "event_types": ["*"]})
    assert r.status_code == 422, r.text
    assert r.json()["type"].endswith("/validation-error")
    assert {e["pointer"] for e in r.json()["errors"]} == {"#/url"}


@pytest.mark.parametrize("event_types", [["points.awardd"], [], ["*", "nope"], [1]])
async def test_unknown_or_missing_event_types_are_refused(gw, event_types):
    r = await gw.post(WEBHOOKS, headers=HR, json={"url": URL, "event_types": event_types})
    assert r.status_code == 422, r.text
    assert all(e["pointer"].startswith("#/event_types") for e in r.json()["errors"])


async def test_patch_validates_like_create(gw, subscribe):
    sub = await subscribe(URL, ["*"])
    path = f"{WEBHOOKS}/{sub['id']}"
    for body in ({"url": None}, {"url": "https://u:p@h.example.com/"},
                 {"event_types": ["honour.won"]}, {"secret": "mine"}):
        r = await gw.patch(path, headers=HR, json=body)
        assert r.status_code == 422, (body, r.text)


async def test_roles(gw, subscribe):
    sub = await subscribe(URL, ["*"])
    integration = auth("payroll-sync", "integration")
    r = await gw.post(WEBHOOKS, headers=integration, json={"url": URL, "event_types": ["*"]})
    assert r.status_code == 201 and r.json()["created_by"] == "payroll-sync"
    await gw.delete(f"{WEBHOOKS}/{r.json()['id']}", headers=integration)
    auditor = auth("AUD1", "auditor")
    assert (await gw.get(f"{WEBHOOKS}/{sub['id']}", headers=auditor)).status_code == 200
    assert (await gw.get("/points/v1/webhook-event-types", headers=auditor)).status_code == 200
    denied = [
        await gw.post(WEBHOOKS, headers=auditor, json={"url": URL, "event_types": ["*"]}),
        await gw.patch(f"{WEBHOOKS}/{sub['id']}", headers=auditor, json={"active": False}),
        await gw.get(WEBHOOKS, headers=auth("E1001", "employee")),
        await gw.get(f"{WEBHOOKS}/{sub['id']}", headers=auth("M1", "manager")),
    ]
    assert [r.status_code for r in denied] == [403, 403, 403, 403]
    assert (await gw.get(WEBHOOKS)).status_code == 401


async def test_unknown_ids_answer_404_problems(gw):
    missing = uuid.uuid4()
    for r in (await gw.get(f"{WEBHOOKS}/{missing}", headers=HR),
              await gw.patch(f"{WEBHOOKS}/{missing}", headers=HR, json={"active": False}),
              await gw.get(f"{WEBHOOKS}/{missing}/deliveries", headers=HR)):
        assert r.status_code == 404
        assert r.json()["type"].endswith("/webhook-subscription-not-found")
    r = await gw.get("/points/v1/webhook-deliveries/999999999", headers=HR)
    assert r.status_code == 404 and r.json()["type"].endswith("/webhook-delivery-not-found")
    r = await gw.post("/points/v1/webhook-deliveries/999999999/replay", headers=HR)
    assert r.status_code == 404


async def test_event_type_catalogue(gw):
    r = await gw.get("/points/v1/webhook-event-types", headers=HR)
    types = {t["type"]: t["source"] for t in r.json()}
    assert types["certification.granted"] == "points"
    assert types["leave.granted"] == "rewards"
    assert {"points.awarded", "eligibility.reached", "honour.awarded", "certification.revoked",
            "subsidy.granted", "voucher.issued", "redemption.fulfilled"} <= set(types)


async def test_lists_page_with_cursors(gw, subscribe):
    mine = {(await subscribe(f"{URL}/{i}", ["honour.awarded"]))["id"] for i in range(3)}
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "event_type": "honour.awarded"}
        if cursor:
            params["cursor"] = cursor
        page = (await gw.get(WEBHOOKS, headers=HR, params=params)).json()
        seen += [s["id"] for s in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert mine <= set(seen) and len(seen) == len(set(seen))
    for bad in ("nope", "WyJ4IiwieSJd"):  # not base64 JSON; ["x","y"]
        r = await gw.get(WEBHOOKS, headers=HR, params={"cursor": bad})
        assert r.status_code == 404 and r.json()["type"].endswith("/invalid-cursor")
