"""The default rule set: the earning tables of the domain spec, as rule data.

Choices the spec leaves open:

- Course completion is one exclusive group: the course's value for the employee's
  role (or role family) wins, then the course's explicit value, then class hours
  times the difficulty rate. The per-class-hour rule has no format filter, so
  online, offline, live and practical-format courses all pay for their hours:
  hours spent training on the shop floor are participation like any other, and
  passing the practical assessment afterwards earns outcome points on top.
- Live interactions (speak 2, question 3) share one daily counter of at most 10
  interactions and 20 points, so chatting in live classes never earns more in a
  day than two class hours of an advanced course.
- Shared notes pay 10 each for at most 5 notes a week; a featured review adds 5,
  making 15 for a featured note.
- Exams pay the best result's band once: a retake only tops up.
"""

from __future__ import annotations

from services.points_api.rules.schemas import (
    Cap,
    ConfirmerRangeAward,
    CourseRoleValueAward,
    CourseValueAward,
    FixedAward,
    PerClassHourAward,
    Rule,
    RuleFilters,
    RuleSet,
    ScoreBand,
    ScoreBandsAward,
)
from shared.contracts.training_events import (
    COURSE_COMPLETED,
    EXAM_ATTEMPTED,
    LIVE_INTERACTION,
    NOTE_REVIEWED,
    NOTE_SHARED,
    PRACTICAL_ASSESSED,
    SKILL_APPLICATION_CONFIRMED,
)

COURSE_COMPLETION_GROUP = "course.completion"
LIVE_INTERACTION_BUCKET = "live.interaction"


def default_rule_set() -> RuleSet:
    """Version 1 of the rules, as the article describes them."""
    return RuleSet(version=1, rules=[*_course_rules(), *_community_rules(), *_outcome_rules()])


def _course_rules() -> list[Rule]:
    completion = {"event_type": COURSE_COMPLETED, "category": "participation",
                  "exclusive_group": COURSE_COMPLETION_GROUP}
    return [
        Rule(id="course.role_value", name="岗位专属课程积分", priority=1,
             award=CourseRoleValueAward(), **completion),
        Rule(id="course.explicit_value", name="课程指定积分", priority=2,
             award=CourseValueAward(), **completion),
        Rule(id="course.per_class_hour", name="按课时计分", priority=3,
             award=PerClassHourAward(rates={"basic": 5, "intermediate": 8, "advanced": 10}),
             **completion),
    ]


def _community_rules() -> list[Rule]:
    live_cap = Cap(period="day", max_count=10, max_points=20, bucket=LIVE_INTERACTION_BUCKET)
    return [
        Rule(id="live.speak", name="直播课发言", event_type=LIVE_INTERACTION,
             category="participation", filters=RuleFilters(payload_equals={"kind": "speak"}),
             award=FixedAward(points=2), cap=live_cap),
        Rule(id="live.question", name="直播课提问", event_type=LIVE_INTERACTION,
             category="participation", filters=RuleFilters(payload_equals={"kind": "question"}),
             award=FixedAward(points=3), cap=live_cap),
        Rule(id="note.shared", name="分享学习笔记", event_type=NOTE_SHARED,
             category="participation", award=FixedAward(points=10),
             cap=Cap(period="week", max_count=5)),
        Rule(id="note.featured", name="学习笔记精华", event_type=NOTE_REVIEWED,
             category="participation", filters=RuleFilters(payload_equals={"featured": True}),
             award=FixedAward(points=5)),
    ]


def _outcome_rules() -> list[Rule]:
    bands = [ScoreBand(min_score=100, points=20), ScoreBand(min_score=90, points=15),
             ScoreBand(min_score=80, points=10), ScoreBand(min_score=0, points=0)]
    return [
        Rule(id="exam.score", name="考试成绩", event_type=EXAM_ATTEMPTED, category="outcome",
             award=ScoreBandsAward(bands=bands, best_result=True)),
        Rule(id="practical.passed", name="实操考核通过", event_type=PRACTICAL_ASSESSED,
             category="outcome", filters=RuleFilters(payload_equals={"passed": True}),
             award=FixedAward(points=30)),
        Rule(id="skill_application.confirmed", name="技能应用确认",
             event_type=SKILL_APPLICATION_CONFIRMED, category="outcome",
             award=ConfirmerRangeAward(min_points=50, max_points=100)),
    ]
