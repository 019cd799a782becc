"""Shares, statuses and alerts of the points mix, without a database."""

from __future__ import annotations

from services.points_api.mix import assessment
from services.points_api.mix.assessment import MixRow, RuleInfo
from services.points_api.mix.defaults import default_targets
from services.points_api.mix.schemas import SourceTarget


def row(rule_id: str | None, category: str, points: int, entries: int = 1,
        reversals: int = 0, adjustments: int = 0) -> MixRow:
    return MixRow(category=category, rule_id=rule_id, points=points, entries=entries,
                  reversals=reversals, adjustments=adjustments)


def test_shares_are_percents_rounded_half_up_and_null_without_points():
    assert assessment.share_percent(1, 8) == 12.5
    assert assessment.share_percent(2, 3) == 66.67
    assert assessment.share_percent(1, 200) == 0.5
    assert assessment.share_percent(0, 0) is None


def test_a_share_on_the_edge_of_its_band_is_ok():
    assert assessment.status(35, 100, 35, 45) == "ok"
    assert assessment.status(45, 100, 35, 45) == "ok"
    assert assessment.status(3499, 10000, 35, 45) == "below"
    assert assessment.status(4501, 10000, 35, 45) == "above"
    assert assessment.status(0, 0, 35, 45) is None
    assert assessment.status(90, 100, 20, None) == "ok"


def test_messages_round_away_from_the_bound_that_was_crossed():
    assert assessment.shown(1996, 10000, "below") == "19.9"
    assert assessment.shown(4004, 10000, "above") == "40.1"
    assert assessment.shown(125, 1000, "below") == "12.5"
    assert assessment.shown(0, 7, "below") == "0"


def test_defaults_are_the_case_study_mix_and_practical_tasks_at_20_percent():
    targets = default_targets()
    c = targets.categories
    assert (c.participation.target_percent, c.outcome.target_percent,
            c.growth.target_percent) == (40, 50, 10)
    assert {c.participation.tolerance_percent, c.outcome.tolerance_percent,
            c.growth.tolerance_percent} == {5}
    assert targets.sources == [SourceTarget(label="实操任务", rule_ids=["practical.passed"],
                                            min_percent=20)]
    assert targets.is_default and targets.version is None


def test_practical_tasks_under_20_percent_alert_with_a_suggestion():
    rows = [row("course.per_class_hour", "participation", 40),
            row("exam.score", "outcome", 35), row("practical.passed", "outcome", 10),
            row("honour.monthly", "growth", 15)]
    names = {"practical.passed": RuleInfo("实操考核通过", "outcome")}
    targets = default_targets()
    mix = assessment.categories(rows, targets, 100)
    sources = assessment.sources(rows, names, 100)
    named = assessment.source_targets(sources, targets.sources, 100)

    alerts = assessment.alerts(mix, named, 100, names)

    assert [(c.category, c.share_percent, c.status) for c in mix] == [
        ("participation", 40.0, "ok"), ("outcome", 45.0, "ok"), ("growth", 15.0, "ok")]
    assert [(a.kind, a.subject, a.status, a.bound_percent) for a in alerts] == [
        ("source", "实操任务", "below", 20)]
    assert alerts[0].message == "实操任务 占 10%，低于目标下限 20%"
    assert alerts[0].suggestion == "考虑提高「实操考核通过」的积分"


def test_adjustments_stay_out_of_the_mix():
    rows = [row("course.per_class_hour", "participation", 30),
            row(None, "outcome", 5, entries=0, adjustments=2),
            row(None, "growth", -2, entries=0, reversals=1, adjustments=0)]
    adjusted = assessment.adjustments(rows)
    mix = assessment.categories(rows, default_targets(), 30)

    assert (adjusted.points, adjusted.entries, adjusted.outcome, adjusted.growth) == (3, 2, 5, -2)
    assert [c.points for c in mix] == [30, 0, 0]
    assert [s.rule_id for s in assessment.sources(rows, {}, 30)] == ["course.per_class_hour"]
