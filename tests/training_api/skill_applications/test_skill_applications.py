"""Skill applications: submitted by the employee, confirmed with points in the
rule's range by a manager of their department (or HR), or rejected."""

import asyncio
from datetime import datetime
from typing import Any

import pytest

from tests.conftest import auth
from tests.factories import create_department, create_employee
from tests.training_api.records import (
    BEIJING,
    ago,
    assert_problem,
    client_id,
    new_employee,
    wait_for_points_copy,
)

HR_TOKEN = auth("HR001", "hr_admin")


@pytest.fixture(scope="module")
async def team(gw) -> dict[str, Any]:
    """A worker in a team under a workshop; the workshop's manager; a manager elsewhere."""
    boss = await new_employee(gw, name="钱经理")
    org = boss["org"]
    team = await create_department(gw, parent=org["department"]["code"], name="焊接一班")
    worker = await create_employee(gw, department=team["code"], role=org["role"]["code"],
                                   name="李师傅")
    elsewhere = await new_employee(gw, name="吴经理")
    await wait_for_points_copy(gw, worker["employee_no"])
    return {
        "worker": worker["employee_no"],
        "department": team["code"],
        "manager": auth(boss["employee_no"], "manager", "employee",
                        departments=(org["department"]["code"],)),
        "manager_no": boss["employee_no"],
        "departments": (org["department"]["code"],),
        "other_manager": auth(elsewhere["employee_no"], "manager",
                              departments=(elsewhere["org"]["department"]["code"],)),
    }


async def submit(gw, employee_no: str, **fields: Any) -> dict[str, Any]:
    r = await gw.post("/training/v1/skill-applications", headers=auth(employee_no, "employee"),
                      json={"employee_no": employee_no, "summary": "改进焊接夹具定位，返工减少",
                            "metric_name": "焊接不良率(%)", "metric_before": "3.2",
                            "metric_after": "1.1", "work_order_ref": "WO-2025-0312", **fields})
    assert r.status_code == 201, r.text
    return r.json()


async def test_submitted_application_waits_for_a_decision(gw, team):
    app = await submit(gw, team["worker"], submitted_at=ago(hours=3))
    assert app["status"] == "submitted" and app["decided_at"] is None
    assert app["summary"] == "改进焊接夹具定位，返工减少" and app["metric_after"] == "1.1000"
    assert app["points"] == {"status": "none", "outcome": None, "outcome_url": None}


async def test_nobody_confirms_their_own(gw, team):
    app = await submit(gw, team["manager_no"])
    r = await gw.post(f"/training/v1/skill-applications/{app['id']}/confirm",
                      headers=team["manager"], json={"points": 80})
    assert_problem(r, 403, "self-confirmation")
    lower_case = auth(team["manager_no"].lower(), "manager", "employee",
                      departments=team["departments"])
    r = await gw.post(f"/training/v1/skill-applications/{app['id']}/confirm",
                      headers=lower_case, json={"points": 100})
    assert_problem(r, 403, "self-confirmation")
    own_hr = auth(team["manager_no"], "hr_admin")
    r = await gw.post(f"/training/v1/skill-applications/{app['id']}/reject", headers=own_hr,
                      json={"reason": "自己不能审批自己"})
    assert_problem(r, 403, "self-confirmation")


async def test_manager_of_another_department_cannot_decide(gw, team):
    app = await submit(gw, team["worker"])
    for action, body in (("confirm", {"points": 80}), ("reject", {"reason": "不是我的部门"})):
        r = await gw.post(f"/training/v1/skill-applications/{app['id']}/{action}",
                          headers=team["other_manager"], json=body)
        assert_problem(r, 403, "not-your-department")


async def test_employees_and_assessors_cannot_decide(gw, team):
    app = await submit(gw, team["worker"])
    for who in (auth("E-OTHER", "employee"), auth("AS-1", "assessor")):
        r = await gw.post(f"/training/v1/skill-applications/{app['id']}/confirm", headers=who,
                          json={"points": 80})
        assert_problem(r, 403)


async def test_reject_with_reason_once(gw, team):
    app = await submit(gw, team["worker"])
    url = f"/training/v1/skill-applications/{app['id']}"
    r = await gw.post(f"{url}/reject", headers=team["manager"],
                      json={"reason": "不良率下降与本次改进无关"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejected"
    assert r.json()["reject_reason"] == "不良率下降与本次改进无关"
    assert r.json()["points"]["status"] == "none"
    assert_problem(await gw.post(f"{url}/reject", headers=team["manager"],
                                 json={"reason": "再次"}), 409, "already-decided")
    assert_problem(await gw.post(f"{url}/confirm", headers=team["manager"],
                                 json={"points": 80}), 409, "already-decided")
    assert_problem(await gw.post(f"{url}/reject", headers=team["manager"],
                                 json={"reason": "  "}), 422)


async def test_confirm_at_80_then_twice_is_409(gw, team):
    app = await submit(gw, team["worker"])
    url = f"/training/v1/skill-applications/{app['id']}"
    r = await gw.post(f"{url}/confirm", headers=team["manager"], json={"points": 80})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "confirmed" and body["confirmed_points"] == 80
    assert body["decided_by"] == team["manager_no"] and body["decided_at"]
    assert body["rule_id"] and body["rule_set_version"] >= 1
    assert body["points"]["status"] in {"awarded", "pending"}
    if body["points"]["status"] == "awarded":
        assert body["points"]["outcome"]["total_points"] == 80
    again = await gw.post(f"{url}/confirm", headers=team["manager"], json={"points": 80})
    assert_problem(again, 409, "already-decided")


async def test_points_out_of_the_rules_range_are_409(gw, hr, team):
    app = await submit(gw, team["worker"])
    url = f"/training/v1/skill-applications/{app['id']}/confirm"
    for points in (101, 49):
        body = assert_problem(await gw.post(url, headers=hr, json={"points": points}), 409,
                              "points-out-of-range")
        assert (body["min_points"], body["max_points"]) == (50, 100)
        assert "50" in body["detail"] and "100" in body["detail"]
    r = await gw.get(f"/training/v1/skill-applications/{app['id']}", headers=hr)
    assert r.json()["status"] == "submitted", "a refused confirmation changes nothing"
    assert_problem(await gw.post(url, headers=hr, json={"points": 10**20}), 422)


async def test_hr_confirms_for_any_department(gw, hr, team):
    app = await submit(gw, team["worker"], client_id=client_id())
    r = await gw.post(f"/training/v1/skill-applications/{app['id']}/confirm", headers=hr,
                      json={"points": 100})
    assert r.status_code == 200 and r.json()["confirmed_points"] == 100


async def test_list_by_status(gw, hr, team):
    app = await submit(gw, team["worker"])
    r = await gw.get("/training/v1/skill-applications", headers=team["manager"],
                     params={"status": "submitted", "employee_no": team["worker"]})
    assert r.status_code == 200
    items = r.json()["items"]
    assert app["id"] in [i["id"] for i in items]
    assert {i["status"] for i in items} == {"submitted"}
    r = await gw.get("/training/v1/skill-applications", headers=team["other_manager"],
                     params={"employee_no": team["worker"]})
    assert r.json()["items"] == [], "a manager elsewhere does not see them"


async def test_two_deciders_at_once_one_wins(gw, hr, team):
    app = await submit(gw, team["worker"])
    url = f"/training/v1/skill-applications/{app['id']}"
    confirm, reject = await asyncio.gather(
        gw.post(f"{url}/confirm", headers=team["manager"], json={"points": 90}),
        gw.post(f"{url}/reject", headers=hr, json={"reason": "证据不足"}))
    assert sorted([confirm.status_code, reject.status_code]) == [200, 409]
    final = (await gw.get(url, headers=hr)).json()
    winner = confirm if confirm.status_code == 200 else reject
    assert final["status"] == winner.json()["status"]


def _month_key(moment: str) -> str:
    local = datetime.fromisoformat(moment).astimezone(BEIJING)
    return f"M{local.year:04d}-{local.month:02d}"


async def test_a_later_decision_counts_in_the_month_it_is_made(gw, team):
    """Points for a decision land in the decision's month (docs/points.md, "When points
    count"): an improvement of an earlier month confirmed now, and a note of an earlier
    month featured now, count this month on the boards and in the mix; the earlier
    month, whose board and honours may be closed, is left as it was."""
    worker, earlier = team["worker"], ago(days=75)
    app = await submit(gw, worker, submitted_at=earlier)
    r = await gw.post(f"/training/v1/skill-applications/{app['id']}/confirm",
                      headers=team["manager"], json={"points": 70})
    assert r.status_code == 200 and r.json()["points"]["status"] == "awarded", r.text
    note = await gw.post("/training/v1/notes", headers=auth(worker, "employee"), json={
        "employee_no": worker, "title": "夹具定位笔记", "body": "要点", "shared_at": earlier})
    assert note.status_code == 201, note.text
    review = await gw.post(f"/training/v1/notes/{note.json()['id']}/review",
                           headers=auth("AS-REVIEW", "assessor"), json={"featured": True})
    assert review.status_code == 200, review.text

    entries = (await gw.get(f"/points/v1/accounts/{worker}/entries", headers=HR_TOKEN,
                            params={"limit": 500})).json()["items"]
    month_of = {e["rule_id"]: _month_key(e["occurred_at"]) for e in entries
                if e["source_fact_id"] in (app["id"], note.json()["id"])}
    this_month = _month_key(ago(minutes=0))
    assert month_of == {"skill_application.confirmed": this_month,
                        "note.featured": this_month, "note.shared": _month_key(earlier)}
    department = team["department"]
    for period, present, absent in (
            (_month_key(earlier), {"note.shared"},
             {"note.featured", "skill_application.confirmed"}),
            (this_month, {"note.featured", "skill_application.confirmed"}, set())):
        mix = await gw.get("/points/v1/reports/points-mix", headers=HR_TOKEN,
                           params={"period": period, "department": department})
        assert mix.status_code == 200, mix.text
        rules = {s["rule_id"] for s in mix.json()["sources"]}
        assert present <= rules and not absent & rules, (period, rules)
