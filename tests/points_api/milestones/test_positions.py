"""Positions: HR's criteria, and the eligibility an employee reads with what is
missing; eligibility reached is notified once."""

from __future__ import annotations

from tests.conftest import auth
from tests.factories import create_skill, uid
from tests.points_api.event_factories import HR
from tests.points_api.leaderboards.factories import give, hire, org_tree


async def put_position(gw, code: str, **fields) -> dict:
    body = {"name": "生产组长", "min_points": 500, "points_window_months": 12, **fields}
    r = await gw.put(f"/points/v1/positions/{code}", headers=HR, json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()


async def eligibility(gw, no: str, code: str, headers=None) -> dict:
    r = await gw.get(f"/points/v1/accounts/{no}/eligibility", headers=headers or auth(no),
                     params={"position_code": code})
    assert r.status_code == 200, r.text
    (position,) = r.json()["positions"]
    return position


async def test_a_490_point_employee_sees_10_points_missing(gw):
    skill = (await create_skill(gw, name="班组管理"))["code"]
    code = uid("TL")
    await put_position(gw, code, required_skills=[skill], min_tenure_months=12)
    org = await org_tree(gw)
    no = await hire(gw, org["line"], org["role"], hired_on="2020-01-01")
    await give(gw, no, 490)

    position = await eligibility(gw, no, code)

    assert (position["position_code"], position["position_name"]) == (code, "生产组长")
    assert position["eligible"] is False and position["reached_at"] is None
    points, skills, tenure = position["criteria"]
    assert points == {"kind": "points", "status": "missing", "value": 490, "target": 500,
                      "missing": 10, "unit": "points", "missing_skills": [],
                      "detail": "近 12 个月合格积分 490 / 500，还差 10 分"}
    assert (skills["status"], skills["missing"], skills["missing_skills"]) == (
        "missing", 1, [skill])
    assert (tenure["status"], tenure["missing"]) == ("met", 0)


async def test_reaching_every_criterion_is_notified_once(gw):
    code = uid("TL")
    threshold = 700_001
    await put_position(gw, code, min_points=threshold, points_window_months=None)
    org = await org_tree(gw)
    no = await hire(gw, org["line"], org["role"])
    await give(gw, no, threshold - 1)
    assert (await eligibility(gw, no, code))["eligible"] is False

    await give(gw, no, 1)
    await give(gw, no, 5)

    position = await eligibility(gw, no, code)
    assert position["eligible"] is True and position["reached_at"] is not None
    feed = (await gw.get(f"/points/v1/accounts/{no}/notifications", headers=auth(no),
                         params={"limit": 500})).json()["items"]
    reached = [n for n in feed if n["kind"] == "eligibility_reached"]
    assert [n["title"] for n in reached] == ["已具备晋升资格：生产组长"]
    assert reached[0]["data"] == {"position_code": code, "qualifying_points": threshold}


async def test_hr_keeps_positions_and_everyone_reads_them(gw):
    code = uid("TL")
    created = await gw.put(f"/points/v1/positions/{code}", headers=HR,
                           json={"name": "生产组长", "min_points": 500})
    replaced = await gw.put(f"/points/v1/positions/{code}", headers=HR,
                            json={"name": "生产组长", "min_points": 600, "min_tenure_months": 6})
    employee = auth("E-READER")
    read = await gw.get(f"/points/v1/positions/{code}", headers=employee)
    listed = await gw.get("/points/v1/positions", headers=employee, params={"limit": 500})
    refused = await gw.put(f"/points/v1/positions/{code}", headers=employee,
                           json={"name": "x"})
    archived = await gw.delete(f"/points/v1/positions/{code}", headers=HR)
    gone = await gw.get(f"/points/v1/positions/{code}", headers=employee)
    missing = await gw.get("/points/v1/positions/NO-SUCH", headers=employee)
    invalid = await gw.put(f"/points/v1/positions/{code}", headers=HR,
                           json={"name": "生产组长", "min_points": -1})

    assert (created.status_code, replaced.status_code) == (201, 200)
    assert (read.json()["min_points"], read.json()["min_tenure_months"]) == (600, 6)
    assert read.json()["points_window_months"] is None
    assert code in [p["code"] for p in listed.json()["items"]]
    assert refused.status_code == 403
    assert (archived.status_code, archived.json()["active"]) == (200, False)
    assert gone.status_code == 404 and gone.json()["type"].endswith("/position-not-found")
    assert missing.status_code == 404 and missing.json()["type"].endswith("/position-not-found")
    assert invalid.status_code == 422


async def test_eligibility_has_the_accounts_visibility(gw):
    org = await org_tree(gw)
    no = await hire(gw, org["line"], org["role"])
    other = await hire(gw, org["line"], org["role"])
    path = f"/points/v1/accounts/{no}/eligibility"

    own = await gw.get(path, headers=auth(no))
    colleague = await gw.get(path, headers=auth(other))
    manager = await gw.get(path, headers=auth("M1", "manager", departments=(org["plant"],)))

    assert (own.status_code, colleague.status_code, manager.status_code) == (200, 404, 200)
