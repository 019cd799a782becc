"""The rule engine against the domain spec's earning tables; no database involved."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.points_api.rules.defaults import default_rule_set
from services.points_api.rules.engine import (
    AwardHistory,
    AwardOutOfRange,
    cap_window,
    confirmer_range,
    evaluate,
    history_needs,
    validate_rule_set,
)
from services.points_api.rules.schemas import (
    Cap,
    CapUsage,
    ConfirmerRangeAward,
    Evaluation,
    FixedAward,
    MultiplierAward,
    PerClassHourAward,
    Rule,
    RuleFilters,
    RuleSet,
    ScoreBand,
    ScoreBandsAward,
    SkipReason,
)
from shared.contracts.training_events import (
    COURSE_COMPLETED,
    EmployeeContext,
    FactVoided,
    parse_training_event,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2024, 5, 15, 9, 30, tzinfo=SHANGHAI)  # a Wednesday


def employee(**overrides: Any) -> EmployeeContext:
    facts = {
        "employee_no": "E1001", "job_role_code": "assembler", "job_role_family": "production",
        "department_code": "line-2", "department_path": ["plant", "assembly", "line-2"],
        "is_pilot": False, "is_front_line": True,
    }
    return EmployeeContext(**{**facts, **overrides})


def event(event_type: str, **payload: Any) -> Any:
    base = {"fact_id": str(uuid.uuid4()), "employee_no": "E1001", "occurred_at": MORNING}
    return parse_training_event(event_type, {**base, **payload})


def course(title: str = "设备操作基础", **payload: Any) -> Any:
    fields = {
        "course_code": "EQ-101", "course_title": title, "course_format": "online",
        "course_difficulty": "intermediate", "class_hours": "2",
    }
    return event(COURSE_COMPLETED, **{**fields, **payload})


def run(ev: Any, who: EmployeeContext | None = None, history: AwardHistory | None = None,
        rule_set: RuleSet | None = None) -> Evaluation:
    return evaluate(rule_set or default_rule_set(), ev.event_type, ev, who or employee(),
                    history or AwardHistory(), SHANGHAI)


def points(evaluation: Evaluation) -> dict[str, int]:
    return {award.rule_id: award.points for award in evaluation.awards}


def rule(rule_id: str, **fields: Any) -> Rule:
    defaults = {"name": rule_id, "event_type": COURSE_COMPLETED, "category": "participation",
                "award": FixedAward(points=1)}
    return Rule(id=rule_id, **{**defaults, **fields})


# --- participation -----------------------------------------------------------------------


def test_course_pays_per_class_hour_by_difficulty():
    result = run(course("液压系统入门", class_hours="2", course_difficulty="intermediate"))

    assert points(result) == {"course.per_class_hour": 16}
    award = result.awards[0]
    assert award.reason == "完成课程 液压系统入门 2 课时"
    assert award.category == "participation"


@pytest.mark.parametrize(("difficulty", "expected"), [
    ("basic", 10), ("intermediate", 16), ("advanced", 20),
])
def test_class_hour_rates_follow_difficulty(difficulty: str, expected: int):
    assert points(run(course(course_difficulty=difficulty))) == {"course.per_class_hour": expected}


def test_class_hours_round_half_up():
    result = run(course(class_hours="1.5", course_difficulty="basic"))

    assert points(result) == {"course.per_class_hour": 8}  # 7.5 -> 8
    # 12.5 -> 13, where Python's round() (half to even) would give 12.
    assert points(run(course(class_hours="2.5", course_difficulty="basic"))) == {
        "course.per_class_hour": 13}


@pytest.mark.parametrize("course_format", ["online", "offline", "live", "practical"])
def test_every_course_format_pays_per_class_hour(course_format: str):
    result = run(course(course_format=course_format, course_difficulty="advanced"))

    assert points(result) == {"course.per_class_hour": 20}


@pytest.mark.parametrize(("title", "value"), [("设备操作基础", 20), ("质量管控进阶", 30),
                                              ("家电装配", 25)])
def test_course_explicit_value_beats_class_hours(title: str, value: int):
    result = run(course(title, course_points=value))

    assert points(result) == {"course.explicit_value": value}
    superseded = [s for s in result.skipped if s.reason is SkipReason.SUPERSEDED]
    assert [s.rule_id for s in superseded] == ["course.per_class_hour"]


def test_production_role_on_new_equipment_course_gets_family_value():
    ev = course("新设备操作", course_code="EQ-NEW", course_points=20,
                course_family_points={"production": 30})

    assert points(run(ev)) == {"course.role_value": 30}
    technician = employee(job_role_code="cad-engineer", job_role_family="technical")
    assert points(run(ev, technician)) == {"course.explicit_value": 20}


def test_technical_role_on_cad_course_gets_role_value():
    ev = course("CAD进阶", course_code="CAD-201", course_difficulty="advanced",
                course_role_points={"cad-engineer": 40}, course_family_points={"technical": 35})
    technician = employee(job_role_code="cad-engineer", job_role_family="technical")

    assert points(run(ev, technician)) == {"course.role_value": 40}  # role beats family
    assert points(run(ev)) == {"course.per_class_hour": 20}  # production: no value, hours


def test_live_speak_and_question():
    speak = run(event("live.interaction", kind="speak"))
    question = run(event("live.interaction", kind="question", course_title="设备操作基础"))

    assert points(speak) == {"live.speak": 2}
    assert speak.awards[0].reason == "直播课发言"
    assert points(question) == {"live.question": 3}
    assert question.awards[0].reason == "直播课提问 设备操作基础"


def test_live_daily_cap_truncates_then_stops():
    question = event("live.interaction", kind="question")
    near_cap = AwardHistory(cap_usage={"live.interaction": CapUsage(count=6, points=18)})

    truncated = run(question, history=near_cap)
    assert points(truncated) == {"live.question": 2}
    assert truncated.awards[0].cap_applied
    assert truncated.awards[0].base_points == 3

    full = run(question, history=AwardHistory(cap_usage={"live.interaction": (7, 20)}))
    assert full.awards == []
    assert full.skipped[0].reason is SkipReason.CAP_REACHED
    assert "2024-05-16 00:00 起恢复" in full.skipped[0].detail


def test_live_cap_counts_interactions_too():
    ten_speaks = AwardHistory(cap_usage={"live.interaction": (10, 20)})
    nine_speaks = AwardHistory(cap_usage={"live.interaction": (9, 18)})
    speak = event("live.interaction", kind="speak")

    assert run(speak, history=ten_speaks).awards == []
    assert points(run(speak, history=nine_speaks)) == {"live.speak": 2}


def test_note_shared_then_featured_makes_fifteen():
    shared = run(event("note.shared", title="换模时间缩短的做法"))
    featured = run(event("note.reviewed", title="换模时间缩短的做法", featured=True,
                         reviewer="E2001"))
    plain = run(event("note.reviewed", title="换模时间缩短的做法", featured=False,
                      reviewer="E2001"))

    assert points(shared) == {"note.shared": 10}
    assert points(featured) == {"note.featured": 5}
    assert featured.awards[0].reason.startswith("学习笔记被评为精华")
    assert plain.awards == []


def test_notes_capped_per_week():
    note = event("note.shared", title="笔记")

    assert run(note, history=AwardHistory(cap_usage={"note.shared": (5, 50)})).awards == []
    assert points(run(note, history=AwardHistory(cap_usage={"note.shared": (4, 40)}))) == {
        "note.shared": 10}


# --- outcome -----------------------------------------------------------------------------


def exam(score: int) -> Any:
    return event("exam.attempted", exam_code="EX-EQ1", exam_title="设备操作考核",
                 course_code="EQ-101", course_title="设备操作基础", score=score, pass_score=80)


@pytest.mark.parametrize(("score", "expected"), [(100, 20), (95, 15), (90, 15), (85, 10),
                                                 (80, 10)])
def test_exam_bands(score: int, expected: int):
    result = run(exam(score))

    assert points(result) == {"exam.score": expected}
    assert result.awards[0].dedupe_key == "exam:EX-EQ1"
    assert result.awards[0].reason == f"考试 设备操作考核 {score} 分"


def test_exam_below_80_pays_nothing_and_says_why():
    result = run(exam(79))

    assert result.awards == []
    assert [(s.rule_id, s.reason) for s in result.skipped] == [
        ("exam.score", SkipReason.ZERO_POINTS)]


def test_exam_retake_tops_up_to_the_better_band():
    first = run(exam(85))
    retake = run(exam(100), history=AwardHistory(paid_for_key={"exam:EX-EQ1": 10}))

    assert points(first) == {"exam.score": 10}
    assert points(retake) == {"exam.score": 10}
    assert retake.awards[0].base_points == 20


def test_exam_worse_retake_pays_nothing():
    result = run(exam(85), history=AwardHistory(paid_for_key={"exam:EX-EQ1": 20}))

    assert result.awards == []
    assert result.skipped[0].reason is SkipReason.ALREADY_PAID


def test_exam_same_band_again_pays_nothing():
    result = run(exam(100), history=AwardHistory(paid_for_key={"exam:EX-EQ1": 20}))

    assert result.awards == []
    assert result.skipped[0].reason is SkipReason.ALREADY_PAID


def test_practical_pass_pays_30_and_fail_nothing():
    passed = run(event("practical.assessed", skill_code="SK-SETUP", skill_name="设备调试",
                       passed=True, assessor="E3001"))
    failed = run(event("practical.assessed", skill_code="SK-SETUP", skill_name="设备调试",
                       passed=False, assessor="E3001"))

    assert points(passed) == {"practical.passed": 30}
    assert passed.awards[0].reason == "实操考核通过 设备调试"
    assert passed.awards[0].category == "outcome"
    assert failed.awards == []


def skill_application(chosen: int) -> Any:
    return event("skill_application.confirmed", skill_code="SK-QC", summary="降低不良率",
                 points=chosen, confirmer="E4001")


def test_skill_application_pays_the_confirmers_choice():
    result = run(skill_application(80))

    assert points(result) == {"skill_application.confirmed": 80}
    assert result.awards[0].reason == "技能应用确认 降低不良率"


@pytest.mark.parametrize("chosen", [49, 101])
def test_skill_application_outside_range_raises(chosen: int):
    with pytest.raises(AwardOutOfRange) as raised:
        run(skill_application(chosen))

    assert (raised.value.min_points, raised.value.max_points) == (50, 100)


def test_confirmer_range_for_the_api_check():
    rs = default_rule_set()
    partial = {"skill_code": "SK-QC", "occurred_at": MORNING}

    assert confirmer_range(rs, "skill_application.confirmed", employee(), partial) == (50, 100)
    assert confirmer_range(rs, "note.shared", employee(), partial) is None
    with pytest.raises(ValueError, match="timezone-aware"):
        confirmer_range(rs, "skill_application.confirmed", employee(),
                        {"occurred_at": "2024-05-15T09:30:00"})


# --- multipliers and time-boxed rules ----------------------------------------------------


def boosted_rule_set() -> RuleSet:
    boost = rule("boost.new-equipment-q2", name="新设备季度加成",
                 filters=RuleFilters(course_codes=["EQ-NEW"]),
                 award=MultiplierAward(factor=Decimal("1.5"),
                                       target_categories=["participation"]),
                 active_from=datetime(2024, 4, 1, tzinfo=SHANGHAI),
                 active_until=datetime(2024, 7, 1, tzinfo=SHANGHAI))
    rs = default_rule_set()
    return rs.model_copy(update={"version": 2, "rules": [*rs.rules, boost]})


def new_equipment(occurred_at: datetime = MORNING) -> Any:
    return course("新设备操作", course_code="EQ-NEW", course_family_points={"production": 30},
                  occurred_at=occurred_at)


def test_multiplier_boosts_within_its_window():
    result = run(new_equipment(), rule_set=boosted_rule_set())

    assert points(result) == {"course.role_value": 45}
    award = result.awards[0]
    assert award.base_points == 30
    assert award.multiplier_rule_ids == ["boost.new-equipment-q2"]
    assert "新设备季度加成 ×1.5" in award.reason
    assert result.rule_set_version == 2


def test_multiplier_rounds_half_up_on_other_courses_values():
    operator = employee(job_role_code="logistics-clerk", job_role_family="logistics")
    ev = course("新设备操作", course_code="EQ-NEW", class_hours="1.5", course_difficulty="basic")

    assert points(run(ev, operator, rule_set=boosted_rule_set())) == {
        "course.per_class_hour": 12}  # 7.5 -> 8 hours value, x1.5 = 12


def test_multiplier_outside_its_window_does_nothing():
    after = datetime(2024, 7, 1, 0, 0, tzinfo=SHANGHAI)
    before = datetime(2024, 3, 31, 23, 59, tzinfo=SHANGHAI)

    for moment in (before, after):
        result = run(new_equipment(moment), rule_set=boosted_rule_set())
        assert points(result) == {"course.role_value": 30}
        assert result.awards[0].multiplier_rule_ids == []


def test_multiplier_ignores_untargeted_categories_and_other_courses():
    rs = boosted_rule_set()

    assert points(run(course(course_code="EQ-101"), rule_set=rs)) == {"course.per_class_hour": 16}
    assert points(run(exam(100), rule_set=rs)) == {"exam.score": 20}


# --- filters -----------------------------------------------------------------------------


def test_department_filter_includes_sub_departments():
    rs = RuleSet(version=1, rules=[rule("assembly.bonus", award=FixedAward(points=7),
                                        filters=RuleFilters(department_codes=["assembly"]))])

    assert points(run(course(), rule_set=rs)) == {"assembly.bonus": 7}
    welder = employee(department_code="weld-1", department_path=["plant", "welding", "weld-1"])
    assert run(course(), welder, rule_set=rs).awards == []


def test_department_filter_matches_own_department_without_path():
    rs = RuleSet(version=1, rules=[rule("line.bonus",
                                        filters=RuleFilters(department_codes=["line-2"]))])

    assert points(run(course(), employee(department_path=[]), rule_set=rs)) == {"line.bonus": 1}


def test_pilot_only_rule():
    rs = RuleSet(version=1, rules=[rule("pilot.bonus", filters=RuleFilters(pilot_only=True))])

    assert points(run(course(), employee(is_pilot=True), rule_set=rs)) == {"pilot.bonus": 1}
    assert run(course(), employee(is_pilot=False), rule_set=rs).awards == []


def test_role_family_and_course_filters():
    rs = RuleSet(version=1, rules=[rule(
        "quality.advanced", award=FixedAward(points=9),
        filters=RuleFilters(role_families=["quality"], course_tags=["质量", "检验"],
                            difficulties=["advanced"]))])
    inspector = employee(job_role_code="inspector", job_role_family="quality")
    qc_course = course("质量管控进阶", course_tags=["检验"], course_difficulty="advanced")

    assert points(run(qc_course, inspector, rule_set=rs)) == {"quality.advanced": 9}
    assert run(qc_course, employee(), rule_set=rs).awards == []
    assert run(course(course_tags=["检验"]), inspector, rule_set=rs).awards == []


def test_payload_equals_does_not_confuse_true_and_one():
    rs = RuleSet(version=1, rules=[rule("odd", filters=RuleFilters(payload_equals={
        "course_points": True}))])

    assert run(course(course_points=1), rule_set=rs).awards == []


# --- history needs and cap windows ------------------------------------------------------


def test_history_needs_lists_cap_windows_and_dedupe_keys():
    rs = default_rule_set()
    late_evening = datetime(2024, 5, 15, 23, 30, tzinfo=SHANGHAI)
    speak = event("live.interaction", kind="speak", occurred_at=late_evening)

    needs = history_needs(rs, speak, employee(), SHANGHAI)
    [window] = needs.cap_windows
    assert window.key == "live.interaction"
    assert set(window.rule_ids) == {"live.speak", "live.question"}
    assert (window.start, window.end) == (datetime(2024, 5, 14, 16, tzinfo=UTC),
                                          datetime(2024, 5, 15, 16, tzinfo=UTC))
    assert needs.dedupe_keys == ()

    assert history_needs(rs, exam(90), employee(), SHANGHAI).dedupe_keys == ("exam:EX-EQ1",)
    assert history_needs(rs, course(), employee(), SHANGHAI).is_empty


def test_day_window_follows_company_time_zone_across_midnight():
    day = Cap(period="day", max_count=1)
    # 17:00 UTC on the 15th is already 01:00 on the 16th in Shanghai.
    moment = datetime(2024, 5, 15, 17, 0, tzinfo=UTC)

    assert cap_window(day, moment, SHANGHAI) == (datetime(2024, 5, 15, 16, tzinfo=UTC),
                                                 datetime(2024, 5, 16, 16, tzinfo=UTC))
    assert cap_window(day, moment, "UTC") == (datetime(2024, 5, 15, tzinfo=UTC),
                                              datetime(2024, 5, 16, tzinfo=UTC))


def test_week_and_month_windows():
    sunday_night = datetime(2024, 5, 19, 23, 0, tzinfo=SHANGHAI)

    assert cap_window(Cap(period="week", max_count=5), sunday_night, SHANGHAI) == (
        datetime(2024, 5, 12, 16, tzinfo=UTC), datetime(2024, 5, 19, 16, tzinfo=UTC))
    assert cap_window(Cap(period="month", max_count=5), sunday_night, SHANGHAI) == (
        datetime(2024, 4, 30, 16, tzinfo=UTC), datetime(2024, 5, 31, 16, tzinfo=UTC))
    december = datetime(2024, 12, 31, 12, tzinfo=SHANGHAI)
    assert cap_window(Cap(period="month", max_count=5), december, SHANGHAI)[1] == datetime(
        2024, 12, 31, 16, tzinfo=UTC)


def test_cap_window_rejects_naive_datetimes():
    with pytest.raises(ValueError):
        cap_window(Cap(period="day", max_count=1), datetime(2024, 5, 15), SHANGHAI)


def test_voided_facts_are_not_for_rules():
    voided = event("fact.voided", voided_fact_id=str(uuid.uuid4()), reason="重复录入")

    assert isinstance(voided, FactVoided)
    assert run(voided).awards == []


def test_event_type_must_match_the_payload():
    with pytest.raises(ValueError):
        evaluate(default_rule_set(), "note.shared", course(), employee(), AwardHistory(),
                 SHANGHAI)


def test_parse_training_event_rejects_unknown_types():
    with pytest.raises(ValueError, match="unknown training event type"):
        parse_training_event("course.started", {})


# --- validation -------------------------------------------------------------------------


def test_default_rule_set_is_valid():
    assert validate_rule_set(default_rule_set()) == []


def problems_of(*rules: Rule) -> list[str]:
    return validate_rule_set(RuleSet(version=1, rules=list(rules)))


def bands(*pairs: tuple[int, int]) -> ScoreBandsAward:
    return ScoreBandsAward(bands=[ScoreBand(min_score=s, points=p) for s, p in pairs])


@pytest.mark.parametrize(("rules", "expected"), [
    ((rule("a"), rule("a")), "duplicate rule id a"),
    ((rule("a", event_type="course.started"),), "unknown event type"),
    ((rule("a", event_type="fact.voided"),), "handled by the ledger"),
    ((rule("a", event_type="exam.attempted", award=bands()),), "score bands are empty"),
    ((rule("a", event_type="exam.attempted", award=bands((80, 10), (100, 20))),),
     "from the highest min_score down"),
    ((rule("a", event_type="exam.attempted", award=bands((90, 15), (90, 10))),), "overlap"),
    ((rule("a", event_type="exam.attempted", award=bands((100, 5), (80, 10))),), "pays less"),
    ((rule("a", event_type="skill_application.confirmed",
           award=ConfirmerRangeAward(min_points=100, max_points=50)),), "greater than max"),
    ((rule("a", award=MultiplierAward(factor=Decimal(0))),), "factor must be positive"),
    ((rule("a", award=MultiplierAward(factor=Decimal("-1.5"))),), "factor must be positive"),
    ((rule("a", award=MultiplierAward(factor=Decimal(2), target_rule_ids=["ghost"])),),
     "unknown rule ghost"),
    ((rule("a", exclusive_group="g"), rule("b", event_type="note.shared", exclusive_group="g")),
     "exclusive group g mixes event types"),
    ((rule("a", exclusive_group="g"),
      rule("b", exclusive_group="g", award=MultiplierAward(factor=Decimal(2)))),
     "mixes multipliers"),
    ((rule("a", event_type="note.shared", award=PerClassHourAward()),), "only works on"),
    ((rule("a", event_type="note.shared", filters=RuleFilters(difficulties=["basic"])),),
     "filter difficulties does not apply"),
    ((rule("a", filters=RuleFilters(payload_equals={"colour": "red"})),), "colour"),
    ((rule("a", active_from=MORNING, active_until=MORNING),), "active_from must be before"),
    ((rule("a", cap=Cap(period="day")),), "neither max_count nor max_points"),
    ((rule("a", cap=Cap(period="day", max_count=1, bucket="b")),
      rule("b", cap=Cap(period="week", max_count=1, bucket="b"))), "different periods"),
])
def test_validate_rule_set_catches(rules: tuple[Rule, ...], expected: str):
    problems = problems_of(*rules)

    assert any(expected in problem for problem in problems), problems


def test_rule_ids_are_stable_codes():
    with pytest.raises(ValueError):
        rule("Course Bonus")
