"""Voucher code pools: imported by HR, each code given to one redemption ever,
shown only to the employee who received it."""

from __future__ import annotations

import asyncio

from tests.conftest import auth
from tests.factories import uid
from tests.rewards_api.helpers import (
    HR,
    get_item,
    give_points,
    put_item,
    redeem,
    synced_employee,
)


async def voucher_item(gw, **fields) -> dict:
    return await put_item(gw, name="超市购物卡 100 元", kind="voucher", cost_points=100,
                          **fields)


async def import_json(gw, code: str, codes: list[str], headers=None):
    return await gw.post(f"/rewards/v1/items/{code}/vouchers", headers=headers or HR,
                         json={"codes": codes})


async def test_json_import_adds_codes_to_stock_and_reports_duplicates(gw):
    item = await voucher_item(gw)
    assert item["stock"]["total"] == 0 and item["available"] is False
    prefix = uid("C")

    first = await import_json(gw, item["code"], [f"{prefix}-1", f"{prefix}-2", f"{prefix}-1"])
    second = await gw.post(f"/rewards/v1/items/{item['code']}/vouchers", headers=HR,
                           json=[f"{prefix}-2", f"{prefix}-3"])  # a bare list does as well

    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["received"], report["added"]) == (3, 2)
    assert report["duplicates"] == [{"code": f"{prefix}-1", "line": 3,
                                     "reason": "repeated_in_upload"}]
    assert report["pool"] == {"total": 2, "available": 2, "assigned": 0}
    again = second.json()
    assert again["added"] == 1
    assert again["duplicates"] == [{"code": f"{prefix}-2", "line": 1,
                                    "reason": "already_in_pool"}]
    stock = (await get_item(gw, item["code"]))["stock"]
    assert (stock["total"], stock["remaining"]) == (3, 3)


async def test_csv_import_in_gbk_with_a_header_and_bad_lines(gw):
    item = await voucher_item(gw)
    prefix = uid("G")
    text = f"券码\r\n{prefix}-甲\r\n\r\n{prefix}-乙,备注\r\n{'X' * 201}\r\n{prefix}-甲\r\n"

    r = await gw.post(f"/rewards/v1/items/{item['code']}/voucher-files", headers=HR,
                      files={"file": ("codes.csv", text.encode("gbk"), "text/csv")})

    assert r.status_code == 200, r.text
    report = r.json()
    assert report["added"] == 2
    assert report["rejected"] == [{"line": 5, "detail": "longer than 200 characters"}]
    assert report["duplicates"] == [{"code": f"{prefix}-甲", "line": 6,
                                     "reason": "repeated_in_upload"}]

    # a text part (what a generated client sends) does as well as a file part
    plain = await gw.post(f"/rewards/v1/items/{item['code']}/voucher-files", headers=HR,
                          files={"file": (None, f"\ufeff{prefix}-丙\n{prefix}-乙\n\x00\n")})
    assert plain.status_code == 200, plain.text
    assert plain.json()["added"] == 1
    assert plain.json()["pool"]["total"] == 3
    assert [r["line"] for r in plain.json()["rejected"]] == [3]


async def test_import_is_refused_for_the_wrong_item_caller_or_body(gw):
    gift = await put_item(gw)
    item = await voucher_item(gw)

    not_voucher = await import_json(gw, gift["code"], ["A-1"])
    unknown = await import_json(gw, uid("NOPE"), ["A-1"])
    employee = await import_json(gw, item["code"], ["A-1"], headers=auth(uid("E"), "employee"))
    empty = await import_json(gw, item["code"], [])
    control = await import_json(gw, item["code"], ["A\x00B"])
    xml = await gw.post(f"/rewards/v1/items/{item['code']}/vouchers",
                        headers={**HR, "Content-Type": "application/xml"}, content=b"<codes/>")
    csv_as_json = await gw.post(f"/rewards/v1/items/{item['code']}/vouchers", headers=HR,
                                files={"file": ("x.csv", b"A-1", "text/csv")})
    no_file = await gw.post(f"/rewards/v1/items/{item['code']}/voucher-files", headers=HR,
                            files={"other": ("x.csv", b"A-1", "text/csv")})
    not_text = await gw.post(f"/rewards/v1/items/{item['code']}/voucher-files", headers=HR,
                             files={"file": ("x.csv", b"\xff\xfe\x00\x81", "text/csv")})

    assert not_voucher.status_code == 409
    assert not_voucher.json()["type"].endswith("/not-a-voucher-item")
    assert unknown.status_code == 404
    assert employee.status_code == 403
    assert empty.status_code == control.status_code == no_file.status_code == 422
    assert control.json()["errors"][0]["pointer"] == "#/codes/0"
    assert xml.status_code == csv_as_json.status_code == 415
    assert xml.json()["type"].endswith("/unsupported-media-type")
    assert not_text.status_code == 200, not_text.text  # nothing read, line 0 says why
    assert [r["line"] for r in not_text.json()["rejected"]] == [0]
    assert not_text.json()["added"] == 0
    assert (await get_item(gw, item["code"]))["stock"]["total"] == 0


async def test_a_code_is_never_given_twice_under_concurrency(gw):
    item = await voucher_item(gw, limit=None)
    codes = [f"{uid('V')}-{i}" for i in range(10)]
    await import_json(gw, item["code"], codes)
    employees = [await synced_employee(gw) for _ in range(5)]
    for emp in employees:
        await give_points(gw, emp["employee_no"], 1000)

    answers = await asyncio.gather(*[redeem(gw, employees[i % 5], item["code"])
                                     for i in range(25)])

    fulfilled = [r.json() for r in answers if r.status_code == 201]
    assert len(fulfilled) == 10, [r.text for r in answers][:3]
    assert all(r.json()["type"].endswith("/out-of-stock")
               for r in answers if r.status_code != 201)
    given = [f["voucher_code"] for f in fulfilled]
    assert sorted(given) == sorted(codes)  # every code once, none twice
    assert all(f["status"] == "fulfilled" for f in fulfilled)
    stock = (await get_item(gw, item["code"]))["stock"]
    assert (stock["remaining"], stock["issued"], stock["reserved"]) == (0, 10, 0)

    # the code is the employee's alone
    mine = fulfilled[0]
    as_hr = await gw.get(f"/rewards/v1/redemptions/{mine['id']}", headers=HR)
    as_owner = await gw.get(f"/rewards/v1/redemptions/{mine['id']}",
                            headers=auth(mine["employee_no"], "employee"))
    assert as_hr.json()["voucher_code"] is None
    assert as_owner.json()["voucher_code"] == mine["voucher_code"]
    listed = await gw.get("/rewards/v1/redemptions", headers=HR,
                          params={"item_code": item["code"]})
    assert all(r["voucher_code"] is None for r in listed.json()["items"])
