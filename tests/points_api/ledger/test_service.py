"""The ledger's rules at the service layer and in its pure posting functions: no
HTTP, each database test in a transaction that is rolled back (``points_db``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from services.points_api.db import employee_copy
from services.points_api.ledger import repository as repo
from services.points_api.ledger.errors import (
    AccountNotFound,
    EntryAlreadyReversed,
    EntryIsReversal,
    EntryNotFound,
    InsufficientPoints,
    SelfAdjustment,
)
from services.points_api.ledger.periods import month_key
from services.points_api.ledger.schemas import AdjustmentCreate, ReversalCreate
from services.points_api.ledger.service import (
    Posting,
    bounded,
    ledger,
    period_deltas,
    reversal_postings,
)
from services.points_api.models import Account, PeriodTotal
from shared.contracts.training_events import FactVoided
from shared.periods import ALL_TIME
from tests.copies import add_employee_copy

SHANGHAI = timezone(timedelta(hours=8))


def _adjustment(points: int, reason: str = "补录线下培训",
                category: str = "participation") -> AdjustmentCreate:
    return AdjustmentCreate(points=points, category=category, reason=reason)


async def _adjust(session, no: str, points: int, **more) -> int:
    entry = await ledger.adjust(session, no, data=_adjustment(points, **more), actor="HR001",
                                tz=SHANGHAI)
    return entry.id


async def _account(session, no: str):
    return await repo.get_account(session, no)


async def test_an_adjustment_moves_both_balances_the_category_and_this_month(points_db):
    no = await add_employee_copy(points_db, employee_copy)
    entry = await ledger.adjust(points_db, no, data=_adjustment(50, "补录线下安全培训", "growth"),
                                actor="HR001", tz=SHANGHAI)
    assert (entry.kind, entry.points, entry.qualifying_points) == ("adjust", 50, 50)
    assert (entry.actor, entry.reason) == ("HR001", "人工调整: 补录线下安全培训")
    account = await _account(points_db, no)
    assert (account.balance, account.qualifying, account.growth_points) == (50, 50, 50)
    period = month_key(datetime.now(UTC), SHANGHAI)
    assert await repo.period_points(points_db, no, period) == 50
    month = await points_db.get(PeriodTotal, (period, no))
    assert month is not None and (month.points, month.growth_points) == (50, 50)


async def test_taking_away_more_than_is_spendable_is_refused(points_db):
    no = await add_employee_copy(points_db, employee_copy)
    await _adjust(points_db, no, 30)
    await points_db.execute(update(Account).where(Account.employee_no == no).values(held=25))
    with pytest.raises(InsufficientPoints) as refused:
        await _adjust(points_db, no, -6, reason="扣分")
    assert refused.value.extra == {"spendable": 5, "qualifying_points": 30}
    await _adjust(points_db, no, -5, reason="扣分")
    assert (await _account(points_db, no)).balance == 25


async def test_nobody_adjusts_an_unknown_employee_or_their_own_account(points_db):
    with pytest.raises(AccountNotFound):
        await _adjust(points_db, f"NOBODY{uuid.uuid4().hex[:6]}", 5)
    no = await add_employee_copy(points_db, employee_copy)
    for actor in (no, no.lower(), f" {no} "):
        with pytest.raises(SelfAdjustment):
            await ledger.adjust(points_db, no, data=_adjustment(5), actor=actor, tz=SHANGHAI)


async def test_a_reversal_compensates_once_and_is_itself_final(points_db):
    no = await add_employee_copy(points_db, employee_copy)
    entry_id = await _adjust(points_db, no, 20)
    reversal = await ledger.reverse_entry(points_db, entry_id, actor="HR002", tz=SHANGHAI,
                                          data=ReversalCreate(reason="重复录入"))
    assert (reversal.kind, reversal.points, reversal.reverses_entry_id) == ("reverse", -20,
                                                                             entry_id)
    assert reversal.reason == "撤销: 人工调整: 补录线下培训 (重复录入)"
    assert ((await _account(points_db, no)).balance, (await _account(points_db, no)).qualifying
            ) == (0, 0)
    with pytest.raises(EntryAlreadyReversed):
        await ledger.reverse_entry(points_db, entry_id, actor="HR002", tz=SHANGHAI,
                                   data=ReversalCreate(reason="再次撤销"))
    with pytest.raises(EntryIsReversal):
        await ledger.reverse_entry(points_db, reversal.id, actor="HR002", tz=SHANGHAI,
                                   data=ReversalCreate(reason="撤销撤销"))
    with pytest.raises(EntryNotFound):
        await ledger.reverse_entry(points_db, 2**62, actor="HR002", tz=SHANGHAI,
                                   data=ReversalCreate(reason="x"))


async def test_reversing_a_penalty_gives_the_points_back(points_db):
    no = await add_employee_copy(points_db, employee_copy)
    await _adjust(points_db, no, 30)
    penalty = await _adjust(points_db, no, -10, reason="误扣")
    back = await ledger.reverse_entry(points_db, penalty, actor="HR002", tz=SHANGHAI,
                                      data=ReversalCreate(reason="扣错了"))
    assert back.points == 10 and (await _account(points_db, no)).balance == 30


async def test_reversing_spent_points_takes_what_is_left_and_records_the_shortfall(points_db):
    no = await add_employee_copy(points_db, employee_copy)
    earned = await _adjust(points_db, no, 20)
    await points_db.execute(update(Account).where(Account.employee_no == no)
                            .values(balance=Account.balance - 15))  # spent in the mall
    reversal = await ledger.reverse_entry(points_db, earned, actor="HR002", tz=SHANGHAI,
                                          data=ReversalCreate(reason="重复录入"))
    assert (reversal.points, reversal.qualifying_points) == (-5, -20)
    assert reversal.details["shortfall"] == 15 and "qualifying_shortfall" not in reversal.details
    account = await _account(points_db, no)
    assert (account.balance, account.qualifying) == (0, 0)


async def test_voiding_a_fact_reverses_its_standing_entries_and_is_remembered(points_db):
    no = await add_employee_copy(points_db, employee_copy)
    fact_id = str(uuid.uuid4())
    occurred = datetime.now(UTC)
    await repo.lock_account(points_db, no)  # as earning does before posting
    await ledger.post(points_db, no, [
        Posting(kind="earn", amount=amount, qualifying_amount=amount, category="participation",
                reason="完成课程", occurred_at=occurred, source_fact_id=fact_id,
                rule_id=rule, rule_set_version=1, source_event_id=uuid.uuid4())
        for rule, amount in (("course.per_class_hour", 16), ("exam.score", 4))], tz=SHANGHAI)
    void = FactVoided(fact_id=str(uuid.uuid4()), employee_no=no, occurred_at=occurred,
                      voided_fact_id=fact_id, reason="录错了人")
    outcome = await ledger.void_fact(points_db, void, event_id=uuid.uuid4(), tz=SHANGHAI)
    assert sorted(a.points for a in outcome.awarded) == [-16, -4]
    assert (outcome.balance, outcome.month_points, outcome.skipped) == (0, 0, [])
    assert await repo.is_fact_voided(points_db, fact_id)
    again = await ledger.void_fact(points_db, void, event_id=uuid.uuid4(), tz=SHANGHAI)
    assert again.awarded == [] and again.skipped  # nothing left to take back


# --- postings (pure) ---

def test_bounded_limits_only_what_is_taken_away():
    assert [bounded(5, 0), bounded(-5, 10), bounded(-5, 3), bounded(-5, -2)] == [5, -5, -3, 0]


def test_reversals_share_out_what_the_account_still_holds():
    account = SimpleNamespace(balance=25, held=5, qualifying=100)
    targets = [SimpleNamespace(id=i, amount=amount, qualifying_amount=amount,
                               category="outcome", reason="考试", occurred_at=datetime.now(UTC),
                               rule_id=None, rule_set_version=None, source_fact_id=None,
                               dedupe_key=None) for i, amount in ((1, 15), (2, 15))]
    first, second = reversal_postings(targets, account=account, reason="撤销", actor=None,
                                      event_id=None, details={})
    assert (first.amount, second.amount) == (-15, -5)  # 20 spendable in all
    assert (first.qualifying_amount, second.qualifying_amount) == (-15, -15)
    assert "shortfall" not in first.details and second.details["shortfall"] == 10


def test_period_totals_follow_the_company_calendar_and_openings_count_all_time_only():
    new_year = datetime(2026, 12, 31, 17, tzinfo=UTC)  # 1 January 2027 in Shanghai
    deltas = period_deltas([
        Posting(kind="earn", amount=10, qualifying_amount=10, category="growth", reason="",
                occurred_at=new_year),
        Posting(kind="opening", amount=99, qualifying_amount=99, category=None, reason="",
                occurred_at=new_year),
        Posting(kind="redeem", amount=-5, qualifying_amount=0, category=None, reason="",
                occurred_at=new_year)], SHANGHAI)
    assert deltas["M2027-01"] == {"points": 10, "growth_points": 10}
    assert "M2026-12" not in deltas
    assert deltas[ALL_TIME] == {"points": 109, "growth_points": 10}
