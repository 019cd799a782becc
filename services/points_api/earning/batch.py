"""Earning for a batch of training events in one transaction, with a number of
statements that does not grow with the batch: one statement claims the events (the
consumer's inbox), reads the employee copies, creates and locks the accounts, and
reads the voided facts and the rule set versions; one reads the award history; the
rules are evaluated in Python, event after event, over that history plus the awards
made earlier in the batch; then one insert of the event log, one of every entry, one
statement moving every account and period total, one rank query, one insert of the
notifications and one of the webhook events with their deliveries.

The outcome of each event is the one the event would have had alone, applied in
the batch's order: exactly-once per event (the first statement claims the batch's
event ids before anything else), a rule pays a fact once, caps and best-result
top-ups count what the batch paid before the event. Events that cannot be applied
(no employee copy yet, points out of a rule's range) are answered as such and leave
nothing behind. Voids are not taken here: they reverse entries and go one by one.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api import employee_copies
from services.points_api.earning import repository as repo
from services.points_api.earning.service import (
    POINTS_EVENT_NAMESPACE,
    _points_payload,
    _posting,
    earning,
    proves_skill,
)
from services.points_api.ledger import repository as ledger_repo
from services.points_api.ledger.periods import month_key
from services.points_api.ledger.service import Posting, account_delta, period_deltas
from services.points_api.notifications.service import notifications
from services.points_api.rules.engine import AwardHistory, AwardOutOfRange, evaluate, history_needs
from services.points_api.rules.history import EmployeeHistory, SimulatedAward
from services.points_api.rules.schemas import RuleSet
from services.points_api.rules.service import rule_sets
from services.points_api.webhooks.event_types import POINTS_AWARDED
from services.points_api.webhooks.publish import publish_params
from shared.consumer import RejectEvent, RetryLater
from shared.contracts.events import EventEnvelope
from shared.contracts.points import AwardedEntry, PointsOutcome
from shared.contracts.training_events import (
    EmployeeContext,
    TrainingEvent,
    parse_training_event,
)
from shared.db import DriverConnection, session_driver
from shared.inbox import Claims

Outcome = dict[str, Any] | RetryLater | RejectEvent


@dataclass
class _Event:
    """One event of the batch on its way: what it is, and what it earned."""

    envelope: EventEnvelope
    event: TrainingEvent
    employee: EmployeeContext
    rule_set: RuleSet | None = None
    postings: list[Posting] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    entries: list[tuple[int, Posting]] = field(default_factory=list)  # (id, what it wrote)


class BatchEarning:
    async def apply(self, session: AsyncSession, envelopes: list[EventEnvelope],
                    claims: Claims, *, tz: tzinfo) -> list[Outcome | None]:
        """For each envelope (each id once), its receipt's result, the
        RetryLater/RejectEvent that says why it was not applied, or None when its claim
        (``claims``, taken by the batch's first statement) finds it applied before.
        Writes nothing for an event that was not applied."""
        outcomes: list[Outcome | None] = [None] * len(envelopes)
        parsed: dict[int, TrainingEvent] = {}
        for i, envelope in enumerate(envelopes):
            try:
                parsed[i] = parse_training_event(envelope.event_type, envelope.payload)
            except (ValidationError, ValueError) as exc:
                outcomes[i] = RejectEvent(f"invalid {envelope.event_type} payload: {exc}")
        known = await self._start(session, claims, {
            envelopes[i].event_id: (e.employee_no, e.fact_id) for i, e in parsed.items()})
        batch: dict[int, _Event] = {}
        for i, envelope in enumerate(envelopes):
            if envelope.event_id not in known.claimed:
                outcomes[i] = None  # applied before: a duplicate
            elif i not in parsed:
                continue
            elif (copy := known.copies.get(parsed[i].employee_no)) is None:
                outcomes[i] = RetryLater(f"employee {parsed[i].employee_no} is not synced to "
                                         "points_api yet")
            else:
                batch[i] = _Event(envelope, parsed[i], employee_copies.context_of(copy))
        if batch:
            db = await session_driver(session)  # the statements after the first
            rejected = await self._evaluate(session, db, batch, known, tz)
            for i, error in rejected.items():
                outcomes[i] = error
                del batch[i]
            results = await self._write(session, db, list(batch.values()), known.accounts, tz)
            for i, result in zip(batch, results, strict=True):
                outcomes[i] = result
        return outcomes

    @staticmethod
    async def _start(session: AsyncSession, claims: Claims,
                     events: dict[uuid.UUID, tuple[str, str]]) -> repo.BatchStart:
        """The batch's first statement; an account another batch created meanwhile (the
        statement's snapshot does not see it) is locked by a second one."""
        known = await repo.start(session, claims, events)
        missing = [no for no in known.copies if no not in known.accounts]
        if missing:
            rows = await ledger_repo.lock_accounts(session, missing)
            known.accounts.update({no: repo.Balances(r.balance, r.held, r.qualifying)
                                   for no, r in rows.items()})
        return known

    async def _evaluate(self, session: AsyncSession, db: DriverConnection,
                        batch: dict[int, _Event], known: repo.BatchStart, tz: tzinfo,
                        ) -> dict[int, RejectEvent]:
        """The postings of every event, in the batch's order, over one read of history."""
        voided, versions = known.voided, known.versions
        needs = {}
        for i, e in batch.items():
            e.rule_set = await self._rule_set(session, versions, e.event.occurred_at)
            if e.rule_set is not None and e.event.fact_id not in voided:
                needs[i] = history_needs(e.rule_set, e.event, e.employee, tz)
        histories = await self._histories(db, batch, needs)
        on_streak = await self._streaks(session, batch, needs, tz)
        rejected: dict[int, RejectEvent] = {}
        for i, e in batch.items():
            if e.event.fact_id in voided:
                e.skipped = ["该记录已撤销，不计分"]
            elif e.rule_set is None:
                e.skipped = ["该时间没有生效的积分规则"]
            else:
                try:
                    self._award(e, needs[i], histories[e.event.employee_no], on_streak, tz)
                except AwardOutOfRange as exc:
                    rejected[i] = RejectEvent(str(exc))
        return rejected

    async def _rule_set(self, session: AsyncSession, versions: list[tuple[datetime, int]],
                        at: datetime) -> RuleSet | None:
        """The published version in effect at ``at`` (latest effective time at or
        before it, the higher version on a tie), parsed once per process."""
        version = next((v for effective, v in versions if effective <= at), None)
        return None if version is None else await rule_sets.published(session, version)

    async def _histories(self, db: DriverConnection, batch: dict[int, _Event],
                         needs: dict[int, Any]) -> dict[str, EmployeeHistory]:
        windows = [w for n in needs.values() for w in n.cap_windows]
        prior = await repo.history(
            db, {e.event.employee_no for e in batch.values()},
            cap_rule_ids={r for w in windows for r in w.rule_ids},
            start=min((w.start for w in windows), default=None),
            end=max((w.end for w in windows), default=None),
            dedupe_keys={k for n in needs.values() for k in n.dedupe_keys},
            fact_ids={e.event.fact_id for e in batch.values()})
        return {no: EmployeeHistory(prior.get(no, [])) for no in
                {e.event.employee_no for e in batch.values()}}

    async def _streaks(self, session: AsyncSession, batch: dict[int, _Event],
                       needs: dict[int, Any], tz: tzinfo) -> set[tuple[str, str, str]]:
        wanted = [(batch[i].event.employee_no, month_key(batch[i].event.occurred_at, tz),
                   rule_id) for i, n in needs.items() for rule_id in n.streak_rule_ids]
        if not wanted:
            return set()
        return await repo.streaks(session, {w[0] for w in wanted}, {w[1] for w in wanted},
                                  {w[2] for w in wanted})

    def _award(self, e: _Event, needs: Any, history: EmployeeHistory,
               on_streak: set[tuple[str, str, str]], tz: tzinfo) -> None:
        """What :meth:`EarningService._evaluate` decides for one event, with the batch's
        earlier awards in the history (``seq`` 1: after every prior entry)."""
        no, month = e.event.employee_no, month_key(e.event.occurred_at, tz)
        known = AwardHistory(
            cap_usage={w.key: history.cap_usage(w, 1) for w in needs.cap_windows},
            paid_for_key=history.paid_for_keys(needs.dedupe_keys, 1),
            streak_rule_ids=frozenset(r for r in needs.streak_rule_ids
                                      if (no, month, r) in on_streak))
        assert e.rule_set is not None
        evaluation = evaluate(e.rule_set, e.event.event_type, e.event, e.employee, known, tz,
                              needs=needs)
        e.skipped = [s.detail for s in evaluation.skipped]
        paid = history.paid_rules[e.event.fact_id]
        for award in evaluation.awards:
            if award.rule_id in paid:
                e.skipped.append(f"{award.reason}：此记录已计分")
                continue
            paid.add(award.rule_id)
            history.awards.append(SimulatedAward(
                fact_id=e.event.fact_id, rule_id=award.rule_id, category=award.category,
                points=award.points, occurred_at=e.event.occurred_at,
                dedupe_key=award.dedupe_key))
            e.postings.append(_posting(award, e.rule_set, e.event, e.envelope.event_id))

    async def _write(self, session: AsyncSession, db: DriverConnection, events: list[_Event],
                     accounts: dict[str, repo.Balances], tz: tzinfo) -> list[dict[str, Any]]:
        """Every write of the batch (one statement, then the notifications and webhook
        events, on ``db``: the session's connection), then each event's outcome."""
        if not events:
            return []
        postings: dict[str, list[Posting]] = defaultdict(list)
        for e in events:
            postings[e.event.employee_no].extend(e.postings)
        ids = iter(await repo.write(
            db, [_log_row(e) for e in events],
            [p.row(e.event.employee_no) for e in events for p in e.postings],
            ledger_repo.move_params(
                [account_delta(no, items) for no, items in postings.items() if items],
                {no: period_deltas(items, tz) for no, items in postings.items() if items})))
        for e in events:
            e.entries = [(next(ids), p) for p in e.postings]
        outcomes = await self._outcomes(db, events, accounts, tz)
        await self._consequences(session, db, events, outcomes, tz)
        return [o.model_dump(mode="json") for o in outcomes]

    async def _outcomes(self, db: DriverConnection, events: list[_Event],
                        accounts: dict[str, repo.Balances], tz: tzinfo) -> list[PointsOutcome]:
        """What :meth:`LedgerService.outcome` answers for each event, as it stood right
        after that event: balance, month points and rank."""
        month = month_key(datetime.now(UTC), tz)
        deltas = [sum(p.qualifying_amount for _, p in e.entries
                      if month_key(p.occurred_at, tz) == month) for e in events]
        later = [sum(d for e2, d in zip(events[i + 1:], deltas[i + 1:], strict=True)
                     if e2.event.employee_no == e.event.employee_no)
                 for i, e in enumerate(events)]
        ranks = await repo.month_ranks(db, month, [
            (e.event.employee_no, later[i], deltas[i]) for i, e in enumerate(events)])
        balance = {no: (a.balance - a.held, a.qualifying) for no, a in accounts.items()}
        out = []
        for e, (month_points, before, after) in zip(events, ranks, strict=True):
            spendable, qualifying = balance[e.event.employee_no]
            spendable += sum(p.amount for _, p in e.entries)
            qualifying += sum(p.qualifying_amount for _, p in e.entries)
            balance[e.event.employee_no] = (spendable, qualifying)
            out.append(PointsOutcome(
                employee_no=e.event.employee_no,
                awarded=[AwardedEntry(entry_id=entry_id, rule_id=p.rule_id,
                                      rule_set_version=p.rule_set_version, points=p.amount,
                                      category=p.category or "", reason=p.reason)
                         for entry_id, p in e.entries],
                total_points=sum(p.amount for _, p in e.entries), balance=spendable,
                qualifying_points=qualifying, month_points=month_points, month_rank=after,
                month_rank_change=before - after, skipped=e.skipped))
        return out

    async def _consequences(self, session: AsyncSession, db: DriverConnection,
                            events: list[_Event],
                            outcomes: list[PointsOutcome], tz: tzinfo) -> None:
        """The notifications and webhook events of the batch, in one statement; the
        milestone check of each employee whose points rose or who may have proven a
        skill (no statement at all while no milestone is defined)."""
        # replayed history (a history import) is news to nobody
        awarded = [(e, o) for e, o in zip(events, outcomes, strict=True)
                   if o.awarded and e.event.legacy_id is None]
        if awarded:
            await repo.consequences(
                db, notifications.points_rows([o for _, o in awarded]),
                publish_params(POINTS_AWARDED, [
                    (uuid.uuid5(POINTS_EVENT_NAMESPACE, str(e.envelope.event_id)),
                     e.event.occurred_at, _points_payload(e.event, o)) for e, o in awarded]))
        checks: dict[str, bool] = {}
        for e, o in zip(events, outcomes, strict=True):
            proves = proves_skill(e.event)
            if proves or o.total_points > 0:
                checks[e.event.employee_no] = checks.get(e.event.employee_no, False) or proves
        await earning.check_milestones(session, checks, tz=tz)


def _log_row(e: _Event) -> dict[str, Any]:
    return {"event_id": e.envelope.event_id, "event_type": e.envelope.event_type,
            "employee_no": e.event.employee_no, "fact_id": e.event.fact_id,
            "occurred_at": e.event.occurred_at, "payload": e.envelope.payload,
            "employee": e.employee.model_dump(mode="json")}


batch_earning = BatchEarning()
