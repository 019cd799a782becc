"""An employee's award history held in memory while events are evaluated one after
the other: what the rule engine's caps, best-result top-ups and "a rule pays a fact
once" need, from ledger entries read once plus the awards made since.

The what-if replay feeds it a window of logged events; the earning consumer a batch
of new events, so that a batch costs one read of history whatever its size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.points_api.rules.engine import CapWindowNeed
from services.points_api.rules.schemas import CapUsage

# entries applied before the event log existed count as applied before every event
BEFORE_LOG = 0


@dataclass(frozen=True)
class PriorEntry:
    """A ledger entry of a fact outside the simulation that the simulated facts' caps
    and best-result top-ups take into account. ``seq`` is the log position of the event
    that wrote it, ``reversed_seq`` that of the event that reversed it (earn entries)."""

    kind: str
    rule_id: str | None
    amount: int
    qualifying_amount: int
    occurred_at: datetime
    dedupe_key: str | None
    seq: int = BEFORE_LOG
    reversed_seq: int | None = None
    fact_id: str | None = None


@dataclass
class SimulatedAward:
    fact_id: str
    rule_id: str
    category: str
    points: int
    occurred_at: datetime
    dedupe_key: str | None
    standing: bool = True


class EmployeeHistory:
    """An employee's awards as far as caps, best-result top-ups and "already paid
    this fact" care: ledger entries from before (``prior``) and the awards made since
    (``awards``), in the order events are applied."""

    __slots__ = ("prior", "awards", "paid_rules")

    def __init__(self, prior: list[PriorEntry]) -> None:
        self.prior = prior
        self.awards: list[SimulatedAward] = []
        self.paid_rules: dict[str, set[str]] = defaultdict(set)
        for entry in prior:  # a simulated fact already paid before the event log began
            if (entry.fact_id is not None and entry.kind == "earn" and entry.rule_id
                    and entry.reversed_seq is None):
                self.paid_rules[entry.fact_id].add(entry.rule_id)

    def cap_usage(self, window: CapWindowNeed, seq: int) -> CapUsage:
        count = points = 0
        for entry in self.prior:
            if (entry.kind == "earn" and entry.rule_id in window.rule_ids
                    and window.start <= entry.occurred_at < window.end
                    and entry.seq < seq
                    and (entry.reversed_seq is None or entry.reversed_seq > seq)):
                count += 1
                points += entry.amount
        for award in self.awards:
            if (award.standing and award.rule_id in window.rule_ids
                    and window.start <= award.occurred_at < window.end):
                count += 1
                points += award.points
        return CapUsage(count, points)

    def paid_for_keys(self, keys: Iterable[str], seq: int) -> dict[str, int]:
        wanted = set(keys)
        paid: dict[str, int] = {}
        for entry in self.prior:
            if entry.dedupe_key in wanted and entry.seq < seq:
                paid[entry.dedupe_key] = paid.get(entry.dedupe_key, 0) + entry.qualifying_amount
        for award in self.awards:
            if award.standing and award.dedupe_key in wanted:
                paid[award.dedupe_key] = paid.get(award.dedupe_key, 0) + award.points
        return paid

    def void(self, fact_id: str) -> list[SimulatedAward]:
        voided = [a for a in self.awards if a.fact_id == fact_id and a.standing]
        for award in voided:
            award.standing = False
        self.paid_rules.pop(fact_id, None)
        return voided
