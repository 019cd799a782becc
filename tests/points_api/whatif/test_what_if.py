"""Rule what-if: a rule-set version replayed over a window of real past events, against
what the ledger holds, and its difference paid exactly once.

Each test works on the employees of a fresh department, in March 2024 (company time,
Asia/Shanghai), so other tests' events never fall in its window."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import auth, call_direct
from tests.points_api.event_factories import (
    HR,
    account,
    all_entries,
    course,
    deliver,
    earn,
    fact,
    new_employee,
    practical,
    send,
)

WINDOW = {"period": "M2024-03"}
AUDITOR = auth("AUD01", "auditor")


def hold(no: str, points: int) -> dict[str, Any]:
    return {"hold_id": str(uuid.uuid4()), "employee_no": no, "points": points,
            "expires_at": "2099-01-01T00:00:00+00:00", "reason": "兑换超市卡"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2024-{text}+08:00")


async def history(gw: httpx.AsyncClient) -> dict[str, Any]:
    """Two employees of one department and a month of events that exercise every
    kind of history the rules depend on. Window totals (hand-computed, default rules):
    A participation 56 (2 of 3 notes under the weekly cap 20, 10 capped speaks 20,
    a course 16, a voided course 0), outcome 120 (exam top-up 10, practical 30, skill
    application 80); B participation 10, outcome 60 (two practicals)."""
    a = await new_employee(gw)
    b = await new_employee(gw, org=a["org"])
    no_a, no_b = a["employee_no"], b["employee_no"]
    # before the window: 3 notes in the week of Mon 26 Feb (the cap counts them in
    # March too) and a first exam attempt (85 -> 10 points)
    for day in ("02-27T09:00", "02-27T10:00", "02-28T09:00"):
        await earn(gw, "note.shared", fact(no_a, at=at(day), title="焊接笔记"))
    exam = {"exam_code": f"E-{uuid.uuid4().hex[:6]}", "exam_title": "焊接安全",
            "pass_score": 60}
    await earn(gw, "exam.attempted", fact(no_a, at=at("02-20T09:00"), score=85, **exam))
    # the window
    notes = [await earn(gw, "note.shared", fact(no_a, at=at(f"03-02T0{h}:00"), title="笔记"))
             for h in (8, 9)]
    capped = await earn(gw, "note.shared", fact(no_a, at=at("03-03T09:00"), title="笔记"))
    assert [n["total_points"] for n in notes] == [10, 10] and capped["total_points"] == 0
    for minute in range(12):
        await earn(gw, "live.interaction", fact(no_a, at=at(f"03-12T10:{minute:02d}"),
                                                kind="speak"))
    retake = await earn(gw, "exam.attempted", fact(no_a, at=at("03-10T09:00"), score=100,
                                                   **exam))
    assert retake["total_points"] == 10
    await earn(gw, "course.completed", course(no_a, at=at("03-14T09:00")))
    voided = course(no_a, at=at("03-15T09:00"))
    await earn(gw, "course.completed", voided)
    await earn(gw, "fact.voided", fact(no_a, at=at("03-16T09:00"),
                                       voided_fact_id=voided["fact_id"], reason="录入错误"))
    early = course(no_a, at=at("03-17T09:00"))
    await earn(gw, "fact.voided", fact(no_a, at=at("03-17T10:00"),
                                       voided_fact_id=early["fact_id"], reason="重复录入"))
    assert (await earn(gw, "course.completed", early))["total_points"] == 0
    assessed = practical(no_a, at=at("03-20T09:00"))
    await earn(gw, "practical.assessed", assessed)
    again = await send(gw, "practical.assessed", assessed)  # the same fact, a new event id
    assert again["result"]["total_points"] == 0
    await earn(gw, "skill_application.confirmed", fact(
        no_a, at=at("03-22T09:00"), summary="改进夹具，次品率下降", points=80, confirmer="M1"))
    for day in ("03-05", "03-25"):
        await earn(gw, "practical.assessed", practical(no_b, at=at(f"{day}T09:00")))
    await earn(gw, "practical.assessed", practical(no_b, at=at("03-26T09:00"), passed=False))
    await earn(gw, "course.completed", course(no_b, at=at("03-06T09:00"), difficulty="basic"))
    # after the window: not part of it
    await earn(gw, "practical.assessed", practical(no_b, at=at("04-01T09:00")))
    return {"a": no_a, "b": no_b, "department": a["org"]["department"]["code"]}


async def simulate(gw: httpx.AsyncClient, version: int, body: dict[str, Any]) -> dict[str, Any]:
    r = await gw.post(f"/points/v1/rule-sets/{version}/simulations", headers=HR, json=body)
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/points/v1/simulations/{r.json()['id']}"
    return await finished(gw, r.json()["id"])


async def finished(gw: httpx.AsyncClient, simulation_id: str) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        r = await gw.get(f"/points/v1/simulations/{simulation_id}", headers=AUDITOR)
        assert r.status_code == 200, r.text
        if r.json()["status"] != "running":
            return r.json()
        assert asyncio.get_running_loop().time() < deadline, r.json()
        await asyncio.sleep(0.1)


async def employees(gw: httpx.AsyncClient, simulation_id: str,
                    **params: Any) -> dict[str, dict[str, Any]]:
    r = await gw.get(f"/points/v1/simulations/{simulation_id}/employees", headers=AUDITOR,
                     params=params)
    assert r.status_code == 200, r.text
    return {item["employee_no"]: item for item in r.json()["items"]}


async def draft(gw: httpx.AsyncClient, change: dict[str, dict[str, Any]]) -> int:
    """A draft copied from version 1 with some rules' fields replaced."""
    r = await gw.get("/points/v1/rule-sets/1", headers=HR)
    rules = r.json()["rules"]
    for rule in rules:
        for field, value in change.get(rule["id"], {}).items():
            rule[field] = value
    r = await gw.post("/points/v1/rule-sets", headers=HR, json={"rules": rules, "note": "试算"})
    assert r.status_code == 201, r.text
    return r.json()["version"]


async def test_unchanged_rules_reproduce_what_happened(gw):
    h = await history(gw)

    sim = await simulate(gw, 1, {**WINDOW, "department": h["department"]})

    assert sim["status"] == "done", sim
    summary = sim["summary"]
    assert summary["events"] == 26
    assert summary["employees"] == 2
    assert summary["employees_changed"] == 0
    assert summary["difference"] == 0
    assert summary["actual"] == summary["simulated"]
    assert summary["actual"]["by_category"] == {"participation": 66, "outcome": 180,
                                                "growth": 0}
    assert summary["actual"]["total"] == 246
    assert summary["notes"]["skipped_voided"] == 1
    rows = await employees(gw, sim["id"])
    assert rows[h["a"]]["actual_by_category"] == {"participation": 56, "outcome": 120,
                                                  "growth": 0}
    assert rows[h["b"]]["actual_points"] == rows[h["b"]]["simulated_points"] == 70
    assert all(row["difference"] == 0 for row in rows.values())
    by_rule = {r["rule_id"]: r for r in summary["rules"]}
    assert by_rule["live.speak"]["actual_points"] == 20
    assert by_rule["note.shared"]["actual_points"] == 20
    assert by_rule["exam.score"]["simulated_points"] == 10
    assert by_rule["practical.passed"]["rule_name"] == "实操考核通过"
    # read-only: the ledger holds what it held
    assert (await account(gw, h["a"]))["qualifying_points"] == 56 + 120 + 30 + 10


async def test_raising_practical_assessments_to_40_shows_the_exact_difference(gw):
    h = await history(gw)
    position = f"P-{uuid.uuid4().hex[:8]}"
    lifetime = (await account(gw, h["a"]))["qualifying_points"]
    r = await gw.put(f"/points/v1/positions/{position}", headers=HR, json={
        "name": "生产组长", "min_points": lifetime + 5,
        "required_skills": [f"S-{uuid.uuid4().hex[:8]}"]})  # nobody reaches it for real
    assert r.status_code in (200, 201), r.text
    version = await draft(gw, {"practical.passed": {"award": {"kind": "fixed", "points": 40}}})

    sim = await simulate(gw, version, {**WINDOW, "department": h["department"]})

    summary = sim["summary"]
    assert summary["difference"] == 30  # A: 1 practical, B: 2 (the failed one pays nothing)
    assert summary["simulated"]["by_category"] == {"participation": 66, "outcome": 210,
                                                   "growth": 0}
    assert summary["simulated"]["shares"]["outcome"] == round(210 / 276, 4)
    practical_rule = next(r for r in summary["rules"] if r["rule_id"] == "practical.passed")
    assert (practical_rule["actual_points"], practical_rule["simulated_points"]) == (90, 120)
    assert all(r["difference"] == 0 for r in summary["rules"] if r is not practical_rule)
    rows = await employees(gw, sim["id"], order="gain")
    assert [(no, row["difference"]) for no, row in rows.items()] == [(h["b"], 20), (h["a"], 10)]
    assert rows[h["a"]]["simulated_by_category"]["outcome"] == 130
    assert rows[h["a"]]["milestones_gained"] == [f"position:{position}"]
    assert rows[h["b"]]["milestones_gained"] == []
    crossing = next(m for m in summary["milestones"] if m["code"] == position)
    assert (crossing["gained"], crossing["lost"]) == (1, 0)
    only = await employees(gw, sim["id"], milestone_changes="true")
    assert list(only) == [h["a"]]


async def test_applying_the_difference_twice_applies_it_once(gw):
    h = await history(gw)
    version = await draft(gw, {"practical.passed": {"award": {"kind": "fixed", "points": 40}}})
    sim = await simulate(gw, version, {**WINDOW, "department": h["department"]})
    before = {no: await account(gw, no) for no in (h["a"], h["b"])}
    body = {"reason": "实操考核分值调整为 40，补发 3 月差额"}

    applied = await gw.post(f"/points/v1/simulations/{sim['id']}/apply", headers=HR, json=body)
    again = await gw.post(f"/points/v1/simulations/{sim['id']}/apply", headers=HR, json=body)

    assert applied.status_code == 200, applied.text
    application = applied.json()["application"]
    assert (application["entries"], application["points"]) == (2, 30)
    assert application["applied_by"] == "HR001"
    assert again.status_code == 409
    assert again.json()["type"].endswith("simulation-already-applied")
    for no, gain in ((h["a"], 10), (h["b"], 20)):
        after = await account(gw, no)
        assert after["qualifying_points"] == before[no]["qualifying_points"] + gain
        assert after["balance"] == before[no]["balance"] + gain
        (entry,) = [e for e in await all_entries(gw, no, kind="adjust")]
        assert entry["points"] == gain and entry["category"] == "outcome"
        assert entry["actor"] == "HR001"
        assert entry["reason"].endswith("：实操考核分值调整为 40，补发 3 月差额")
        assert entry["details"]["simulation_id"] == sim["id"]
        assert entry["details"]["rule_set_version"] == version


async def test_nobody_applies_a_difference_to_their_own_account(gw):
    """Applying pays adjustments: an HR administrator whose own account the simulation
    changes is refused (403 self-adjustment, whatever the case of their token) and
    nothing is paid; another HR administrator applies it."""
    h = await history(gw)
    version = await draft(gw, {"practical.passed": {"award": {"kind": "fixed", "points": 40}}})
    sim = await simulate(gw, version, {**WINDOW, "department": h["department"]})
    before = await account(gw, h["a"])
    body = {"reason": "实操考核分值调整为 40，补发 3 月差额"}
    mine = await gw.post(f"/points/v1/simulations/{sim['id']}/apply",
                         headers=auth(h["a"].lower(), "hr_admin"), json=body)
    assert mine.status_code == 403, mine.text
    assert mine.json()["type"].endswith("/self-adjustment")
    assert (await account(gw, h["a"]))["balance"] == before["balance"]
    assert (await finished(gw, sim["id"]))["application"] is None
    applied = await gw.post(f"/points/v1/simulations/{sim['id']}/apply", headers=HR, json=body)
    assert applied.status_code == 200, applied.text
    assert (await account(gw, h["a"]))["balance"] == before["balance"] + 10


async def test_concurrent_applies_pay_once(gw):
    h = await history(gw)
    version = await draft(gw, {"practical.passed": {"award": {"kind": "fixed", "points": 40}}})
    sim = await simulate(gw, version, {**WINDOW, "department": h["department"]})
    before = (await account(gw, h["b"]))["qualifying_points"]

    answers = await asyncio.gather(*[
        gw.post(f"/points/v1/simulations/{sim['id']}/apply", headers=HR,
                json={"reason": f"补发 {i}"}) for i in range(4)])

    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    assert (await account(gw, h["b"]))["qualifying_points"] == before + 20


async def test_a_loss_takes_no_more_than_the_account_holds(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    await earn(gw, "practical.assessed", practical(no, at=at("03-05T09:00")))
    version = await draft(gw, {"practical.passed": {"award": {"kind": "fixed", "points": 5}}})
    sim = await simulate(gw, version, {**WINDOW,
                                       "department": emp["org"]["department"]["code"]})
    assert sim["summary"]["difference"] == -25
    # 20 of the 30 points are spent (held for a redemption, then captured)
    body = hold(no, 20)
    r = await call_direct(gw, "POST", "/points/v1/internal/holds", caller="rewards", json=body)
    assert r.status_code == 201, r.text
    (receipt,) = await deliver(gw, {
        "event_id": str(uuid.uuid4()), "event_type": "hold.capture", "producer": "rewards",
        "occurred_at": datetime.now(UTC).isoformat(),
        "payload": {"hold_id": body["hold_id"], "employee_no": no}})
    assert receipt["result"]["status"] == "captured", receipt

    r = await gw.post(f"/points/v1/simulations/{sim['id']}/apply", headers=HR,
                      json={"reason": "实操分值下调"})

    assert r.status_code == 200, r.text
    (entry,) = await all_entries(gw, no, kind="adjust")
    assert entry["points"] == -10  # all that was left to spend
    assert entry["qualifying_points"] == -25
    assert entry["details"]["shortfall"] == 15
    after = await account(gw, no)
    assert (after["spendable"], after["qualifying_points"]) == (0, 5)


async def test_confirmed_points_outside_a_narrower_range_are_clamped(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    await earn(gw, "skill_application.confirmed", fact(
        no, at=at("03-08T09:00"), summary="优化换模流程", points=55, confirmer="M1"))
    version = await draft(gw, {"skill_application.confirmed": {
        "award": {"kind": "confirmer_range", "min_points": 60, "max_points": 100}}})

    sim = await simulate(gw, version, {**WINDOW,
                                       "department": emp["org"]["department"]["code"]})

    assert sim["summary"]["difference"] == 5
    assert sim["summary"]["notes"]["confirmer_points_clamped"] == 1


async def test_employee_comparison_as_csv_and_in_pages(gw):
    h = await history(gw)
    version = await draft(gw, {"practical.passed": {"award": {"kind": "fixed", "points": 40}}})
    sim = await simulate(gw, version, {**WINDOW, "department": h["department"]})

    r = await gw.get(f"/points/v1/simulations/{sim['id']}/employees", headers=AUDITOR,
                     params={"format": "csv"})
    first = await gw.get(f"/points/v1/simulations/{sim['id']}/employees", headers=AUDITOR,
                         params={"limit": 1, "order": "loss"})
    second = await gw.get(f"/points/v1/simulations/{sim['id']}/employees", headers=AUDITOR,
                          params={"limit": 1, "order": "loss",
                                  "cursor": first.json()["next_cursor"]})

    assert r.status_code == 200
    assert r.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0][:6] == ["工号", "姓名", "事件数", "实际积分", "模拟积分", "差额"]
    assert sorted((row[0], row[5]) for row in table[1:]) == sorted(
        [(h["a"], "10"), (h["b"], "20")])
    assert [i["employee_no"] for i in first.json()["items"]] == [h["a"]]
    assert [i["employee_no"] for i in second.json()["items"]] == [h["b"]]
    assert second.json()["next_cursor"] is None
    listed = await gw.get("/points/v1/simulations", headers=AUDITOR, params={"limit": 100})
    assert sim["id"] in {s["id"] for s in listed.json()["items"]}


async def test_bad_requests_are_refused_clearly(gw):
    cases = [
        ({"period": "M2024-03", "from": "2024-03-01"}, 422, "#/period"),
        ({}, 422, "#/period"),
        ({"from": "2024-03-01"}, 422, "#/to"),
        ({"period": "ALL"}, 422, "#/period"),
        # well-formed, but no window the replay can take: a business refusal
        ({"from": "2024-03-05", "to": "2024-03-01"}, 409, "#/to"),
        ({"from": "2023-01-01", "to": "2024-12-31"}, 409, "#/to"),
        ({"from": "yesterday", "to": "2024-03-01"}, 422, "#/from"),
    ]
    for body, status_code, pointer in cases:
        r = await gw.post("/points/v1/rule-sets/1/simulations", headers=HR, json=body)
        assert r.status_code == status_code, (body, r.text)
        assert pointer in {e["pointer"] for e in r.json()["errors"]}, (body, r.json())
    r = await gw.post("/points/v1/rule-sets/999999/simulations", headers=HR, json=WINDOW)
    assert r.status_code == 404
    empty = await gw.post("/points/v1/rule-sets", headers=HR, json={"note": "空草稿"})
    r = await gw.post(f"/points/v1/rule-sets/{empty.json()['version']}/simulations",
                      headers=HR, json=WINDOW)
    assert r.status_code == 409
    assert r.json()["type"].endswith("rule-set-invalid")
    assert r.json()["errors"][0]["detail"] == "the rule set has no rules"
    employee = auth("E0001", "employee")
    r = await gw.post("/points/v1/rule-sets/1/simulations", headers=employee, json=WINDOW)
    assert r.status_code == 403
    r = await gw.get(f"/points/v1/simulations/{uuid.uuid4()}", headers=AUDITOR)
    assert r.status_code == 404
    assert r.json()["type"].endswith("simulation-not-found")
    r = await gw.post(f"/points/v1/simulations/{uuid.uuid4()}/apply", headers=HR,
                      json={"reason": "x"})
    assert r.status_code == 404


async def test_the_cli_simulates_shows_progress_and_applies_once(gw, stack, capsys, tmp_path):
    from jifen.cli import main as jifen
    from tests.conftest import make_token

    def main(argv: list[str]) -> int:
        return jifen(["what-if", *argv])

    h = await history(gw)
    version = await draft(gw, {"practical.passed": {"award": {"kind": "fixed", "points": 40}}})
    common = ["--url", stack.gateway_url, "--token", make_token("HR001", "hr_admin")]

    code = await asyncio.to_thread(main, ["simulate", str(version), "--period", "M2024-03",
                                          "--department", h["department"], *common])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "points: actual 246 → simulated 276 (+30)" in out
    assert "practical.passed 实操考核通过: 90 → 120 (+30)" in out
    assert "replaying events" in err
    simulation_id = out.split()[1].rstrip(":")
    csv_file = tmp_path / "diff.csv"
    code = await asyncio.to_thread(main, ["employees", simulation_id, "--order", "gain",
                                          "--format", "csv", "--out", str(csv_file), *common])
    assert code == 0
    assert csv_file.read_bytes().startswith("\ufeff工号".encode())
    code = await asyncio.to_thread(jifen, ["report", "what-if", "--simulation", simulation_id,
                                            "--url", stack.gateway_url, "--token", common[3]])
    assert code == 0
    listed = json.loads(capsys.readouterr().out)["items"]
    assert sorted(i["difference"] for i in listed) == [10, 20]
    apply = ["apply", simulation_id, "--reason", "补发 3 月差额", *common]
    assert await asyncio.to_thread(main, apply) == 0
    assert "2 entries, +30 points (补发 3 月差额)" in capsys.readouterr().out
    assert await asyncio.to_thread(main, apply) == 1
    assert "409" in capsys.readouterr().err


async def test_a_rule_moved_to_another_category_changes_the_split_not_the_total(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    await earn(gw, "practical.assessed", practical(no, at=at("03-05T09:00")))
    version = await draft(gw, {"practical.passed": {"category": "growth"}})
    sim = await simulate(gw, version, {**WINDOW,
                                       "department": emp["org"]["department"]["code"]})
    assert sim["summary"]["difference"] == 0
    assert sim["summary"]["employees_changed"] == 1
    assert sim["summary"]["simulated"]["shares"] == {"participation": 0.0, "outcome": 0.0,
                                                     "growth": 1.0}
    assert list(await employees(gw, sim["id"], changed_only="true")) == [no]

    r = await gw.post(f"/points/v1/simulations/{sim['id']}/apply", headers=HR,
                      json={"reason": "实操改计成长分"})

    assert r.json()["application"]["entries"] == 2
    assert r.json()["application"]["points"] == 0
    by_category = (await account(gw, no))["by_category"]
    assert by_category == {"participation": 0, "outcome": 0, "growth": 30}


async def test_a_difference_already_paid_for_an_overlapping_window_is_not_paid_again(gw):
    emp = await new_employee(gw)
    no, department = emp["employee_no"], emp["org"]["department"]["code"]
    await earn(gw, "practical.assessed", practical(no, at=at("03-05T09:00")))
    version = await draft(gw, {"practical.passed": {"award": {"kind": "fixed", "points": 40}}})
    month = await simulate(gw, version, {**WINDOW, "department": department})
    quarter = await simulate(gw, version, {"period": "Q2024-1", "department": department})
    assert quarter["summary"]["difference"] == 10  # the same March practical
    paid = await gw.post(f"/points/v1/simulations/{month['id']}/apply", headers=HR,
                         json={"reason": "补发 3 月"})
    assert paid.status_code == 200

    r = await gw.post(f"/points/v1/simulations/{quarter['id']}/apply", headers=HR,
                      json={"reason": "补发一季度"})

    assert r.status_code == 409
    assert r.json()["type"].endswith("simulation-overlaps-applied")
    assert r.json()["simulations"] == [month["id"]]
    assert (await account(gw, no))["qualifying_points"] == 40


async def test_an_unknown_department_is_refused(gw):
    r = await gw.post("/points/v1/rule-sets/1/simulations", headers=HR,
                      json={**WINDOW, "department": "NO-SUCH-DEPT"})
    assert r.status_code == 404
    assert r.json()["type"].endswith("department-not-found")
