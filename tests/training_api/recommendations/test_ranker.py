"""The ranker's progression factor, without a database: the level a next course
builds on, courses building on a skill, and the words of the reason."""

from datetime import date

from services.training_api.recommendations.ranker import (
    CourseInfo,
    Learner,
    RoleSignals,
    Weights,
    rank,
)

NAMES = {"EQ": "设备操作", "TR": "设备故障排查", "QC": "质量控制"}
ONLY_PROGRESSION = Weights(gap=0, progression=1, colleagues=0, plan=0, popularity=0,
                           diversity=0)
BASIC = CourseInfo("EQ101", "设备操作基础", "online", {"EQ": 2})
NEXT = CourseInfo("EQ201", "设备操作进阶", "offline", {"EQ": 3}, ("EQ101",))
AFTER_NEXT = CourseInfo("EQ401", "设备精益保全", "offline", {"EQ": 4}, ("EQ201",))
TROUBLE = CourseInfo("EQ301", "设备故障排查进阶", "offline", {"TR": 3}, ("EQ201",))
QUALITY = CourseInfo("QC201", "质量管控进阶", "offline", {"QC": 2})


def learner(completed: set[str], records: dict[str, int], levels: dict[str, int] | None = None
            ) -> Learner:
    return Learner(employee_no="E1", job_role="OP", family="production",
                   course_formats=frozenset(), required={}, levels=levels or {"EQ": 2},
                   completed=frozenset(completed), record_skills=records,
                   today=date(2026, 12, 5))


def ranked(who: Learner) -> dict[str, tuple[float, list[str]]]:
    courses = [BASIC, NEXT, AFTER_NEXT, TROUBLE, QUALITY]
    out = rank(courses, who, RoleSignals(), ONLY_PROGRESSION, skill_names=NAMES, limit=10)
    return {s.course.code: (s.factors["progression"], [r.text for r in s.reasons])
            for s in out}


def test_the_next_level_is_counted_from_the_courses_completed_not_only_the_level_proven():
    # proven level 2, but EQ201 (level 3) completed: EQ401 (level 4) is the next step
    got = ranked(learner({"EQ101", "EQ201"}, {"EQ": 3, "QC": 1}))
    assert got["EQ401"][0] == 0.75  # the whole share of the skill's records
    assert "你的积分主要来自 设备操作（75% 的培训记录），进阶课程" in got["EQ401"][1]


def test_a_course_building_on_the_skill_the_records_come_from_is_progression():
    # EQ301 teaches troubleshooting, but its prerequisite teaches equipment operation
    got = ranked(learner({"EQ101", "EQ201"}, {"EQ": 3, "QC": 1}))
    assert got["EQ301"][0] == 0.75
    assert "你的积分主要来自 设备操作（75% 的培训记录），进阶课程" in got["EQ301"][1]
    # a skill that is not where most records come from is named with its share; QC201
    # jumps from level 0 to 2: half the share
    assert got["QC201"] == (0.125, ["你的培训记录中 25% 来自 质量控制，进阶课程"])
    # a course of a skill at or below the level studied: the same skill, half the share
    got = ranked(learner({"EQ201"}, {"EQ": 4}, levels={"EQ": 3}))
    assert got["EQ101"] == (0.5, ["你的积分主要来自 设备操作（100% 的培训记录），同类课程"])


def test_a_jump_of_levels_counts_half_and_the_successor_of_a_prerequisite_at_least_0_6():
    got = ranked(learner({"EQ101"}, {"QC": 4}, levels={}))
    # nothing of EQ in the records: EQ201 is there as the successor of EQ101
    assert got["EQ201"] == (0.6, ["你已完成先修课程，这是它的进阶课程"])
    got = ranked(learner(set(), {"EQ": 1}, levels={}))
    assert got["EQ101"][0] == 0.5  # level 0 studied, the course brings level 2
