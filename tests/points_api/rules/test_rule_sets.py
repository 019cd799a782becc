"""Rule sets through the API: the default set, drafts, validation, publication with
an effective time, and the confirmer-range check training_api makes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.conftest import auth, call_direct
from tests.points_api.event_factories import (
    HR,
    course,
    earn,
    fact,
    iso,
    new_employee,
)

AUDITOR = auth("AU1", "auditor")


async def draft(gw, **body) -> dict:
    r = await gw.post("/points/v1/rule-sets", headers=HR, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def test_default_rule_set_is_version_1_published_since_2000(gw):
    r = await gw.get("/points/v1/rule-sets/1", headers=AUDITOR)

    assert r.status_code == 200, r.text
    rule_set = r.json()
    assert rule_set["status"] == "published"
    assert rule_set["effective_at"].startswith("2000-01-01")
    ids = {rule["id"] for rule in rule_set["rules"]}
    assert {"course.per_class_hour", "live.speak", "exam.score", "practical.passed",
            "skill_application.confirmed"} <= ids
    before_2000 = await gw.get("/points/v1/rule-sets/active", headers=AUDITOR,
                               params={"at": "1999-12-31T23:59:59+00:00"})
    assert before_2000.status_code == 422  # the API takes the years 2000-2100


async def active_set(gw) -> dict:
    r = await gw.get("/points/v1/rule-sets/active", headers=HR)
    assert r.status_code == 200, r.text
    return r.json()


async def test_invalid_draft_lists_its_problems_and_is_not_published(gw):
    active = await active_set(gw)
    created = await draft(gw, copy_from=active["version"], note="分数段调整")
    version = created["version"]
    assert (created["status"], created["copied_from"]) == ("draft", active["version"])
    assert created["rules"] == active["rules"]
    broken = [*active["rules"], {
        "id": "exam.reversed", "name": "倒序分数段", "event_type": "exam.attempted",
        "category": "outcome", "award": {"kind": "score_bands", "bands": [
            {"min_score": 60, "points": 5}, {"min_score": 90, "points": 10}]}}, {
        "id": "boost", "name": "加倍", "event_type": "course.completed",
        "category": "participation",
        "award": {"kind": "multiplier", "factor": "2", "target_rule_ids": ["missing"]}}]
    r = await gw.put(f"/points/v1/rule-sets/{version}", headers=HR, json={"rules": broken})
    assert r.status_code == 200, r.text
    assert r.json()["note"] == "分数段调整"  # left out, so kept

    report = (await gw.post(f"/points/v1/rule-sets/{version}/validate", headers=AUDITOR)).json()
    refused = await gw.post(f"/points/v1/rule-sets/{version}/publish", headers=HR, json={})

    assert report["valid"] is False
    assert {p["pointer"] for p in report["problems"]} == {
        f"#/rules/{len(active['rules'])}", f"#/rules/{len(active['rules']) + 1}"}
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/rule-set-invalid")
    assert len(refused.json()["errors"]) == len(report["problems"])
    assert (await gw.get(f"/points/v1/rule-sets/{version}", headers=HR)).json()["status"] == (
        "draft")


async def test_published_version_applies_only_from_its_effective_time(gw):
    code = f"EQ-{uuid.uuid4().hex[:6]}"
    active = await active_set(gw)
    version = (await draft(gw, copy_from=active["version"], note="新设备课程加分"))["version"]
    special = {"id": "course.new_equipment", "name": "新设备课程", "priority": 0,
               "event_type": "course.completed", "category": "participation",
               "exclusive_group": "course.completion",
               "filters": {"course_codes": [code]}, "award": {"kind": "fixed", "points": 99}}
    await gw.put(f"/points/v1/rule-sets/{version}", headers=HR,
                 json={"rules": [*active["rules"], special]})
    assert (await gw.post(f"/points/v1/rule-sets/{version}/validate", headers=HR)).json() == {
        "version": version, "valid": True, "problems": []}
    # in the future, so that the other tests' events (now) keep the rules they expect
    effective = datetime.now(UTC) + timedelta(hours=1)

    r = await gw.post(f"/points/v1/rule-sets/{version}/publish", headers=HR,
                      json={"effective_at": iso(effective)})

    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["published_by"]) == ("published", "HR001")
    emp = await new_employee(gw)
    before = await earn(gw, "course.completed", course(emp["employee_no"], code=code))
    after = await earn(gw, "course.completed", course(
        emp["employee_no"], code=code, at=effective + timedelta(minutes=5)))
    assert before["total_points"] == 16
    assert before["awarded"][0]["rule_set_version"] == active["version"]
    assert (after["total_points"], after["awarded"][0]["rule_set_version"]) == (99, version)
    at_effect = await gw.get("/points/v1/rule-sets/active", headers=AUDITOR,
                             params={"at": iso(effective)})
    assert at_effect.json()["version"] == version


async def test_malformed_rules_and_drafts_are_422(gw):
    created = await draft(gw)
    assert created["rules"] == []
    lottery = {"id": "lottery", "name": "抽奖", "event_type": "course.completed",
               "category": "participation", "award": {"kind": "lottery"}}

    bad_award = await gw.put(f"/points/v1/rule-sets/{created['version']}", headers=HR,
                             json={"rules": [lottery]})
    both = await gw.post("/points/v1/rule-sets", headers=HR, json={"copy_from": 1, "rules": []})
    unknown = await gw.post("/points/v1/rule-sets", headers=HR, json={"copy_from": 99999})
    empty = await gw.post(f"/points/v1/rule-sets/{created['version']}/publish", headers=HR,
                          json={})
    naive = await gw.post(f"/points/v1/rule-sets/{created['version']}/publish", headers=HR,
                          json={"effective_at": "2030-01-01T00:00:00"})

    assert bad_award.status_code == both.status_code == naive.status_code == 422
    assert unknown.status_code == 409
    assert empty.status_code == 409  # a set without rules would pay nothing


async def test_rule_set_roles(gw):
    employee = auth("E1", "employee")

    assert (await gw.get("/points/v1/rule-sets", headers=employee)).status_code == 403
    assert (await gw.get("/points/v1/rule-sets", headers=AUDITOR)).status_code == 200
    assert (await gw.post("/points/v1/rule-sets", headers=AUDITOR, json={})).status_code == 403
    assert (await gw.get("/points/v1/rule-sets/424242", headers=HR)).status_code == 404


async def test_rule_sets_are_listed_newest_first_page_by_page(gw):
    await draft(gw, note="a")
    await draft(gw, note="b")

    first = (await gw.get("/points/v1/rule-sets", headers=HR, params={"limit": 1})).json()
    second = (await gw.get("/points/v1/rule-sets", headers=HR,
                           params={"limit": 1, "cursor": first["next_cursor"]})).json()
    published = (await gw.get("/points/v1/rule-sets", headers=HR,
                              params={"status": "published", "limit": 500})).json()
    bad = await gw.get("/points/v1/rule-sets", headers=HR, params={"cursor": "%%%"})

    assert first["items"][0]["version"] > second["items"][0]["version"]
    assert "rules" not in first["items"][0]
    assert 1 in [item["version"] for item in published["items"]]
    assert all(item["status"] == "published" for item in published["items"])
    assert bad.status_code == 422  # not even the shape of a cursor


async def test_confirmer_range_for_training_api(gw):
    emp = await new_employee(gw)
    query = {"event_type": "skill_application.confirmed", "employee_no": emp["employee_no"],
             "payload": fact(emp["employee_no"], summary="改进夹具", points=80, confirmer="M1")}

    async def ask(body: dict, **kwargs):
        return await call_direct(gw, "POST", "/points/v1/internal/confirmer-range", json=body,
                                 **({"caller": "training"} | kwargs))

    r = await ask(query)
    partial = await ask({**query, "payload": {}})
    no_rule = await ask({**query, "event_type": "note.shared"})
    unknown = await ask({**query, "employee_no": "NOBODY-X"})
    forbidden = await ask(query, caller="rewards")
    public = await gw.post("/points/v1/internal/confirmer-range", headers=HR, json=query)

    assert r.status_code == 200, r.text
    assert r.json()["min_points"] == 50 and r.json()["max_points"] == 100
    assert r.json()["rule_id"] == "skill_application.confirmed"
    assert partial.json() == r.json()
    assert no_rule.status_code == 404
    assert no_rule.json()["type"].endswith("/no-confirmer-rule")
    assert unknown.status_code == 404
    assert forbidden.status_code == 403
    assert public.status_code == 404  # the gateway does not route internal paths
