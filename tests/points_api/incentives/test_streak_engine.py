"""Streak multipliers in the rule engine: data in the rule set, applied only when
the employee's history says they are on the streak; no database involved."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from services.points_api.rules.engine import (
    AwardHistory,
    evaluate,
    history_needs,
    validate_rule_set,
)
from services.points_api.rules.schemas import (
    FixedAward,
    MultiplierAward,
    Rule,
    RuleFilters,
    RuleSet,
    StreakCondition,
)
from shared.contracts.training_events import COURSE_COMPLETED, CourseCompleted, EmployeeContext

SHANGHAI = ZoneInfo("Asia/Shanghai")
EMPLOYEE = EmployeeContext(employee_no="E1", job_role_code="op", job_role_family="production",
                           department_code="line-1", department_path=["plant", "line-1"])
MENTOR = Rule(id="growth.mentor", name="带徒辅导", event_type=COURSE_COMPLETED,
              category="growth", filters=RuleFilters(course_codes=["MENTOR"]),
              award=FixedAward(points=50))
STREAK = Rule(id="streak.top10", name="连续三月前 10%", event_type=COURSE_COMPLETED,
              category="growth", award=MultiplierAward(factor=Decimal("1.2"),
                                                       target_categories=["growth"]),
              streak=StreakCondition(top_percent=Decimal(10), months=3))
RULES = RuleSet(version=7, rules=[MENTOR, STREAK])


def completion(code: str = "MENTOR") -> CourseCompleted:
    return CourseCompleted(fact_id=str(uuid.uuid4()), employee_no="E1",
                           occurred_at=datetime(2026, 4, 10, 9, tzinfo=SHANGHAI),
                           course_code=code, course_title="带徒辅导", course_format="offline",
                           course_difficulty="basic", class_hours=Decimal(1))


def test_the_streak_multiplier_applies_only_to_employees_on_the_streak():
    on = evaluate(RULES, COURSE_COMPLETED, completion(), EMPLOYEE,
                  AwardHistory(streak_rule_ids=frozenset({"streak.top10"})), SHANGHAI)
    off = evaluate(RULES, COURSE_COMPLETED, completion(), EMPLOYEE, AwardHistory(), SHANGHAI)

    (boosted,) = on.awards
    (plain,) = off.awards
    assert (boosted.points, boosted.base_points, boosted.multiplier_rule_ids) == (
        60, 50, ["streak.top10"])
    assert "连续三月前 10% ×1.2" in boosted.reason
    assert (plain.points, plain.multiplier_rule_ids) == (50, [])


def test_history_needs_ask_for_the_streak_only_when_it_would_apply():
    needs = history_needs(RULES, completion(), EMPLOYEE, SHANGHAI)
    nothing_to_boost = history_needs(RULES, completion("OTHER"), EMPLOYEE, SHANGHAI)

    assert needs.streak_rule_ids == ("streak.top10",) and not needs.is_empty
    assert nothing_to_boost.streak_rule_ids == () and nothing_to_boost.is_empty


def test_a_streak_belongs_on_a_multiplier_outside_exclusive_groups():
    on_award = MENTOR.model_copy(update={"streak": StreakCondition(top_percent=10, months=3)})
    grouped = STREAK.model_copy(update={"exclusive_group": "boosts"})

    problems = validate_rule_set(RuleSet(version=8, rules=[on_award, grouped]))

    assert "rule growth.mentor: a streak condition applies to multipliers only" in problems
    assert "rule streak.top10: a streak multiplier cannot be in an exclusive group" in problems
    assert validate_rule_set(RULES) == []
