"""Replaying logged training events under another rule set: what each employee
would have earned. Pure: events and the surrounding ledger history in, awards out.

The replay walks the events in the order points_api applied them (the log's
``seq``) and gives the rule engine the same history it had then, except that the
simulated facts' own earlier awards are the simulated ones:

- cap usage and best-result payments come from the ledger entries of facts outside
  the simulation that were standing at that point (applied before the event, not yet
  reversed), plus the simulated awards so far;
- a voided fact's simulated awards stop counting when its void event comes, and a
  fact voided before its own event arrives earns nothing, as in the ledger;
- a rule that already paid a fact (the fact sent again under a new event id) does
  not pay it again.

So a replay of the rule set that was in force reproduces the ledger exactly, and a
replay of a draft shows what the draft alone changes.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from pydantic import ValidationError

from services.points_api.ledger.periods import month_key
from services.points_api.rules.engine import (
    AwardHistory,
    AwardOutOfRange,
    HistoryNeeds,
    evaluate,
    history_needs,
)
from services.points_api.rules.history import EmployeeHistory, PriorEntry, SimulatedAward
from services.points_api.rules.schemas import Award, RuleSet
from shared.contracts.training_events import (
    FACT_VOIDED,
    EmployeeContext,
    parse_training_event,
)

CATEGORIES = ("participation", "outcome", "growth")


@dataclass(frozen=True)
class LoggedEvent:
    """One row of the training event log."""

    seq: int
    event_id: uuid.UUID
    event_type: str
    employee_no: str
    fact_id: str
    occurred_at: datetime
    payload: Mapping[str, Any]
    employee: Mapping[str, Any] | None
    recorded_at: datetime | None = None  # when it was applied; None: before everything


@dataclass
class EmployeeResult:
    events: int = 0
    by_category: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    by_rule: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_month: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def points(self) -> int:
        return sum(self.by_category.values())


@dataclass
class ReplayStats:
    events: int = 0  # training facts replayed (void events not counted)
    skipped_voided: int = 0
    unreadable: int = 0  # payloads the current event models no longer accept
    confirmer_points_clamped: int = 0  # chosen points moved into the draft's range
    unscorable: int = 0  # confirmed points no range of the draft could take


class Replay:
    """Feed it events in ``seq`` order; read ``results`` and ``stats`` afterwards."""

    def __init__(self, rule_set: RuleSet, *, tz: tzinfo,
                 prior: Mapping[str, list[PriorEntry]] | None = None,
                 streaks: Mapping[tuple[str, str], list[tuple[str, datetime]]] | None = None,
                 keep_awards: bool = False) -> None:
        self.rule_set = rule_set
        self.tz = tz
        self._prior = prior or {}
        self._streaks = streaks or {}
        self._histories: dict[str, EmployeeHistory] = {}
        self._contexts: dict[str, tuple[Mapping[str, Any], EmployeeContext]] = {}
        self._voided: set[str] = set()
        self.results: dict[str, EmployeeResult] = defaultdict(EmployeeResult)
        self.stats = ReplayStats()
        # with keep_awards: every award with the event that earned it, in replay order
        self.awards: list[tuple[LoggedEvent, SimulatedAward]] | None = [] if keep_awards \
            else None

    def feed(self, event: LoggedEvent) -> None:
        if event.event_type == FACT_VOIDED:
            self._void(event)
        else:
            self._replay(event)

    # -- internals -------------------------------------------------------------------------

    def _history(self, employee_no: str) -> EmployeeHistory:
        history = self._histories.get(employee_no)
        if history is None:
            history = self._histories[employee_no] = EmployeeHistory(
                list(self._prior.get(employee_no, ())))
        return history

    def _void(self, event: LoggedEvent) -> None:
        fact_id = str(event.payload.get("voided_fact_id", ""))
        try:
            fact_id = str(uuid.UUID(fact_id))
        except ValueError:
            return
        self._voided.add(fact_id)
        # a void names the employee of the fact it withdraws
        for award in self._history(event.employee_no).void(fact_id):
            self._count(self.results[event.employee_no], award, sign=-1)

    def _replay(self, logged: LoggedEvent) -> None:
        self.stats.events += 1
        result = self.results[logged.employee_no]
        result.events += 1
        if logged.fact_id in self._voided:
            self.stats.skipped_voided += 1
            return
        try:
            event = parse_training_event(logged.event_type, dict(logged.payload))
            employee = self._context(logged)
        except (ValidationError, ValueError):
            self.stats.unreadable += 1
            return
        history = self._history(logged.employee_no)
        needs = history_needs(self.rule_set, event, employee, self.tz)
        on_streak: frozenset[str] = frozenset()
        if needs.streak_rule_ids:  # qualified for in the event's month by the time it came
            month = month_key(event.occurred_at, self.tz)
            on_streak = frozenset(
                rule_id for rule_id, qualified_at
                in self._streaks.get((logged.employee_no, month), ())
                if logged.recorded_at is None or qualified_at <= logged.recorded_at)
        known = AwardHistory(
            cap_usage={w.key: history.cap_usage(w, logged.seq) for w in needs.cap_windows},
            paid_for_key=history.paid_for_keys(needs.dedupe_keys, logged.seq),
            streak_rule_ids=frozenset(needs.streak_rule_ids) & on_streak)
        awards = self._evaluate(event, employee, known, needs)
        paid = history.paid_rules[logged.fact_id]
        for award in awards:
            if award.rule_id in paid:
                continue
            paid.add(award.rule_id)
            simulated = SimulatedAward(
                fact_id=logged.fact_id, rule_id=award.rule_id, category=award.category,
                points=award.points, occurred_at=event.occurred_at, dedupe_key=award.dedupe_key)
            history.awards.append(simulated)
            self._count(result, simulated, sign=1)
            if self.awards is not None:
                self.awards.append((logged, simulated))

    def _evaluate(self, event: Any, employee: EmployeeContext, history: AwardHistory,
                  needs: HistoryNeeds) -> list[Award]:
        """The draft's awards; points a confirmer chose outside the draft's range are
        taken as the nearest end of the range (the confirmer could not have chosen them).
        When no points fit every range that applies, the event pays nothing."""
        try:
            return evaluate(self.rule_set, event.event_type, event, employee, history,
                            self.tz, needs=needs).awards
        except AwardOutOfRange as exc:
            self.stats.confirmer_points_clamped += 1
            clamped = min(max(event.points, exc.min_points), exc.max_points)
        try:
            return evaluate(self.rule_set, event.event_type,
                            event.model_copy(update={"points": clamped}), employee, history,
                            self.tz).awards
        except AwardOutOfRange:
            self.stats.unscorable += 1
            return []

    def _context(self, logged: LoggedEvent) -> EmployeeContext:
        """The employee facts the event was scored with (parsed once while they stay the
        same: employees rarely move within a window)."""
        if logged.employee is None:
            raise ValueError("event logged without the employee's facts")
        cached = self._contexts.get(logged.employee_no)
        if cached is not None and cached[0] == logged.employee:
            return cached[1]
        context = EmployeeContext.model_validate(logged.employee)
        self._contexts[logged.employee_no] = (logged.employee, context)
        return context

    def _count(self, result: EmployeeResult, award: SimulatedAward, *, sign: int) -> None:
        points = sign * award.points
        result.by_category[award.category] = result.by_category.get(award.category, 0) + points
        result.by_rule[award.rule_id] += points
        result.by_month[month_key(award.occurred_at, self.tz)] += points

