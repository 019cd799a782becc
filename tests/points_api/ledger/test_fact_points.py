"""GET /points/v1/facts/{fact_id}/points: the outcome URL of a recording answered
pending. What one training fact earned, with the visibility of the account; pending
(and nothing else) while its event is not applied; a long poll with ``wait``."""

from __future__ import annotations

import asyncio
import uuid

from tests.conftest import auth
from tests.factories import create_department
from tests.points_api.event_factories import HR, course, earn, fact, new_employee, send


def url(fact_id: str) -> str:
    return f"/points/v1/facts/{fact_id}/points"


async def test_an_applied_fact_shows_what_it_earned_and_the_account_now(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    payload = course(no)
    outcome = await earn(gw, "course.completed", payload)

    r = await gw.get(url(payload["fact_id"]), headers=HR)

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "applied" and body["employee_no"] == no
    assert [a["entry_id"] for a in body["awarded"]] == [
        a["entry_id"] for a in outcome["awarded"]]
    assert body["total_points"] == sum(a["points"] for a in outcome["awarded"]) > 0
    assert body["balance"] == body["total_points"] == body["month_points"]
    assert body["reversed_points"] == 0
    assert body["month_rank"] >= 1


async def test_a_voided_fact_shows_what_was_taken_back(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    payload = course(no)
    earned = (await earn(gw, "course.completed", payload))["total_points"]
    await earn(gw, "fact.voided", fact(no, voided_fact_id=payload["fact_id"], reason="录入错误"))

    body = (await gw.get(url(payload["fact_id"]), headers=HR)).json()

    assert body["status"] == "applied"
    assert (body["total_points"], body["reversed_points"], body["balance"]) == (
        earned, -earned, 0)


async def test_an_unknown_or_unapplied_fact_is_pending_and_says_nothing_else(gw):
    r = await gw.get(url(str(uuid.uuid4())), headers=auth("E-ANY", "employee"))
    assert r.status_code == 200
    assert r.json()["status"] == "pending"
    assert r.json()["employee_no"] is None and r.json()["awarded"] == []
    assert r.json()["balance"] is None


async def test_wait_holds_the_answer_until_the_fact_is_applied(gw):
    emp = await new_employee(gw)
    payload = course(emp["employee_no"])

    async def apply_later() -> None:
        await asyncio.sleep(0.5)
        await send(gw, "course.completed", payload)

    later = asyncio.create_task(apply_later())
    deadline = asyncio.get_running_loop().time() + 120
    # as a client does: a long poll answers within 8 s, pending if nothing came by then
    # (on a loaded machine the fact may take longer), and the client polls again
    while (r := await gw.get(url(payload["fact_id"]), headers=HR,
                             params={"wait": 8})).json()["status"] == "pending":
        assert asyncio.get_running_loop().time() < deadline, r.text
    await later
    assert r.status_code == 200 and r.json()["status"] == "applied"
    assert r.json()["total_points"] > 0


async def test_who_may_read_a_facts_points(gw):
    emp = await new_employee(gw)
    colleague = await new_employee(gw, org=emp["org"])
    no = emp["employee_no"]
    elsewhere = await create_department(gw, name="物流部")
    payload = course(no)
    await earn(gw, "course.completed", payload)
    allowed = {
        "self": auth(no, "employee"),
        "manager of the plant": auth("M1", "manager",
                                     departments=(emp["org"]["plant"]["code"],)),
        "hr": HR,
        "auditor": auth("AU1", "auditor"),
    }
    denied = {
        "colleague": auth(colleague["employee_no"], "employee"),
        "manager elsewhere": auth("M2", "manager", departments=(elsewhere["code"],)),
        "assessor": auth("A1", "assessor"),
    }
    for who, headers in allowed.items():
        r = await gw.get(url(payload["fact_id"]), headers=headers)
        assert r.status_code == 200 and r.json()["status"] == "applied", (who, r.text)
    for who, headers in denied.items():
        r = await gw.get(url(payload["fact_id"]), headers=headers)
        assert r.status_code == 404, (who, r.text)
        assert r.json()["type"].endswith("/fact-points-not-found")
    assert (await gw.get(url(payload["fact_id"]))).status_code == 401


async def test_bad_fact_ids_and_waits_are_4xx_problems(gw):
    for path, params in ((url("no spaces"), {}), (url("x" * 65), {}),
                         (url("ok-id"), {"wait": -1}), (url("ok-id"), {"wait": 8.5}),
                         (url("ok-id"), {"wait": "soon"})):
        r = await gw.get(path, headers=HR, params=params)
        assert r.status_code == 422, (path, params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
