"""Training events become points: the consumer handler for every event type of
``shared.contracts.training_events``.

For one event: the employee's copy (not there yet: retry later), the account
lock, the rule set in effect when the fact occurred, the history its caps,
top-ups and streak multipliers need, the engine's evaluation, the entries, and
the outcome the employee sees at once (the receipt's result, relayed by
training_api). In the same transaction: the employee's notification, the
``points.awarded`` webhook (neither for records of a history import), and the
milestone check (certifications granted,
eligibility reached) that the new points or a newly proven skill may trigger.
"""

from __future__ import annotations

import uuid
from datetime import tzinfo
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api import employee_copies
from services.points_api.incentives.service import streaks
from services.points_api.ledger import repository as ledger_repo
from services.points_api.ledger.periods import month_key
from services.points_api.ledger.service import Posting, ledger
from services.points_api.milestones.service import milestones
from services.points_api.notifications.service import notifications
from services.points_api.rules.engine import (
    AwardHistory,
    AwardOutOfRange,
    HistoryNeeds,
    evaluate,
    history_needs,
)
from services.points_api.rules.schemas import Award, RuleSet
from services.points_api.rules.service import rule_sets
from services.points_api.webhooks.event_types import POINTS_AWARDED
from services.points_api.webhooks.publish import publish
from services.points_api.whatif.event_log import record_event
from shared.consumer import RejectEvent, RetryLater
from shared.contracts.events import EventEnvelope
from shared.contracts.points import PointsOutcome
from shared.contracts.training_events import (
    EmployeeContext,
    ExamAttempted,
    FactVoided,
    PracticalAssessed,
    SkillLevelRecorded,
    TrainingEvent,
    parse_training_event,
)

# derives the points.awarded webhook's event id from the training event's
POINTS_EVENT_NAMESPACE = uuid.UUID("0b7e3c52-8a41-4d6e-b1f9-5c2d7a3e9f14")


def proves_skill(event: TrainingEvent) -> bool:
    """Whether the event may prove a skill (a passed practical or exam, a legacy skill
    level): training_api recorded the proof before it sent the event."""
    return (isinstance(event, PracticalAssessed) and event.passed) or (
        isinstance(event, ExamAttempted) and event.score >= event.pass_score) or isinstance(
        event, SkillLevelRecorded)


class EarningService:
    async def apply(self, session: AsyncSession, envelope: EventEnvelope, *,
                    tz: tzinfo) -> dict[str, Any]:
        """Consumer handler: the event's points outcome, as the receipt's result."""
        try:
            event = parse_training_event(envelope.event_type, envelope.payload)
        except (ValidationError, ValueError) as exc:
            raise RejectEvent(f"invalid {envelope.event_type} payload: {exc}") from exc
        if isinstance(event, FactVoided):
            # logged under the account lock: the log's order is the order of application
            await ledger_repo.lock_account(session, event.employee_no)
            await record_event(session, envelope, event, employee=None)
            outcome = await ledger.void_fact(session, event, event_id=envelope.event_id, tz=tz)
        else:
            outcome = await self.earn(session, event, event_id=envelope.event_id, tz=tz,
                                      envelope=envelope)
        await self._consequences(session, event, outcome, event_id=envelope.event_id, tz=tz)
        return outcome.model_dump(mode="json")

    async def _consequences(self, session: AsyncSession, event: TrainingEvent,
                            outcome: PointsOutcome, *, event_id: uuid.UUID, tz: tzinfo) -> None:
        """What the outcome sets off, in its transaction: the employee's notification and
        the webhook when points moved; the milestone check when points rose or the
        event may have proven a skill (training_api records the proof before it sends
        the event, so a fresh look at the skills sees it)."""
        if outcome.awarded and event.legacy_id is None:  # replayed history is news to nobody
            await notifications.points_changed(session, outcome)
            await publish(session, event_type=POINTS_AWARDED, occurred_at=event.occurred_at,
                          event_id=uuid.uuid5(POINTS_EVENT_NAMESPACE, str(event_id)),
                          payload=_points_payload(event, outcome))
        proves = proves_skill(event)
        if proves or outcome.total_points > 0:
            await self.check_milestones(session, {event.employee_no: proves}, tz=tz)

    async def check_milestones(self, session: AsyncSession, employees: dict[str, bool], *,
                               tz: tzinfo) -> None:
        """The milestone check of each employee (the value: whether a skill may just
        have been proven), in employee number order, under their account locks."""
        for employee_no in sorted(employees):
            await milestones.check(session, employee_no, tz=tz,
                                   fresh_skills=employees[employee_no])

    async def earn(self, session: AsyncSession, event: TrainingEvent, *,
                   event_id: uuid.UUID, tz: tzinfo, envelope: EventEnvelope) -> PointsOutcome:
        employee = await employee_copies.get_context(session, event.employee_no)
        if employee is None:
            raise RetryLater(f"employee {event.employee_no} is not synced to points_api yet")
        account = await ledger_repo.lock_account(session, event.employee_no)
        # what the rules saw, kept for replaying the event under another rule set; logged
        # under the account lock, so the log's order is the order events were applied in
        await record_event(session, envelope, event, employee=employee)
        if await ledger_repo.is_fact_voided(session, event.fact_id):
            return await ledger.outcome(session, account=account, entries=[],
                                        skipped=["该记录已撤销，不计分"], tz=tz)
        rule_set = await rule_sets.active_rule_set(session, at=event.occurred_at)
        if rule_set is None:
            return await ledger.outcome(session, account=account, entries=[],
                                        skipped=["该时间没有生效的积分规则"], tz=tz)
        awards, skipped = await self._evaluate(session, rule_set, event, employee, tz)
        postings = [_posting(award, rule_set, event, event_id) for award in awards]
        entries, updated = await ledger.post(session, event.employee_no, postings, tz=tz)
        return await ledger.outcome(session, account=updated or account, entries=entries,
                                    skipped=skipped, tz=tz)

    async def _evaluate(self, session: AsyncSession, rule_set: RuleSet, event: TrainingEvent,
                        employee: EmployeeContext, tz: tzinfo) -> tuple[list[Award], list[str]]:
        """The awards to write, and why matching rules paid nothing. A rule that already
        paid this fact (the same fact sent again under a new event id) pays nothing."""
        needs = history_needs(rule_set, event, employee, tz)
        history = await self._history(session, event.employee_no, needs,
                                      month=month_key(event.occurred_at, tz))
        try:
            evaluation = evaluate(rule_set, event.event_type, event, employee, history, tz,
                                  needs=needs)
        except AwardOutOfRange as exc:
            # training_api checks the range before it confirms; this is the safety net
            raise RejectEvent(str(exc)) from exc
        skipped = [s.detail for s in evaluation.skipped]
        if not evaluation.awards:
            return [], skipped
        paid = await ledger_repo.rules_paid_for_fact(session, event.employee_no, event.fact_id)
        awards = [a for a in evaluation.awards if a.rule_id not in paid]
        skipped += [f"{a.reason}：此记录已计分" for a in evaluation.awards if a.rule_id in paid]
        return awards, skipped

    async def _history(self, session: AsyncSession, employee_no: str, needs: HistoryNeeds, *,
                       month: str) -> AwardHistory:
        if needs.is_empty:
            return AwardHistory()
        usage = {window.key: await ledger_repo.cap_usage(session, employee_no, window)
                 for window in needs.cap_windows}
        paid = await ledger_repo.paid_for_keys(session, employee_no, needs.dedupe_keys)
        on_streak = await streaks.qualified(session, employee_no, month, needs.streak_rule_ids)
        return AwardHistory(cap_usage=usage, paid_for_key=paid, streak_rule_ids=on_streak)


def _posting(award: Award, rule_set: RuleSet, event: TrainingEvent,
             event_id: uuid.UUID) -> Posting:
    details: dict[str, Any] = {"rule_name": award.rule_name, "event_type": event.event_type}
    if award.cap_applied:
        details["cap_applied"] = True
    return Posting(
        kind="earn", amount=award.points, qualifying_amount=award.points,
        category=award.category, reason=award.reason, occurred_at=event.occurred_at,
        rule_id=award.rule_id, rule_set_version=rule_set.version, source_event_id=event_id,
        source_fact_id=event.fact_id, dedupe_key=award.dedupe_key,
        base_points=award.base_points, multiplier_rule_ids=list(award.multiplier_rule_ids),
        details=details)


def _points_payload(event: TrainingEvent, outcome: PointsOutcome) -> dict[str, Any]:
    return {"employee_no": outcome.employee_no, "event_type": event.event_type,
            "fact_id": event.fact_id, "occurred_at": event.occurred_at,
            "total_points": outcome.total_points,
            "entries": [entry.model_dump() for entry in outcome.awarded],
            "balance": outcome.balance, "qualifying_points": outcome.qualifying_points,
            "month_points": outcome.month_points, "month_rank": outcome.month_rank}


earning = EarningService()
