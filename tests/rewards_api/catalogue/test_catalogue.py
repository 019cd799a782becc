"""The catalogue: HR maintains items; employees see what they may redeem, with
their spendable balance beside each cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests.conftest import auth
from tests.factories import create_department, uid
from tests.rewards_api.helpers import (
    HR,
    get_item,
    give_points,
    item_body,
    put_item,
    synced_employee,
)


async def browse(gw, headers, **params) -> dict[str, dict]:
    """Every item of the caller's catalogue, across pages, by code."""
    found: dict[str, dict] = {}
    cursor = None
    while True:
        query = {"limit": 500, **params, **({"cursor": cursor} if cursor else {})}
        r = await gw.get("/rewards/v1/items", headers=headers, params=query)
        assert r.status_code == 200, r.text
        page = r.json()
        found.update({i["code"]: i for i in page["items"]})
        cursor = page["next_cursor"]
        if cursor is None:
            return found


async def test_hr_creates_and_updates_an_item_idempotently(gw):
    code = uid("LEAVE")
    body = item_body(name="带薪假 1 天", kind="paid_leave", leave_days="1", cost_points=200,
                     stock=30, limit={"count": 2, "period": "quarter"},
                     requires_approval=True, description="年度额外带薪假，需主管审批")

    created = await gw.put(f"/rewards/v1/items/{code}", headers=HR, json=body)
    again = await gw.put(f"/rewards/v1/items/{code}", headers=HR, json=body)

    assert (created.status_code, again.status_code) == (201, 200), created.text
    item = again.json()
    assert item["name"] == "带薪假 1 天"
    assert item["description"] == "年度额外带薪假，需主管审批"
    assert Decimal(item["leave_days"]) == 1
    assert item["stock"] == {"total": 30, "remaining": 30, "reserved": 0, "issued": 0}
    assert item["limit"] == {"count": 2, "period": "quarter"}
    assert item["requires_approval"] is True and item["available"] is True
    assert item["updated_by"] == "HR001"

    changed = await gw.put(f"/rewards/v1/items/{code}", headers=HR,
                           json={**body, "cost_points": 180, "stock": None})
    assert changed.status_code == 200
    assert changed.json()["cost_points"] == 180
    assert changed.json()["stock"]["total"] is None  # unlimited now
    assert (await get_item(gw, code))["cost_points"] == 180


async def test_subsidy_amounts_are_exact_decimals(gw):
    item = await put_item(gw, name="技能认证补贴", kind="subsidy", subsidy_amount="1234.56",
                          cost_points=500)
    assert Decimal(item["subsidy_amount"]) == Decimal("1234.56")


async def test_invalid_items_are_refused_with_the_field_named(gw):
    code = uid("BAD")
    cases = [
        item_body(kind="paid_leave"),                                  # no leave_days
        item_body(kind="gift", subsidy_amount="10"),                   # amount on a gift
        item_body(kind="subsidy", subsidy_amount="0.001"),             # beyond cents
        item_body(kind="voucher", stock=10),                           # vouchers: pool stock
        item_body(cost_points=0),
        item_body(cost_points=10**20),
        item_body(stock=-1),
        item_body(kind="lottery"),
        item_body(limit={"count": 1, "period": "week"}),
        item_body(active_from="2026-06-01T00:00:00"),                  # no offset
        item_body(active_from="0001-01-01T00:00:00+08:00"),            # before year 0 in UTC
        item_body(name="保温杯\x00"),
        item_body(name="   "),
        item_body(colour="red"),
        item_body(eligibility={"role_families": ["astronaut"]}),
        item_body(eligibility={"department_codes": ["no spaces allowed"]}),
    ]
    for body in cases:
        r = await gw.put(f"/rewards/v1/items/{code}", headers=HR, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"], r.text
    reversed_window = await gw.put(f"/rewards/v1/items/{code}", headers=HR, json=item_body(
        active_from="2026-06-01T00:00:00+08:00", active_until="2026-05-01T00:00:00+08:00"))
    assert reversed_window.status_code == 409  # well-formed, but never redeemable
    assert reversed_window.json()["type"].endswith("/empty-active-window")
    bad_code = await gw.put("/rewards/v1/items/has%20space", headers=HR, json=item_body())
    assert bad_code.status_code == 422
    assert (await gw.get(f"/rewards/v1/items/{code}", headers=HR)).status_code == 404


async def test_only_hr_manages_the_catalogue(gw):
    item = await put_item(gw)
    employee = auth(uid("E"), "employee")
    manager = auth(uid("M"), "manager", departments=("D1",))

    for headers in (employee, manager, auth("AUD1", "auditor")):
        put = await gw.put(f"/rewards/v1/items/{item['code']}", headers=headers,
                           json=item_body())
        archive = await gw.post(f"/rewards/v1/items/{item['code']}/archive", headers=headers)
        assert (put.status_code, archive.status_code) == (403, 403)
    assert (await gw.put(f"/rewards/v1/items/{item['code']}", json=item_body())
            ).status_code == 401


async def test_archived_items_leave_the_employees_catalogue(gw):
    emp = await synced_employee(gw)
    item = await put_item(gw, name="体检套餐", kind="health_check", cost_points=300)
    assert item["code"] in await browse(gw, emp["headers"])

    archived = await gw.post(f"/rewards/v1/items/{item['code']}/archive", headers=HR)
    twice = await gw.post(f"/rewards/v1/items/{item['code']}/archive", headers=HR)

    assert archived.status_code == twice.status_code == 200
    assert archived.json()["archived"] is True and archived.json()["available"] is False
    assert twice.json()["archived_at"] == archived.json()["archived_at"]
    assert item["code"] not in await browse(gw, emp["headers"])
    hidden = await gw.get(f"/rewards/v1/items/{item['code']}", headers=emp["headers"])
    assert hidden.status_code == 404
    assert item["code"] in await browse(gw, HR, archived="true", kind="health_check")
    assert item["code"] not in await browse(gw, HR, archived="false", kind="health_check")

    await gw.post(f"/rewards/v1/items/{item['code']}/unarchive", headers=HR)
    assert item["code"] in await browse(gw, emp["headers"])


async def test_employees_see_only_what_they_may_redeem_with_affordability(gw):
    emp = await synced_employee(gw, family="production")
    await give_points(gw, emp["employee_no"], 50)
    plant = emp["org"]["plant"]["code"]
    elsewhere = (await create_department(gw, name="总装车间"))["code"]
    now = datetime.now(UTC)
    items = {
        "cheap": await put_item(gw, name="定制保温杯", cost_points=30),
        "dear": await put_item(gw, name="蓝牙耳机", cost_points=80),
        "technical_only": await put_item(gw, eligibility={"role_families": ["technical"]}),
        "production": await put_item(gw, eligibility={"role_families": ["production",
                                                                         "quality"]}),
        "plant": await put_item(gw, eligibility={"department_codes": [plant]}),
        "elsewhere": await put_item(gw, eligibility={"department_codes": [elsewhere]}),
        "needs_100": await put_item(gw, eligibility={"min_qualifying_points": 100}),
        "needs_50": await put_item(gw, eligibility={"min_qualifying_points": 50}),
        "not_yet": await put_item(gw, active_from=(now + timedelta(days=3)).isoformat()),
        "over": await put_item(gw, active_from=(now - timedelta(days=30)).isoformat(),
                               active_until=(now - timedelta(days=1)).isoformat()),
        "sold_out": await put_item(gw, stock=0),
        "limited": await put_item(gw, limit={"count": 2, "period": "month"}),
    }

    seen = await browse(gw, emp["headers"])

    visible = {name for name, item in items.items() if item["code"] in seen}
    assert visible == {"cheap", "dear", "production", "plant", "needs_50", "sold_out",
                       "limited"}
    cheap, dear = seen[items["cheap"]["code"]], seen[items["dear"]["code"]]
    assert (cheap["spendable_points"], cheap["affordable"]) == (50, True)
    assert (dear["spendable_points"], dear["affordable"]) == (50, False)
    assert seen[items["sold_out"]["code"]]["available"] is False
    assert seen[items["limited"]["code"]]["limit_remaining"] == 2
    assert cheap["limit_remaining"] is None

    one = await gw.get(f"/rewards/v1/items/{items['dear']['code']}", headers=emp["headers"])
    assert one.status_code == 200 and one.json()["affordable"] is False
    for name in ("technical_only", "elsewhere", "needs_100", "not_yet"):
        r = await gw.get(f"/rewards/v1/items/{items[name]['code']}", headers=emp["headers"])
        assert r.status_code == 404, name


async def test_hr_browses_everything_or_as_an_employee(gw):
    emp = await synced_employee(gw, family="production")
    technical = await put_item(gw, eligibility={"role_families": ["technical"]})

    everything = await browse(gw, HR)
    as_employee = await browse(gw, HR, employee_no=emp["employee_no"])
    other = await gw.get("/rewards/v1/items", headers=emp["headers"],
                         params={"employee_no": uid("E")})

    assert technical["code"] in everything
    assert everything[technical["code"]]["affordable"] is None
    assert technical["code"] not in as_employee
    assert all(i["spendable_points"] == 0 for i in as_employee.values())
    assert other.status_code == 403
    unknown = await gw.get("/rewards/v1/items", headers=auth(uid("E"), "employee"))
    assert unknown.status_code == 404
    assert unknown.json()["type"].endswith("/employee-not-found")


async def test_hr_list_pages_and_filters(gw):
    made = [await put_item(gw, code=f"PG{uid()}", kind="gift") for _ in range(3)]
    r = await gw.get("/rewards/v1/items", headers=HR, params={"limit": 2, "kind": "gift"})
    page = r.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    assert all(i["kind"] == "gift" for i in page["items"])
    nxt = await gw.get("/rewards/v1/items", headers=HR,
                       params={"limit": 2, "kind": "gift", "cursor": page["next_cursor"]})
    assert nxt.json()["items"][0]["code"] > page["items"][-1]["code"]
    assert made  # the filter found gifts made here among others

    bad = await gw.get("/rewards/v1/items", headers=HR, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 404
    assert bad.json()["type"].endswith("/invalid-cursor")
    unknown_kind = await gw.get("/rewards/v1/items", headers=HR, params={"kind": "lottery"})
    assert unknown_kind.status_code == 422


async def test_the_catalogue_answers_by_who_the_token_names_not_by_role(gw):
    """A catalogue is an employee's: employee, manager and assessor alike see their own
    when their token names an employee the mall knows, and 404 employee-not-found when
    it names nobody it knows; HR, auditors and integrations see every item."""
    emp = await synced_employee(gw, family="production")
    await give_points(gw, emp["employee_no"], 20)
    item = await put_item(gw, cost_points=10)
    no, stranger = emp["employee_no"], uid("A")
    for role in ("employee", "manager", "assessor"):
        mine = await browse(gw, auth(no, role, departments=(emp["department_code"],)))
        assert mine[item["code"]]["spendable_points"] == 20, role
        one = await gw.get(f"/rewards/v1/items/{item['code']}", headers=auth(no, role))
        assert (one.status_code, one.json()["affordable"]) == (200, True), role
        for path in ("/rewards/v1/items", f"/rewards/v1/items/{item['code']}"):
            r = await gw.get(path, headers=auth(stranger, role))
            assert r.status_code == 404, (role, path, r.text)
            problem = r.json()
            assert problem["type"].endswith("/employee-not-found"), role
            assert "whatever the role" in problem["detail"]
    for role in ("hr_admin", "auditor", "integration"):
        everything = await browse(gw, auth(stranger, role))
        assert everything[item["code"]]["spendable_points"] is None, role
