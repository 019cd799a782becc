"""The early warning through the gateway: a risk run (202, progress, model card), the
report with reasons for HR and a department's own managers only, every read in the
audit trail, the weekly digest in the managers' notification feed; bad input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from services.training_api.attrition.digest import weekly_digest
from services.training_api.config import Settings
from shared.db import create_engine, make_sessionmaker
from tests.conftest import auth
from tests.factories import HR, create_department, create_employee, uid
from tests.training_api.records import BEIJING, LMS, assert_problem, create_course

AUDITOR = auth("AUD01", "auditor")
RUNS = "/training/v1/attrition-risk/runs"
REPORT = "/training/v1/reports/attrition-risk"


def days_ago(days: int, hour: int = 10) -> str:
    moment = datetime.now(UTC).astimezone(BEIJING) - timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


async def ok(response: Any) -> dict[str, Any]:
    r = await response
    assert r.status_code in (200, 201), r.text
    return r.json()


async def complete(gw, no: str, course: str, *days: int) -> None:
    for day in days:
        await ok(gw.post("/training/v1/course-completions", headers=LMS, json={
            "employee_no": no, "course_code": course, "completed_at": days_ago(day)}))


@pytest.fixture(scope="module")
async def team(gw) -> dict[str, Any]:
    """D: fading A (no training for 120 days after two courses before, a plan overdue,
    unhappy and unwilling in the survey), steady B, steady but unwilling C, its heads M
    (fading as A) and H; L trained and left 20 days ago."""
    manager, head = uid("M"), uid("H")
    dept = (await create_department(gw, name="热处理车间"))["code"]
    await ok(gw.put(f"/training/v1/departments/{dept}", headers=HR, json={
        "name": "热处理车间", "manager_employee_nos": [manager, head]}))
    role = (await ok(gw.put(f"/training/v1/job-roles/{uid('R')}", headers=HR,
                            json={"name": "热处理工", "family": "production"})))["code"]
    course = (await create_course(gw, title="热处理工艺"))["code"]
    safety = (await create_course(gw, title="热处理安全"))["code"]
    people = {key: uid(f"{key}-") for key in ("A", "B", "C", "L")}
    for key, no in {**people, "M": manager, "H": head}.items():
        await create_employee(gw, employee_no=no, department=dept, role=role,
                              name=f"员工{key}", hired_on="2023-01-01")
    # six more at work elsewhere: the top 10% of the eleven holds two, A and M
    elsewhere = (await create_department(gw, name="装配车间"))["code"]
    for i in range(6):
        await create_employee(gw, employee_no=uid(f"F{i}-"), department=elsewhere, role=role,
                              name=f"员工F{i}", hired_on="2023-01-01")
    await complete(gw, people["A"], course, 150, 120)
    await complete(gw, manager, course, 150, 120)
    await complete(gw, people["B"], course, 70, 40, 10)
    await complete(gw, people["C"], course, 65, 35, 5)
    await complete(gw, people["L"], course, 200, 100)
    # B completed the plan, A did not: finished and unfinished assignments side by side
    await complete(gw, people["B"], safety, 50)
    await ok(gw.put(f"/training/v1/training-plans/{uid('P')}", headers=HR, json={
        "name": "热处理安全", "course_codes": [safety],
        "employee_nos": [people["A"], people["B"], manager], "due_on": days_ago(30)[:10]}))
    await _survey(gw, dept, {**people, "M": manager})
    await ok(gw.put(f"/training/v1/employees/{people['L']}", headers=HR, json={
        "name": "员工L", "department_code": dept, "job_role_code": role,
        "hired_on": "2023-01-01", "status": "left", "left_on": days_ago(20)[:10]}))
    return {"dept": dept, "manager": manager, "head": head, **people}


async def _survey(gw, dept: str, people: dict[str, str]) -> None:
    code = uid("SV")
    await ok(gw.put(f"/training/v1/surveys/{code}", headers=HR, json={
        "title": "培训满意度调查", "kind": "satisfaction", "opens_at": days_ago(60),
        "closes_at": days_ago(-30), "audience": {"department_code": dept},
        "questions": [
            {"code": "satisfaction", "kind": "scale", "text": "满意度"},
            {"code": "continue", "kind": "single_choice", "text": "是否愿意继续参加培训？",
             "options": [{"value": "yes", "label": "愿意"}, {"value": "no", "label": "不愿意"}]}]}))
    for key, scale, choice in (("A", 1, "no"), ("B", 4, "yes"), ("C", 4, "no"), ("M", 1, "no")):
        await ok(gw.post(f"/training/v1/surveys/{code}/responses", headers=HR, json={
            "employee_no": people[key], "answered_at": days_ago(20),
            "answers": [{"question": 1, "scale": scale}, {"question": 2, "choice": choice}]}))


async def finished_run(gw) -> dict[str, Any]:
    r = await gw.post(RUNS, headers=HR, json={"horizon_months": 3})
    if r.status_code == 409:  # another test's run: wait for it, then start ours
        await asyncio.sleep(1)
        return await finished_run(gw)
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"{RUNS}/{r.json()['id']}"
    deadline = asyncio.get_running_loop().time() + 300
    while True:
        run = (await gw.get(r.headers["location"], headers=HR)).json()
        if run["status"] != "running":
            assert run["status"] == "done", run
            return run
        assert 0 <= run["progress"] <= 100
        assert asyncio.get_running_loop().time() < deadline, run
        await asyncio.sleep(0.5)


@pytest.fixture(scope="module")
async def run(gw, team) -> dict[str, Any]:
    return await finished_run(gw)


async def test_a_run_refuses_the_model_without_enough_leavers_and_says_so(run):
    card = run["model_card"]
    assert run["method"] == "rules" and card["method"] == "rules"
    assert "离职样本不足" in card["refused"] and "model" not in card
    assert card["thresholds"] == {"min_train_leavers": 30, "min_holdout_leavers": 10}
    assert card["target"] == "3 个月内离职" and len(card["features"]) == 15
    assert card["as_of"] == run["as_of"] and card["employees_scored"] > 0


async def test_the_report_ranks_with_reasons_in_chinese(gw, team, run):
    r = await gw.get(REPORT, headers=HR, params={"department": team["dept"], "limit": 10})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["run"]["id"] == run["id"] and body["run"]["model_card"]["method"] == "rules"
    ranked = {i["employee_no"]: i for i in body["items"]}
    assert set(ranked) == {team[k] for k in ("A", "B", "C", "manager", "head")}  # L left
    assert ranked[team["manager"]]["level"] == "high"  # as fading as A
    first = body["items"][0]
    assert first["employee_no"] == team["A"] and first["level"] == "high"
    texts = [reason["text"] for reason in first["reasons"]]
    assert "已 120 天未参加任何培训" in texts and "最近一次调查表示不愿继续参加培训" in texts
    assert "有 1 项培训计划逾期未完成" in texts and "最近一次培训满意度评分 1（满分5）" in texts
    assert first["flags"] == len(texts) >= 5 and first["risk"] is None
    assert ranked[team["B"]]["reasons"] == [] and ranked[team["B"]]["level"] == "low"
    assert ranked[team["C"]]["rank"] < ranked[team["B"]]["rank"]
    assert first["indicators"]["days_since_training"] == 120

    page = (await gw.get(REPORT, headers=HR, params={"department": team["dept"],
                                                      "limit": 1})).json()
    rest = (await gw.get(REPORT, headers=HR, params={
        "department": team["dept"], "limit": 10, "cursor": page["next_cursor"]})).json()
    assert [i["employee_no"] for i in page["items"] + rest["items"]] == list(ranked)
    high = (await gw.get(REPORT, headers=HR, params={"department": team["dept"],
                                                      "level": "high"})).json()
    highs = [i["employee_no"] for i in high["items"]]
    assert highs[0] == team["A"] and team["B"] not in highs
    assert all(i["level"] == "high" for i in high["items"])


async def test_only_hr_auditors_and_own_managers_read_it_and_every_read_is_audited(gw, team,
                                                                                   run):
    own = auth(team["manager"], "manager", departments=(team["dept"],))
    r = await gw.get(REPORT, headers=own, params={"format": "csv"})
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf"), r.text
    text = r.content.decode("utf-8-sig")
    assert text.startswith("排名,工号,姓名") and "已 120 天未参加任何培训" in text
    assert "参与度下降规则" in text
    # never themself, never a fellow head of the department: A, B and C
    assert team["manager"] not in text and team["head"] not in text and team["A"] in text
    shown = (await gw.get(REPORT, headers=own)).json()["items"]
    assert {i["employee_no"] for i in shown} == {team[k] for k in ("A", "B", "C")}
    as_hr = (await gw.get(REPORT, headers=auth(team["B"], "hr_admin"),
                          params={"department": team["dept"]})).json()["items"]
    assert team["B"] not in {i["employee_no"] for i in as_hr} and len(as_hr) == 4
    assert (await gw.get(REPORT, headers=AUDITOR, params={"department": team["dept"]})
            ).status_code == 200
    other = auth("M-OTHER", "manager", departments=(uid("D"),))
    assert_problem(await gw.get(REPORT, headers=other, params={"department": team["dept"]}),
                   403, "not-your-department")
    for who in (auth(team["A"], "employee"), auth(team["B"], "employee"),
                auth("AS1", "assessor"), auth("lms", "integration")):
        assert_problem(await gw.get(REPORT, headers=who, params={"department": team["dept"]}),
                       403)
    assert_problem(await gw.get(REPORT), 401)

    reads = (await gw.get(f"{REPORT}/reads", headers=AUDITOR, params={"limit": 50})).json()
    mine = [x for x in reads["items"] if x["reader"] == team["manager"]]
    assert [x["format"] for x in mine] == ["json", "csv"]  # newest first
    assert mine[1]["roles"] == ["manager"] and mine[1]["employees_shown"] == 3
    assert mine[1]["department_code"] == team["dept"]
    assert mine[1]["run_id"] == run["id"] and mine[1]["request_id"]
    assert any(x["reader"] == "AUD01" for x in reads["items"])
    assert_problem(await gw.get(f"{REPORT}/reads", headers=own), 403)


async def test_the_weekly_digest_reaches_the_managers_feed(gw, stack, team, run):
    engine = create_engine(stack.database_url("training"), pool_size=2, max_overflow=0)
    app = SimpleNamespace(state=SimpleNamespace(
        sessionmaker=make_sessionmaker(engine),
        settings=Settings(database_url=stack.database_url("training"))))
    try:
        await weekly_digest(app)
        await weekly_digest(app)  # the same week again: nothing more
    finally:
        await engine.dispose()
    digests = (await gw.get("/training/v1/attrition-risk/digests", headers=HR)).json()
    ours = [d for d in digests["items"] if d["department_code"] == team["dept"]]
    assert len(ours) == 1 and team["A"] in ours[0]["new"] and ours[0]["managers"] == [
        team["manager"], team["head"]]
    assert team["manager"] not in ours[0]["high_risk"]  # high, but a head of it
    feed_url = f"/points/v1/accounts/{team['manager']}/notifications"
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        r = await gw.get(feed_url, headers=auth(team["manager"], "manager"))
        assert r.status_code in (200, 404), r.text
        feed = r.json()
        found = [n for n in feed.get("items", []) if n["kind"] == "attrition_risk_digest"]
        if found:
            break
        assert asyncio.get_running_loop().time() < deadline, feed
        await asyncio.sleep(0.2)
    assert len(found) == 1 and found[0]["title"].startswith("热处理车间：本周新增")
    assert "员工A（" in found[0]["body"] and team["A"] in found[0]["data"]["employee_nos"]


async def test_a_failed_weekly_run_is_started_again_at_the_next_check(stack, run,
                                                                   monkeypatch):
    """The first check of a week may meet an empty database (a first start) or points_api
    down: its run fails, and the week's run must not be given up for it."""
    from sqlalchemy import delete

    from services.training_api.attrition import digest
    from services.training_api.attrition.models import AttritionRun

    engine = create_engine(stack.database_url("training"), pool_size=2, max_overflow=0)
    app = SimpleNamespace(state=SimpleNamespace(
        sessionmaker=make_sessionmaker(engine),
        settings=Settings(database_url=stack.database_url("training"))))
    later = datetime.now(UTC) + timedelta(days=400)  # a week no run has finished in
    started: list[str] = []

    async def start(app: Any, *, horizon: int, actor: str) -> None:
        started.append(actor)

    monkeypatch.setattr(digest.risk_runs, "start", start)
    failed = AttritionRun(status="failed", horizon_months=3, as_of=later.date(),
                          requested_by=digest.SYSTEM, started_at=later, heartbeat_at=later,
                          finished_at=later, error="points_api unavailable")
    try:
        async with app.state.sessionmaker() as session, session.begin():
            session.add(failed)
        await weekly_digest(app, today=later.date())
        assert started == [digest.SYSTEM]
    finally:
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(delete(AttritionRun).where(AttritionRun.id == failed.id))
        await engine.dispose()


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    ("post", RUNS, {"json": {"horizon_months": 0}}, 422),
    ("post", RUNS, {"json": {"horizon_months": 13}}, 422),
    ("post", RUNS, {"json": {"horizon_months": "三"}}, 422),
    ("post", RUNS, {"json": {"horizon": 3}}, 422),
    ("get", f"{RUNS}/not-a-uuid", {}, 422),
    ("get", f"{RUNS}/00000000-0000-0000-0000-000000000000", {}, 404),
    ("get", RUNS, {"params": {"cursor": "garbage!"}}, 422),
    ("get", REPORT, {"params": {"level": "extreme"}}, 422),
    ("get", REPORT, {"params": {"cursor": "garbage!"}}, 422),
    ("get", REPORT, {"params": {"limit": 501}}, 422),
    ("get", REPORT, {"params": {"department": "NO-SUCH-DEPT"}}, 404),
    ("get", f"{REPORT}/reads", {"params": {"cursor": "eyJ4IjoxfQ"}}, 404),
])
async def test_bad_input_is_a_problem(gw, method, path, kwargs, status):
    r = await getattr(gw, method)(path, headers=HR, **kwargs)
    assert_problem(r, status)


async def test_runs_are_for_hr_to_start_and_hr_or_auditors_to_read(gw, run):
    for who in (auth("E1", "employee"), AUDITOR, auth("M1", "manager", departments=("X",))):
        assert_problem(await gw.post(RUNS, headers=who, json={}), 403)
    for who in (auth("E1", "employee"), auth("M1", "manager", departments=("X",))):
        assert_problem(await gw.get(f"{RUNS}/{run['id']}", headers=who), 403)
        assert_problem(await gw.get("/training/v1/attrition-risk/digests", headers=who), 403)
    listed = (await gw.get(RUNS, headers=AUDITOR, params={"limit": 1})).json()
    assert len(listed["items"]) == 1 and listed["items"][0]["status"] in ("done", "running")


async def test_jifen_report_shows_the_ranking_and_the_validation(stack, team, run):
    from tests.e2e.test_cli import run as jifen

    shown = jifen("report", "attrition-risk", "--department", team["dept"], "--url",
                  stack.gateway_url, "--format", "table")
    assert shown.returncode == 0, shown.stderr
    lines = [line.strip() for line in shown.stdout.splitlines() if line.strip()]
    assert lines[0] == (f"流失风险预警 · {team['dept']} · 3 个月内离职 · "
                        "参与度下降规则（模型样本不足）")
    assert team["A"] in lines[3] and "已 120 天未参加任何培训" in lines[3]
    assert any("离职样本不足" in line for line in lines)
    assert any(line.startswith("规则：60 天未参加培训") for line in lines)
