"""Changes and their forecasts through the gateway: who needs what by the go-live,
courses, seats and sessions, readiness from the plant's own history, the warning,
the draft boost in points_api (never published), the demand report; access and bad
input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import auth
from tests.factories import HR, create_department, create_employee, create_skill, uid
from tests.training_api.records import ASSESSOR, BEIJING, LMS, assert_problem, create_course

AUDITOR = auth("AUD01", "auditor")


def day(offset: int) -> datetime:
    return (datetime.now(UTC).astimezone(BEIJING) + timedelta(days=offset)).replace(
        hour=10, minute=0, second=0, microsecond=0)


async def ok(response: Any) -> dict[str, Any]:
    r = await response
    assert r.status_code in (200, 201), r.text
    return r.json()


@pytest.fixture(scope="module")
async def plant(gw) -> dict[str, Any]:
    """Workshop W, role R needing skill S at level 2, taught by an offline course C.
    Six earlier learners took C and proved S at level 2 10-50 days later (one is still
    learning); four operators of W have never learnt it; one already holds it."""
    dept = (await create_department(gw, name="机加工车间"))["code"]
    skill = (await create_skill(gw, name="五轴加工"))["code"]
    role = (await ok(gw.put(f"/training/v1/job-roles/{uid('R')}", headers=HR, json={
        "name": "数控操作工", "family": "production"})))["code"]
    course = (await create_course(gw, title="五轴加工中心操作", format="offline",
                                  skills=[(skill, 2)]))["code"]
    people: dict[str, str] = {}
    for key in ("L1", "L2", "L3", "L4", "L5", "L6", "N1", "N2", "N3", "N4"):
        people[key] = (await create_employee(gw, department=dept, role=role,
                                             name=f"员工{key}"))["employee_no"]
    for i, days in enumerate((10, 20, 30, 40, 50, None), start=1):
        no = people[f"L{i}"]
        await ok(gw.post("/training/v1/course-completions", headers=LMS, json={
            "employee_no": no, "course_code": course, "completed_at": day(-120).isoformat()}))
        if days is not None:
            await ok(gw.post("/training/v1/practical-assessments", headers=ASSESSOR, json={
                "employee_no": no, "skill_code": skill, "passed": True, "level": 2,
                "assessed_at": day(-120 + days).isoformat()}))
    return {"dept": dept, "skill": skill, "role": role, "course": course, **people}


def change_body(plant: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": "五轴加工中心上线", "kind": "equipment",
            "go_live_on": day(14).date().isoformat(),
            "required_skills": [{"skill_code": plant["skill"], "level": 2}],
            "department_codes": [plant["dept"]], "job_role_codes": [plant["role"]], **fields}


@pytest.fixture(scope="module")
async def change(gw, plant) -> str:
    code = uid("CHG")
    r = await gw.put(f"/training/v1/changes/{code}", headers=HR, json=change_body(plant))
    assert r.status_code == 201, r.text
    again = await gw.put(f"/training/v1/changes/{code}", headers=HR, json=change_body(plant))
    assert again.status_code == 200
    return code


async def test_the_forecast_of_a_change(gw, plant, change):
    r = await gw.get(f"/training/v1/changes/{change}/forecast", headers=HR,
                     params={"class_size": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    # 10 affected; L1-L5 hold S at level 2; L6 is learning (120 days); N1-N4 never started
    assert (body["affected"], body["ready_now"], body["need_training"]) == (10, 5, 5)
    assert body["weeks_to_go_live"] == 2
    (skill,) = body["skills"]
    assert (skill["employees_below"], skill["started"], skill["courses"]) == (
        5, 1, [plant["course"]])
    assert skill["history"] == {"basis": "skill", "learners": 6, "proven": 5,
                                "median_days": 30.0}
    (course,) = body["courses"]
    assert (course["seats"], course["seats_per_week"], course["sessions_per_week"]) == (4, 2, 1)
    shares = [p["ready_share"] for p in body["readiness"]]
    assert len(shares) == 3 and shares == sorted(shares) and shares[0] >= 0.5
    assert body["projected_ready_share"] == shares[-1] < 0.9
    warning = body["warning"]
    assert warning["gap_share"] == pytest.approx(0.9 - shares[-1], abs=1e-4)
    assert "低于目标 90%" in warning["message"] and warning["gap_employees"] >= 1
    boost = body["incentive"]
    assert boost["filters"] == {"course_codes": [plant["course"]]}
    assert boost["award"]["kind"] == "multiplier" and boost["award"]["factor"] == "1.5"

    needs = (await gw.get(f"/training/v1/changes/{change}/forecast/employees", headers=AUDITOR,
                          params={"limit": 3})).json()
    rest = (await gw.get(f"/training/v1/changes/{change}/forecast/employees", headers=AUDITOR,
                         params={"cursor": needs["next_cursor"]})).json()
    listed = [n["employee_no"] for n in needs["items"] + rest["items"]]
    assert listed == sorted(plant[k] for k in ("L6", "N1", "N2", "N3", "N4"))
    assert needs["items"][0]["missing"][0]["level"] == 2


async def test_the_boost_goes_into_a_draft_that_nobody_published(gw, plant, change):
    before = (await gw.get("/points/v1/rule-sets/active", headers=HR)).json()["version"]
    r = await gw.post(f"/training/v1/changes/{change}/incentive-draft", headers=HR,
                      json={"factor": "2"})
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["copied_from"] == before and draft["rule"]["award"]["factor"] == "2"
    stored = (await gw.get(f"/points/v1/rule-sets/{draft['rule_set_version']}",
                           headers=HR)).json()
    # a draft, by the HR user who asked
    assert stored["status"] == "draft" and stored["created_by"] == "HR-FACTORY"
    assert any(rule["id"] == draft["rule"]["id"] for rule in stored["rules"])
    assert (await gw.get("/points/v1/rule-sets/active", headers=HR)).json()["version"] == before
    assert draft["simulate"] == f"/points/v1/rule-sets/{draft['rule_set_version']}/simulations"


async def test_the_demand_report_shows_its_backtest_beside_the_forecast(gw, plant, change):
    r = await gw.get("/training/v1/reports/training-demand", headers=HR,
                     params={"department": plant["dept"], "by": "course"})
    assert r.status_code == 200, r.text
    body = r.json()
    (series,) = [s for s in body["series"] if s["code"] == plant["course"]]
    assert sum(series["history"].values()) == 6 and len(series["forecast"]) == 3
    assert set(series["backtest"]) == {"origins", "forecasts_checked", "method", "naive",
                                       "candidates", "chosen_by"}
    # under seven months of history: nothing to backtest on, the method of the length
    assert series["backtest"]["chosen_by"] == "history_length"
    assert body["overall"]["series"] == len(body["series"])
    by_skill = (await gw.get("/training/v1/reports/training-demand", headers=HR, params={
        "department": plant["dept"], "by": "skill", "horizon": 2})).json()
    assert [s["code"] for s in by_skill["series"]] == [plant["skill"]]
    own = auth("MGR", "manager", departments=(plant["dept"],))
    assert (await gw.get("/training/v1/reports/training-demand", headers=own)).status_code == 200


def mapped_files(pid: int) -> str:
    """What a process has loaded: its memory map (a compiled module shows there)."""
    return Path(f"/proc/{pid}/maps").read_text()


async def test_the_numeric_work_runs_outside_the_service_process(stack, gw, plant, change):
    """The Kaplan-Meier curves and the smoothing run in a worker process: statsmodels
    is never loaded into training_api's own process, so its requests never wait for
    them."""
    for path, params in ((f"/training/v1/changes/{change}/forecast", {}),
                         ("/training/v1/reports/training-demand", {"by": "skill"})):
        assert (await gw.get(path, headers=HR, params=params)).status_code == 200
    (service,) = [p for p in stack.processes if p.service == "training"]
    assert service.proc is not None
    assert "/statsmodels/" not in mapped_files(service.proc.pid)


async def test_who_may_do_what(gw, plant, change):
    employee, manager = auth(plant["N1"], "employee"), auth("M", "manager",
                                                           departments=(plant["dept"],))
    for who in (employee, manager, AUDITOR):
        assert_problem(await gw.put(f"/training/v1/changes/{uid('C')}", headers=who,
                                    json=change_body(plant)), 403)
    for who in (employee, manager):
        for path in (f"/training/v1/changes/{change}/forecast",
                     f"/training/v1/changes/{change}/forecast/employees"):
            assert_problem(await gw.get(path, headers=who), 403)
        assert_problem(await gw.get("/training/v1/reports/training-demand", headers=employee),
                       403)
    for who in (AUDITOR, manager, auth("lms", "integration")):
        assert_problem(await gw.post(f"/training/v1/changes/{change}/incentive-draft",
                                     headers=who, json={}), 403)
    assert (await gw.get(f"/training/v1/changes/{change}", headers=auth("lms", "integration"))
            ).status_code == 200
    listed = (await gw.get("/training/v1/changes", headers=AUDITOR, params={"limit": 500})).json()
    assert change in [c["code"] for c in listed["items"]]


@pytest.mark.parametrize(("fields", "status", "slug"), [
    ({"required_skills": [{"skill_code": "NOPE-SKILL", "level": 2}]}, 409, "unknown-reference"),
    ({"department_codes": ["NOPE-DEPT"]}, 409, "unknown-reference"),
    ({"required_skills": [{"skill_code": "S", "level": 6}]}, 422, None),
    ({"required_skills": []}, 422, None),
    ({"kind": "building"}, 422, None),
    ({"target_share": 0}, 422, None),
    ({"target_share": "1.5"}, 422, None),
    ({"go_live_on": "2026-02-30"}, 422, None),
    ({"name": "\u0000"}, 422, None),
    ({"extra": 1}, 422, None),
])
async def test_a_bad_change_is_refused(gw, plant, fields, status, slug):
    r = await gw.put(f"/training/v1/changes/{uid('C')}", headers=HR,
                     json={**change_body(plant), **fields})
    assert_problem(r, status, slug)


async def test_bad_requests_about_changes(gw, change):
    assert_problem(await gw.get("/training/v1/changes/NO-SUCH/forecast", headers=HR), 404,
                   "change-not-found")
    assert_problem(await gw.get(f"/training/v1/changes/{change}/forecast", headers=HR,
                                params={"class_size": 0}), 422)
    assert_problem(await gw.get("/training/v1/changes", headers=HR,
                                params={"cursor": "garbage!"}), 422)
    assert_problem(await gw.get("/training/v1/changes", headers=HR,
                                params={"cursor": "bm90LW91cnM"}), 404, "invalid-cursor")
    assert_problem(await gw.post(f"/training/v1/changes/{change}/incentive-draft", headers=HR,
                                 json={"factor": "1"}), 422)
    assert_problem(await gw.get("/training/v1/reports/training-demand", headers=HR,
                                params={"by": "team"}), 422)
    assert_problem(await gw.get("/training/v1/reports/training-demand", headers=HR,
                                params={"horizon": 13}), 422)
