"""The replay and the apply step's arithmetic, without a database: the history cases
that are hard to stage through the API (streaks qualified mid-month, voids from
before the event log, facts first paid before it, ranges no points fit) and how
a difference becomes adjustment entries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from services.points_api.rules.defaults import default_rule_set
from services.points_api.rules.history import BEFORE_LOG, PriorEntry
from services.points_api.rules.schemas import (
    ConfirmerRangeAward,
    FixedAward,
    MultiplierAward,
    Rule,
    RuleSet,
    StreakCondition,
)
from services.points_api.whatif.applying import difference_postings
from services.points_api.whatif.replay import LoggedEvent, Replay

TZ = ZoneInfo("Asia/Shanghai")
EMPLOYEE = {"employee_no": "E1", "job_role_code": "OP", "job_role_family": "production",
            "department_code": "D1", "department_path": ["P1", "D1"], "is_pilot": False,
            "is_front_line": True}
AT = datetime(2024, 3, 10, 9, 0, tzinfo=TZ)


def logged(seq: int, event_type: str, *, fact_id: str | None = None,
           recorded_at: datetime | None = None, **fields: Any) -> LoggedEvent:
    fact_id = fact_id or str(uuid.uuid4())
    payload = {"fact_id": fact_id, "employee_no": "E1", "occurred_at": AT.isoformat(), **fields}
    return LoggedEvent(seq=seq, event_id=uuid.uuid4(), event_type=event_type, employee_no="E1",
                       fact_id=fact_id, occurred_at=AT, payload=payload,
                       employee=None if event_type == "fact.voided" else EMPLOYEE,
                       recorded_at=recorded_at)


def practical(seq: int, **kw: Any) -> LoggedEvent:
    return logged(seq, "practical.assessed", skill_code="S1", skill_name="设备调试",
                  passed=True, assessor="A1", **kw)


def points(replay: Replay) -> dict[str, int]:
    return dict(replay.results["E1"].by_category)


def test_a_streak_counts_only_from_when_the_employee_qualified():
    double = Rule(id="streak.double", name="连续前10%", event_type="practical.assessed",
                  category="outcome", award=MultiplierAward(factor=2),
                  streak=StreakCondition(top_percent=10, months=3))
    rules = RuleSet(version=9, rules=[*default_rule_set().rules, double])
    qualified_at = datetime(2024, 3, 5, tzinfo=UTC)
    replay = Replay(rules, tz=TZ, streaks={("E1", "M2024-03"): [("streak.double",
                                                                   qualified_at)]})

    replay.feed(practical(1, recorded_at=qualified_at - timedelta(days=1)))  # before: 30
    replay.feed(practical(2, recorded_at=qualified_at + timedelta(days=1)))  # after: 60

    assert points(replay)["outcome"] == 90


def test_a_fact_voided_before_the_log_began_earns_nothing():
    fact_id = str(uuid.uuid4())
    replay = Replay(default_rule_set(), tz=TZ)

    replay.feed(logged(BEFORE_LOG, "fact.voided", voided_fact_id=fact_id, reason="录入错误"))
    replay.feed(practical(5, fact_id=fact_id))

    assert points(replay)["outcome"] == 0
    assert replay.stats.skipped_voided == 1


def test_a_fact_paid_before_the_log_began_is_not_paid_again_when_resent():
    fact_id = str(uuid.uuid4())
    paid = PriorEntry(kind="earn", rule_id="practical.passed", amount=30, qualifying_amount=30,
                      occurred_at=AT, dedupe_key=None, fact_id=fact_id)
    replay = Replay(default_rule_set(), tz=TZ, prior={"E1": [paid]})

    replay.feed(practical(7, fact_id=fact_id))

    assert points(replay)["outcome"] == 0


def test_points_no_range_of_the_draft_can_take_pay_nothing():
    narrow = [Rule(id=f"skill.{n}", name=f"技能应用{n}", event_type="skill_application.confirmed",
                   category="outcome", award=ConfirmerRangeAward(min_points=low, max_points=high))
              for n, (low, high) in enumerate(((90, 100), (50, 60)))]
    replay = Replay(RuleSet(version=9, rules=narrow), tz=TZ)

    replay.feed(logged(1, "skill_application.confirmed", summary="改进", points=75,
                       confirmer="M1"))

    assert points(replay)["outcome"] == 0
    assert replay.stats.unscorable == 1


def test_a_cap_counts_earnings_outside_the_window_that_stood_at_the_time():
    cap_rules = RuleSet(version=9, rules=[Rule(
        id="note.shared", name="分享学习笔记", event_type="note.shared", category="participation",
        award=FixedAward(points=10), cap={"period": "week", "max_count": 2})])
    earlier = [PriorEntry(kind="earn", rule_id="note.shared", amount=10, qualifying_amount=10,
                          occurred_at=AT - timedelta(days=1), dedupe_key=None, seq=3,
                          reversed_seq=reversed_seq) for reversed_seq in (None, 4)]
    replay = Replay(cap_rules, tz=TZ, prior={"E1": earlier})

    # at seq 6 one earlier note stands (the other was reversed at seq 4): one more pays
    replay.feed(logged(6, "note.shared", title="笔记"))
    replay.feed(logged(7, "note.shared", title="笔记"))

    assert points(replay)["participation"] == 10


def account(balance: int, held: int, qualifying: int) -> SimpleNamespace:
    return SimpleNamespace(balance=balance, held=held, qualifying=qualifying)


def result(actual: dict[str, int], simulated: dict[str, int]) -> SimpleNamespace:
    return SimpleNamespace(actual_by_category=actual, simulated_by_category=simulated)


SIM = SimpleNamespace(id=uuid.uuid4(), rule_set_version=9)


def test_moving_points_between_categories_adds_no_spendable_points():
    # everything is held for a redemption: 0 spendable
    postings = difference_postings(result({"outcome": 30, "participation": 0},
                                   {"outcome": 0, "participation": 30}),
                            account(20, 20, 30), sim=SIM, window="3月", reason="改类", actor="HR1")

    assert sum(p.amount for p in postings) == 0
    assert sum(p.qualifying_amount for p in postings) == 0
    assert {p.category: p.qualifying_amount for p in postings} == {"participation": 30,
                                                                    "outcome": -30}


def test_a_loss_takes_no_more_than_is_left_and_records_the_shortfall():
    (posting,) = difference_postings(result({"outcome": 30}, {"outcome": 5}), account(10, 0, 30),
                              sim=SIM, window="3月", reason="下调", actor="HR1")

    assert (posting.amount, posting.qualifying_amount) == (-10, -25)
    assert posting.details["shortfall"] == 15
    assert posting.kind == "adjust" and posting.actor == "HR1"
