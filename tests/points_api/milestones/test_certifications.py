"""Certifications: granted automatically once when the criteria are met (skills
from training_api), the payroll webhook delivered once, revocation, and the
sweep for points HR adjusted by hand."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from services.points_api.config import Settings
from services.points_api.milestones.criteria import add_months
from services.points_api.milestones.sweep import sweep_milestones
from shared.db import create_engine, make_sessionmaker
from tests.conftest import auth
from tests.factories import create_skill, uid
from tests.points_api.event_factories import HR, account
from tests.points_api.leaderboards.factories import give, hire, org_tree
from tests.points_api.webhooks.receiver import Receiver

ASSESSOR = auth("ASSESSOR-09", "assessor")


@pytest.fixture
async def certification(gw):
    """``await certification(min_points=...)`` defines one with a fresh code (its code);
    they are archived after the test so that other tests' employees never get them."""
    codes: list[str] = []

    async def define(**fields) -> str:
        code = uid("CERT")
        body = {"name": "高级设备操作员", "min_points": 500, "salary_raise_percent": "8",
                "validity_months": 24, **fields}
        r = await gw.put(f"/points/v1/certifications/{code}", headers=HR, json=body)
        assert r.status_code == 201, r.text
        codes.append(code)
        return code

    yield define
    for code in codes:
        await gw.delete(f"/points/v1/certifications/{code}", headers=HR)


def grants_of(mine: dict, code: str) -> list[dict]:
    return [g for g in mine["grants"] if g["certification_code"] == code]


async def certifications_of(gw, no: str) -> dict:
    r = await gw.get(f"/points/v1/accounts/{no}/certifications", headers=auth(no))
    assert r.status_code == 200, r.text
    return r.json()


async def prove_skill(gw, no: str, skill: str) -> None:
    """A passed practical assessment in training_api (30 points, and the skill)."""
    before = (await account(gw, no))["qualifying_points"]
    r = await gw.post("/training/v1/practical-assessments", headers=ASSESSOR, json={
        "employee_no": no, "skill_code": skill, "passed": True,
        "assessed_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()})
    assert r.status_code == 201, r.text
    for _ in range(300):
        if (await account(gw, no))["qualifying_points"] == before + 30:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the practical assessment's points never arrived")


@pytest.fixture
async def payroll(gw):
    """A receiver subscribed to certification events, as a payroll system would be."""
    receiver = Receiver().start()
    r = await gw.post("/points/v1/webhooks", headers=HR, json={
        "url": receiver.url, "event_types": ["certification.granted", "certification.revoked"],
        "description": "薪资系统"})
    assert r.status_code == 201, r.text
    yield receiver
    await gw.delete(f"/points/v1/webhooks/{r.json()['id']}", headers=HR)
    receiver.stop()


def received(receiver: Receiver, event_type: str, no: str) -> list[dict]:
    return [r.json for r in list(receiver.requests)
            if r.json["type"] == event_type and r.json["data"]["employee_no"] == no]


async def test_granted_once_when_crossed_and_payroll_hears_once(gw, payroll, certification):
    skill = (await create_skill(gw, name="设备调试"))["code"]
    threshold = 800_031
    code = await certification(min_points=threshold, required_skills=[skill])
    org = await org_tree(gw)
    no = await hire(gw, org["line"], org["role"], name="李强")
    await prove_skill(gw, no, skill)
    await give(gw, no, 800_000)
    assert grants_of(await certifications_of(gw, no), code) == []

    await asyncio.gather(give(gw, no, 1), give(gw, no, 1), give(gw, no, 7))
    await give(gw, no, 3)

    mine = await certifications_of(gw, no)
    (grant,) = grants_of(mine, code)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert (grant["status"], grant["salary_raise_percent"], grant["valid_from"]) == (
        "active", "8.00", today.isoformat())
    assert grant["valid_until"] == (add_months(today, 24) - timedelta(days=1)).isoformat()
    assert threshold <= grant["qualifying_points"] <= threshold + 8
    assert code not in [p["certification_code"] for p in mine["progress"]]
    for _ in range(300):
        if received(payroll, "certification.granted", no):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.5)  # time for a second delivery, were there one
    (event,) = received(payroll, "certification.granted", no)
    assert event["data"] == {**event["data"], "grant_id": grant["id"], "employee_no": no,
                             "employee_name": "李强", "certification_code": code,
                             "certification_name": "高级设备操作员",
                             "salary_raise_percent": "8.00", "valid_until": grant["valid_until"]}
    feed = (await gw.get(f"/points/v1/accounts/{no}/notifications", headers=auth(no),
                         params={"limit": 500})).json()["items"]
    assert [n["title"] for n in feed if n["kind"] == "certification_granted"] == [
        "获得认证：高级设备操作员"]


async def test_a_missing_skill_holds_the_grant_until_it_is_proven(gw, certification):
    skill = (await create_skill(gw, name="质量检验"))["code"]
    code = await certification(min_points=810_000, required_skills=[skill])
    org = await org_tree(gw)
    no = await hire(gw, org["line"], org["role"])
    await give(gw, no, 810_000)

    waiting = await certifications_of(gw, no)
    (progress,) = [p for p in waiting["progress"] if p["certification_code"] == code]
    assert [(c["kind"], c["status"]) for c in progress["criteria"]] == [
        ("points", "met"), ("skills", "missing")]
    assert progress["criteria"][1]["missing_skills"] == [skill]
    assert grants_of(waiting, code) == []

    await prove_skill(gw, no, skill)

    (grant,) = grants_of(await certifications_of(gw, no), code)
    assert grant["status"] == "active"


async def test_hr_revokes_with_a_reason_and_it_is_not_granted_again(gw, payroll,
                                                                    certification):
    code = await certification(min_points=820_000, validity_months=None)
    org = await org_tree(gw)
    no = await hire(gw, org["line"], org["role"])
    await give(gw, no, 820_000)
    (grant,) = grants_of(await certifications_of(gw, no), code)
    path = f"/points/v1/certification-grants/{grant['id']}/revoke"

    by_employee = await gw.post(path, headers=auth(no), json={"reason": "x"})
    revoked = await gw.post(path, headers=HR, json={"reason": "考核材料不实"})
    again = await gw.post(path, headers=HR, json={"reason": "再次撤销"})
    await give(gw, no, 10)

    assert by_employee.status_code == 403
    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["status"], revoked.json()["revoke_reason"],
            revoked.json()["revoked_by"]) == ("revoked", "考核材料不实", "HR001")
    assert revoked.json()["valid_until"] is None
    assert again.status_code == 409
    assert again.json()["type"].endswith("/certification-grant-revoked")
    (still,) = grants_of(await certifications_of(gw, no), code)
    assert still["status"] == "revoked"
    listed = await gw.get("/points/v1/certification-grants", headers=HR,
                          params={"certification_code": code})
    assert [g["id"] for g in listed.json()["items"]] == [grant["id"]]
    for _ in range(300):
        if received(payroll, "certification.revoked", no):
            break
        await asyncio.sleep(0.05)
    (event,) = received(payroll, "certification.revoked", no)
    assert (event["data"]["reason"], event["data"]["certification_code"]) == (
        "考核材料不实", code)


async def test_points_adjusted_by_hr_are_granted_by_the_sweep(gw, stack, certification):
    code = await certification(min_points=830_000)
    org = await org_tree(gw)
    no = await hire(gw, org["line"], org["role"])
    r = await gw.post(f"/points/v1/accounts/{no}/adjustments", headers=HR, json={
        "points": 830_000, "category": "outcome", "reason": "补录历史积分"})
    assert r.status_code == 201, r.text

    engine = create_engine(stack.database_url("points"), pool_size=2, max_overflow=0)
    app = SimpleNamespace(state=SimpleNamespace(
        sessionmaker=make_sessionmaker(engine),
        settings=Settings(database_url=stack.database_url("points"))))
    try:
        await sweep_milestones(app)
        await sweep_milestones(app)  # a second sweep grants nothing twice
    finally:
        await engine.dispose()

    (grant,) = grants_of(await certifications_of(gw, no), code)
    assert (grant["status"], grant["qualifying_points"]) == ("active", 830_000)


async def test_certification_catalogue(gw):
    code = uid("CERT")  # archived below
    created = await gw.put(f"/points/v1/certifications/{code}", headers=HR, json={
        "name": "高级设备操作员", "min_points": 900_000, "salary_raise_percent": "7.5"})
    too_low = await gw.put(f"/points/v1/certifications/{code}", headers=HR, json={
        "name": "x", "min_points": 1, "salary_raise_percent": "4"})
    too_high = await gw.put(f"/points/v1/certifications/{code}", headers=HR, json={
        "name": "x", "min_points": 1, "salary_raise_percent": "10.5"})
    read = await gw.get(f"/points/v1/certifications/{code}", headers=auth("E1"))
    archived = await gw.delete(f"/points/v1/certifications/{code}", headers=HR)
    gone = await gw.get(f"/points/v1/certifications/{code}", headers=HR)
    active = await gw.get("/points/v1/certifications", headers=HR,
                          params={"active": True, "limit": 500})
    inactive = await gw.get("/points/v1/certifications", headers=HR,
                            params={"active": False, "limit": 500})

    assert created.status_code == 201, created.text
    assert (too_low.status_code, too_high.status_code) == (422, 422)
    assert (read.json()["salary_raise_percent"], read.json()["validity_months"]) == (
        "7.50", None)
    assert archived.json()["active"] is False
    assert gone.status_code == 404 and gone.json()["type"].endswith("/certification-not-found")
    assert code not in [c["code"] for c in active.json()["items"]]
    assert code in [c["code"] for c in inactive.json()["items"]]
