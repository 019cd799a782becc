"""The target mix: HR sets it as a new version, each with who and when; invalid
targets are refused with a pointer per problem; others may only read it or not."""

from __future__ import annotations

import copy

import pytest

from tests.conftest import auth
from tests.points_api.event_factories import HR

PATH = "/points/v1/points-mix/targets"
TARGETS = {
    "categories": {"participation": {"target_percent": 35, "tolerance_percent": 5},
                   "outcome": {"target_percent": 55, "tolerance_percent": 5},
                   "growth": {"target_percent": 10, "tolerance_percent": 3}},
    "sources": [{"label": "实操任务", "rule_ids": ["practical.passed"], "min_percent": 20},
                {"label": "直播互动", "rule_ids": ["live.speak", "live.question"],
                 "max_percent": 10}],
    "note": "试点后提高成果积分占比"}


def with_(**changes) -> dict:
    body = copy.deepcopy(TARGETS)
    body.update(changes)
    return body


async def test_hr_sets_targets_and_everyone_allowed_reads_who_set_them(gw):
    r = await gw.put(PATH, headers=HR, json=TARGETS)

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["is_default"] is False and body["version"] >= 1
    assert body["updated_by"] == "HR001" and body["updated_at"]
    assert body["note"] == "试点后提高成果积分占比"
    assert body["sources"][1] == {"label": "直播互动", "rule_ids": ["live.speak", "live.question"],
                                  "min_percent": None, "max_percent": 10}
    for reader in (HR, auth("AUD", "auditor")):
        read = await gw.get(PATH, headers=reader)
        assert read.status_code == 200 and read.json() == body


async def test_each_change_is_a_version_and_the_same_targets_change_nothing(gw):
    first = (await gw.put(PATH, headers=HR, json=TARGETS)).json()
    again = await gw.put(PATH, headers=HR, json=TARGETS)
    changed = await gw.put(PATH, headers=auth("HR002", "hr_admin"),
                           json=with_(sources=[], note=None))

    assert again.status_code == 200 and again.json()["version"] == first["version"]
    assert changed.status_code == 200
    assert changed.json()["version"] > first["version"]
    assert changed.json()["sources"] == [] and changed.json()["updated_by"] == "HR002"
    history = await gw.get(f"{PATH}/history", headers=HR, params={"limit": 1})
    page = history.json()
    assert [v["version"] for v in page["items"]] == [changed.json()["version"]]
    older = await gw.get(f"{PATH}/history", headers=HR,
                         params={"limit": 1, "cursor": page["next_cursor"]})
    assert older.json()["items"][0]["version"] == first["version"]
    assert older.json()["items"][0]["sources"] == first["sources"]


async def test_targets_must_add_up_to_100(gw):
    body = with_()
    body["categories"]["growth"]["target_percent"] = 5

    r = await gw.put(PATH, headers=HR, json=body)

    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["type"].endswith("/invalid-targets")
    assert problem["errors"] == [{"pointer": "#/categories", "detail": (
        "the category targets add up to 95; they must add up to 100")}]


async def test_every_problem_of_the_named_sources_is_pointed_at(gw):
    body = with_(sources=[
        {"label": "实操任务", "rule_ids": ["practical.passed"], "max_percent": 50},
        {"label": "考试", "rule_ids": ["exam.score", "exam.score"], "min_percent": 30,
         "max_percent": 10},
        {"label": " 实操任务 ", "rule_ids": ["practical.passed"], "min_percent": 5}])
    no_bound = with_(sources=[{"label": "实操任务", "rule_ids": ["practical.passed"]}])

    r = await gw.put(PATH, headers=HR, json=body)
    unbounded = await gw.put(PATH, headers=HR, json=no_bound)

    assert r.status_code == 409, r.text
    assert [e["pointer"] for e in r.json()["errors"]] == [
        "#/sources/1/max_percent", "#/sources/1/rule_ids/1", "#/sources/2/label"]
    assert unbounded.status_code == 422  # the schema asks for min_percent or max_percent
    assert [e["pointer"] for e in unbounded.json()["errors"]] == [
        "#/sources/0/min_percent", "#/sources/0/max_percent"]


@pytest.mark.parametrize(("change", "pointer"), [
    ({"categories": {"participation": {"target_percent": 101, "tolerance_percent": 5},
                     "outcome": {"target_percent": 0, "tolerance_percent": 5},
                     "growth": {"target_percent": 0, "tolerance_percent": 5}}},
     "#/categories/participation/target_percent"),
    ({"sources": [{"label": "", "rule_ids": ["practical.passed"], "min_percent": 1}]},
     "#/sources/0/label"),
    ({"sources": [{"label": "实操", "rule_ids": [], "min_percent": 1}]}, "#/sources/0/rule_ids"),
    ({"sources": [{"label": "实操", "rule_ids": ["Not A Rule"], "min_percent": 1}]},
     "#/sources/0/rule_ids/0"),
    ({"colour": "red"}, "#/colour"),
])
async def test_malformed_targets_are_422_with_a_pointer(gw, change, pointer):
    r = await gw.put(PATH, headers=HR, json=with_(**change))

    assert r.status_code == 422, r.text
    assert pointer in [e["pointer"] for e in r.json()["errors"]]


async def test_sources_are_required_so_a_put_never_drops_them_by_accident(gw):
    body = with_()
    del body["sources"]

    r = await gw.put(PATH, headers=HR, json=body)

    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "#/sources"


async def test_only_hr_sets_targets_and_employees_cannot_read_them(gw):
    for who in (auth("AUD", "auditor"), auth("E1", "employee"),
                auth("M-1", "manager", departments=("D1",))):
        r = await gw.put(PATH, headers=who, json=TARGETS)
        assert r.status_code == 403, r.text
    employee = auth("E1", "employee")
    assert (await gw.get(PATH, headers=employee)).status_code == 403
    assert (await gw.get(f"{PATH}/history", headers=employee)).status_code == 403
    assert (await gw.get(PATH)).status_code == 401
