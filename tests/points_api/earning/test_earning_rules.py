"""Every row of the domain spec's earning tables, as training events through the
gateway, answered with the points outcome the employee sees at once."""

from __future__ import annotations

import uuid

import pytest

from tests.points_api.event_factories import (
    account,
    all_entries,
    course,
    earn,
    fact,
    later,
    new_employee,
    now,
    practical,
    send,
)


async def test_two_class_hours_intermediate_pay_16(gw):
    emp = await new_employee(gw)
    outcome = await earn(gw, "course.completed", course(emp["employee_no"], "液压系统入门"))

    assert outcome["total_points"] == 16
    (entry,) = outcome["awarded"]
    assert entry["points"] == 16
    assert entry["rule_id"] == "course.per_class_hour"
    assert entry["category"] == "participation"
    assert entry["reason"] == "完成课程 液压系统入门 2 课时"
    assert outcome["balance"] == 16
    assert outcome["qualifying_points"] == 16
    assert outcome["month_points"] == 16


async def test_course_with_explicit_value_pays_it(gw):
    emp = await new_employee(gw)
    outcome = await earn(gw, "course.completed",
                         course(emp["employee_no"], "设备操作基础", course_points=20))

    assert [(a["rule_id"], a["points"]) for a in outcome["awarded"]] == [
        ("course.explicit_value", 20)]
    assert outcome["awarded"][0]["reason"] == "完成课程 设备操作基础 2 课时"


async def test_production_role_on_new_equipment_course_pays_30(gw):
    emp = await new_employee(gw, family="production")
    payload = course(emp["employee_no"], "新设备操作", course_points=20,
                     course_family_points={"production": 30})

    outcome = await earn(gw, "course.completed", payload)

    assert [(a["rule_id"], a["points"]) for a in outcome["awarded"]] == [
        ("course.role_value", 30)]


async def test_technical_role_on_cad_course_pays_40(gw):
    emp = await new_employee(gw, family="technical")
    payload = course(emp["employee_no"], "CAD进阶", difficulty="advanced",
                     course_family_points={"technical": 40, "production": 25})

    outcome = await earn(gw, "course.completed", payload)

    assert outcome["total_points"] == 40
    assert outcome["awarded"][0]["rule_id"] == "course.role_value"


async def test_live_interactions_pay_2_and_3_up_to_the_daily_cap(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    moment = now()

    def interaction(kind: str, at=moment):
        return fact(no, at=at, kind=kind, course_code="LIVE-1", course_title="精益生产直播")

    speak = await earn(gw, "live.interaction", interaction("speak"))
    question = await earn(gw, "live.interaction", interaction("question"))
    assert (speak["total_points"], question["total_points"]) == (2, 3)
    assert speak["awarded"][0]["reason"] == "直播课发言 精益生产直播"
    for _ in range(5):  # 5 + 5 x 3 = 20: the daily points cap
        await earn(gw, "live.interaction", interaction("question"))

    capped = await earn(gw, "live.interaction", interaction("speak"))
    assert capped["total_points"] == 0
    assert capped["awarded"] == []
    assert "已达每日上限" in capped["skipped"][0]
    assert (await account(gw, no))["balance"] == 20

    tomorrow = await earn(gw, "live.interaction", interaction("speak", later(moment, days=1)))
    assert tomorrow["total_points"] == 2


async def test_note_pays_10_and_a_featured_review_makes_it_15(gw):
    emp = await new_employee(gw)
    note = fact(emp["employee_no"], title="冲压模具保养心得")

    shared = await earn(gw, "note.shared", note)
    standard = await earn(gw, "note.reviewed", {**note, "occurred_at": now().isoformat(),
                                                "featured": False, "reviewer": "A001"})
    featured = await earn(gw, "note.reviewed", {**note, "occurred_at": now().isoformat(),
                                                "featured": True, "reviewer": "A001"})

    assert shared["total_points"] == 10
    assert standard["total_points"] == 0
    assert featured["total_points"] == 5
    assert featured["awarded"][0]["reason"] == "学习笔记被评为精华 冲压模具保养心得"
    assert featured["balance"] == 15


@pytest.mark.parametrize(("score", "expected"), [(100, 20), (95, 15), (85, 10), (79, 0)])
async def test_exam_score_bands(gw, score, expected):
    emp = await new_employee(gw)
    exam = fact(emp["employee_no"], exam_code=f"EX-{uuid.uuid4().hex[:6]}",
                exam_title="质量管控考试", score=score, pass_score=60)

    outcome = await earn(gw, "exam.attempted", exam)

    assert outcome["total_points"] == expected
    if expected:
        assert outcome["awarded"][0]["reason"] == f"考试 质量管控考试 {score} 分"
    else:
        assert outcome["skipped"]


async def test_exam_retake_tops_up_to_the_better_band_and_never_pays_twice(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    exam = {"exam_code": f"EX-{uuid.uuid4().hex[:6]}", "exam_title": "安全生产考试",
            "pass_score": 60}

    first = await earn(gw, "exam.attempted", fact(no, score=85, **exam))
    retake = await earn(gw, "exam.attempted", fact(no, score=100, **exam))
    again = await earn(gw, "exam.attempted", fact(no, score=100, **exam))

    assert (first["total_points"], retake["total_points"], again["total_points"]) == (10, 10, 0)
    assert "此前已得 10 分" in retake["awarded"][0]["reason"]
    assert "不重复计分" in again["skipped"][0]
    assert retake["qualifying_points"] == 20


@pytest.mark.parametrize(("passed", "expected"), [(True, 30), (False, 0)])
async def test_practical_assessment(gw, passed, expected):
    emp = await new_employee(gw)
    outcome = await earn(gw, "practical.assessed", practical(emp["employee_no"], passed=passed))

    assert outcome["total_points"] == expected
    if passed:
        assert outcome["awarded"][0]["category"] == "outcome"
        assert outcome["awarded"][0]["reason"] == "实操考核通过 设备调试"


async def test_skill_application_pays_the_confirmed_points(gw):
    emp = await new_employee(gw)
    outcome = await earn(gw, "skill_application.confirmed", fact(
        emp["employee_no"], summary="调整焊接参数，缺陷率下降", points=80, confirmer="M001"))

    assert outcome["total_points"] == 80
    assert outcome["awarded"][0]["rule_id"] == "skill_application.confirmed"


async def test_skill_application_outside_the_range_is_rejected_for_good(gw):
    emp = await new_employee(gw)
    receipt = await send(gw, "skill_application.confirmed", fact(
        emp["employee_no"], summary="改进工装", points=101, confirmer="M001"))

    assert receipt["status"] == "failed"
    assert receipt["permanent"] is True
    assert "50-100" in receipt["error"]
    assert (await account(gw, emp["employee_no"]))["balance"] == 0


async def test_entries_name_rule_version_and_source(gw):
    emp = await new_employee(gw)
    payload = course(emp["employee_no"], "设备操作基础", course_points=20)
    event_id = str(uuid.uuid4())
    receipt = await send(gw, "course.completed", payload, event_id=event_id)
    assert receipt["status"] == "applied"

    (entry,) = await all_entries(gw, emp["employee_no"])
    assert entry["kind"] == "earn"
    assert entry["rule_id"] == "course.explicit_value"
    assert entry["rule_set_version"] == receipt["result"]["awarded"][0]["rule_set_version"] >= 1
    assert entry["source_event_id"] == event_id
    assert entry["source_fact_id"] == payload["fact_id"]
    assert entry["reason"] == "完成课程 设备操作基础 2 课时"
    assert entry["details"]["rule_name"] == "课程指定积分"


async def test_event_before_the_employee_copy_is_retried_later(gw):
    receipt = await send(gw, "course.completed", course(f"NOBODY-{uuid.uuid4().hex[:6]}"))

    assert receipt["status"] == "failed"
    assert receipt["permanent"] is False


async def test_malformed_payload_is_rejected_for_good(gw):
    emp = await new_employee(gw)
    receipt = await send(gw, "exam.attempted", fact(emp["employee_no"], exam_code="E",
                                                    exam_title="T", score=150, pass_score=60))

    assert receipt["status"] == "failed"
    assert receipt["permanent"] is True
