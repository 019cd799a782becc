"""The points mix report: every figure of a small plant against the hand-worked
answer in plant.py, scopes, alerts, the empty period, CSV and who may read it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from services.points_api.ledger.periods import month_key
from tests.conftest import auth
from tests.points_api.event_factories import HR, course, earn, new_employee
from tests.points_api.mix.plant import MONTH

PATH = "/points/v1/reports/points-mix"
TARGETS = "/points/v1/points-mix/targets"
BOM = b"\xef\xbb\xbf"
DEFAULT_TARGETS = {
    "categories": {"participation": {"target_percent": 40, "tolerance_percent": 5},
                   "outcome": {"target_percent": 50, "tolerance_percent": 5},
                   "growth": {"target_percent": 10, "tolerance_percent": 5}},
    "sources": [{"label": "实操任务", "rule_ids": ["practical.passed"], "min_percent": 20}]}


@pytest.fixture(autouse=True)
async def default_mix(gw):
    """The default figures as set targets: each test starts from the same mix."""
    r = await gw.put(TARGETS, headers=HR, json=DEFAULT_TARGETS)
    assert r.status_code == 200, r.text


async def report(gw, **params) -> dict:
    r = await gw.get(PATH, headers=HR, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def by_key(items: list[dict], key: str) -> dict[str, dict]:
    return {item[key]: item for item in items}


async def test_categories_of_the_plant_with_its_sub_departments(gw, plant):
    body = await report(gw, period=MONTH, department=plant.plant)

    assert body["period"] == {"key": MONTH, "first_day": "2021-05-01", "last_day": "2021-05-31",
                              "timezone": "Asia/Shanghai"}
    assert body["scope"] == {"department": plant.plant, "family": None, "front_line": None}
    assert (body["total_points"], body["entries"]) == (218, 9)
    assert [(c["category"], c["label"], c["points"], c["share_percent"], c["target_percent"],
             c["band_low_percent"], c["band_high_percent"], c["status"])
            for c in body["categories"]] == [
        ("participation", "参与度积分", 93, 42.66, 40, 35, 45, "ok"),
        ("outcome", "成果积分", 125, 57.34, 50, 45, 55, "above"),
        ("growth", "成长积分", 0, 0.0, 10, 5, 15, "below")]


async def test_sources_are_the_rules_that_paid_net_of_reversals(gw, plant):
    body = await report(gw, period=MONTH, department=plant.plant)

    assert [(s["rule_id"], s["rule_name"], s["category"], s["points"], s["share_percent"],
             s["entries"], s["reversals"]) for s in body["sources"]] == [
        ("skill_application.confirmed", "技能应用确认", "outcome", 80, 36.7, 1, 0),
        ("course.per_class_hour", "按课时计分", "participation", 46, 21.1, 2, 0),
        ("course.explicit_value", "课程指定积分", "participation", 45, 20.64, 2, 0),
        ("practical.passed", "实操考核通过", "outcome", 30, 13.76, 1, 0),
        ("exam.score", "考试成绩", "outcome", 15, 6.88, 1, 0),
        ("live.speak", "直播课发言", "participation", 2, 0.92, 1, 0),
        ("note.shared", "分享学习笔记", "participation", 0, 0.0, 1, 1)]
    assert body["adjustments"] == {"points": 0, "entries": 0, "participation": 0,
                                   "outcome": 0, "growth": 0}


async def test_practical_tasks_under_20_percent_alert_with_the_outcome_and_growth_bands(
        gw, plant):
    body = await report(gw, period=MONTH, department=plant.plant)

    assert body["source_targets"] == [{
        "label": "实操任务", "rule_ids": ["practical.passed"], "points": 30,
        "share_percent": 13.76, "min_percent": 20, "max_percent": None, "status": "below"}]
    assert [(a["kind"], a["subject"], a["status"], a["share_percent"], a["bound_percent"],
             a["message"], a["suggestion"]) for a in body["alerts"]] == [
        ("category", "outcome", "above", 57.34, 55,
         "成果积分 占 57.4%，高于目标 50%（容许 45%–55%）",
         "考虑检查考试和实操考核的分值与通过标准是否过宽"),
        ("category", "growth", "below", 0.0, 5, "成长积分 占 0%，低于目标 10%（容许 5%–15%）",
         "考虑提高排名奖励、连续激励等成长类积分"),
        ("source", "实操任务", "below", 13.76, 20, "实操任务 占 13.7%，低于目标下限 20%",
         "考虑提高「实操考核通过」的积分")]
    assert body["targets"]["is_default"] is False
    assert body["targets"]["updated_by"] == "HR001"


async def test_a_department_counts_its_own_employees_only(gw, plant):
    body = await report(gw, period=MONTH, department=plant.dept)

    assert body["total_points"] == 193
    cats = by_key(body["categories"], "category")
    assert (cats["participation"]["points"], cats["participation"]["share_percent"],
            cats["participation"]["status"]) == (68, 35.23, "ok")
    assert (cats["outcome"]["points"], cats["outcome"]["share_percent"]) == (125, 64.77)
    assert by_key(body["sources"], "rule_id")["course.explicit_value"]["points"] == 20
    assert body["source_targets"][0]["share_percent"] == 15.54


async def test_family_and_front_line_narrow_the_scope(gw, plant):
    technical = await report(gw, period=MONTH, department=plant.plant, family="technical")
    front = await report(gw, period=MONTH, department=plant.plant, front_line="true")
    others = await report(gw, period=MONTH, department=plant.plant, front_line="false")

    assert technical["total_points"] == others["total_points"] == 100
    assert [(c["points"], c["share_percent"], c["status"]) for c in technical["categories"]] == [
        (20, 20.0, "below"), (80, 80.0, "above"), (0, 0.0, "below")]
    assert technical["source_targets"][0]["points"] == 0
    assert front["total_points"] == 118
    assert [(c["points"], c["share_percent"]) for c in front["categories"]] == [
        (73, 61.86), (45, 38.14), (0, 0.0)]
    assert front["scope"] == {"department": plant.plant, "family": None, "front_line": True}


async def test_the_whole_company_counts_every_plant(gw, plant):
    body = await report(gw, period=MONTH)

    # plant.py's plant and E3's: nobody else earned anything in May 2021
    assert body["total_points"] == 268
    assert by_key(body["sources"], "rule_id")["course.explicit_value"]["points"] == 95


async def test_a_named_source_above_its_most_share_alerts(gw, plant):
    targets = {**DEFAULT_TARGETS, "sources": [
        {"label": "技能应用", "rule_ids": ["skill_application.confirmed"], "max_percent": 30},
        {"label": "课程与考试", "rule_ids": ["course.per_class_hour", "course.explicit_value",
                                        "exam.score"], "min_percent": 40, "max_percent": 60}]}
    assert (await gw.put(TARGETS, headers=HR, json=targets)).status_code == 200

    body = await report(gw, period=MONTH, department=plant.plant)

    assert [(s["label"], s["points"], s["share_percent"], s["status"])
            for s in body["source_targets"]] == [
        ("技能应用", 80, 36.7, "above"), ("课程与考试", 106, 48.62, "ok")]
    (alert,) = [a for a in body["alerts"] if a["kind"] == "source"]
    assert alert["message"] == "技能应用 占 36.7%，高于目标上限 30%"
    assert alert["suggestion"] == "考虑降低「技能应用确认」的积分或为其设置上限"


async def test_wider_bands_silence_the_category_alerts(gw, plant):
    targets = {**DEFAULT_TARGETS, "categories": {
        "participation": {"target_percent": 40, "tolerance_percent": 10},
        "outcome": {"target_percent": 55, "tolerance_percent": 5},
        "growth": {"target_percent": 5, "tolerance_percent": 5}}}
    assert (await gw.put(TARGETS, headers=HR, json=targets)).status_code == 200

    body = await report(gw, period=MONTH, department=plant.plant)

    assert [c["status"] for c in body["categories"]] == ["ok", "ok", "ok"]
    assert [a["subject"] for a in body["alerts"]] == ["实操任务"]


async def test_an_empty_period_has_no_shares_and_raises_no_alarm(gw, plant):
    body = await report(gw, period="M2021-02", department=plant.plant)

    assert (body["total_points"], body["entries"], body["sources"], body["alerts"]) == (
        0, 0, [], [])
    assert [(c["points"], c["share_percent"], c["status"]) for c in body["categories"]] == [
        (0, None, None)] * 3
    assert body["source_targets"][0]["share_percent"] is None
    assert body["source_targets"][0]["status"] is None


async def test_quarter_and_year_include_the_neighbouring_months(gw, plant):
    quarter = await report(gw, period="Q2021-2", department=plant.dept)
    year = await report(gw, period="Y2021", department=plant.dept)

    # May's 193 plus E1's practical of April 30 and course of June 1 (16)
    assert quarter["total_points"] == year["total_points"] == 193 + 30 + 16
    assert quarter["period"]["first_day"] == "2021-04-01"
    assert year["period"]["last_day"] == "2021-12-31"


async def test_adjustments_are_reported_beside_the_mix(gw):
    emp = await new_employee(gw)
    no, department = emp["employee_no"], emp["org"]["department"]["code"]
    await earn(gw, "course.completed", course(no))  # 16, now
    added = await gw.post(f"/points/v1/accounts/{no}/adjustments", headers=HR,
                          json={"points": 9, "category": "outcome", "reason": "补录实操考核"})
    taken = await gw.post(f"/points/v1/accounts/{no}/adjustments", headers=HR,
                          json={"points": -2, "category": "growth", "reason": "更正"})
    assert added.status_code == taken.status_code == 201
    reversed_ = await gw.post(f"/points/v1/entries/{taken.json()['id']}/reverse", headers=HR,
                              json={"reason": "更正有误"})
    assert reversed_.status_code == 201, reversed_.text

    body = await report(gw, department=department)  # the current month by default

    assert body["period"]["key"] == month_key(datetime.now(UTC), ZoneInfo("Asia/Shanghai"))
    assert body["total_points"] == 16
    assert [c["points"] for c in body["categories"]] == [16, 0, 0]
    assert body["adjustments"] == {"points": 9, "entries": 2, "participation": 0,
                                   "outcome": 9, "growth": 0}


def parse(content: bytes) -> list[list[str]]:
    assert content.startswith(BOM), content[:20]
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


async def test_csv_has_a_bom_and_keeps_chinese(gw, plant):
    r = await gw.get(PATH, headers=HR, params={"period": MONTH, "department": plant.plant,
                                               "format": "csv"})

    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert f"points-mix_{MONTH}_{plant.plant}.csv" in r.headers["content-disposition"]
    rows = parse(r.content)
    assert rows[0][6:11] == ["类型", "代码", "名称", "类别", "积分"]
    assert all(len(row) == len(rows[0]) for row in rows)
    by_code = {(row[6], row[7]): row for row in rows[1:]}
    outcome = by_code[("类别", "outcome")]
    assert outcome[8:11] == ["成果积分", "成果积分", "125"]
    assert outcome[13:18] == ["57.34", "50", "45", "55", "偏高"]
    assert outcome[18] == "成果积分 占 57.4%，高于目标 50%（容许 45%–55%）"
    assert by_code[("来源", "practical.passed")][8:12] == ["实操考核通过", "成果积分", "30", "1"]
    practical = by_code[("目标来源", "practical.passed")]
    assert practical[8] == "实操任务" and practical[17] == "偏低"
    assert practical[18:] == ["实操任务 占 13.7%，低于目标下限 20%",
                              "考虑提高「实操考核通过」的积分"]
    assert by_code[("合计", "")][10:13] == ["218", "9", "1"]


async def test_accept_text_csv_works_like_format_csv(gw, plant):
    r = await gw.get(PATH, headers={**HR, "Accept": "text/csv"},
                     params={"period": MONTH, "department": plant.dept})

    assert parse(r.content)[-1][10] == "193"


async def test_employees_and_managers_cannot_read_it_auditors_can(gw, plant):
    params = {"period": MONTH, "department": plant.plant}
    for who in (auth(plant.e1, "employee"), auth("M-1", "manager", departments=(plant.plant,)),
                auth("lms", "integration")):
        r = await gw.get(PATH, headers=who, params=params)
        assert r.status_code == 403, r.text
        assert r.json()["type"].endswith("/forbidden")
    r = await gw.get(PATH, headers=auth("AUD", "auditor"), params=params)
    assert r.status_code == 200 and r.json()["total_points"] == 218


@pytest.mark.parametrize("period", ["M2026-13", "2026-11", "Q2026-5", "all"])
async def test_a_malformed_period_is_a_422_pointing_at_it(gw, period):
    r = await gw.get(PATH, headers=HR, params={"period": period})

    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["pointer"] == "#/query/period"


async def test_a_year_the_calendar_lacks_is_a_422(gw):
    r = await gw.get(PATH, headers=HR, params={"period": "Y0000"})

    assert r.status_code == 422, r.text  # period keys name the years 2000-2100
    assert r.json()["type"].endswith("/validation-error")
    assert r.json()["errors"][0]["pointer"] == "#/query/period"


async def test_an_unknown_department_is_a_404(gw):
    r = await gw.get(PATH, headers=HR, params={"department": "NO-SUCH-DEPT"})

    assert r.status_code == 404, r.text
    assert r.json()["type"].endswith("/department-not-found")
