"""Streak incentives: who is on which streak in which month.

A streak multiplier (a multiplier rule with a ``streak`` condition) pays an
employee in month T when they were in the monthly top ``top_percent`` for each of
the ``months`` months before T. That is decided once those months have closed:
the honours job, when it closes month T-1, records the qualification of every
streak rule of the rule sets in effect during T (so far); the periodic job adds
rules published later in T. The earning path then only looks up
(employee, T, rule) in the engine's history.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.incentives import repository as repo
from services.points_api.incentives.schemas import StreakSummary
from services.points_api.ledger.periods import period_bounds
from services.points_api.milestones.criteria import trailing_months
from services.points_api.rules.schemas import Rule
from services.points_api.rules.service import rule_sets


def previous_month(month: str) -> str:
    return trailing_months(month, 2)[1]


class StreakService:
    async def qualified(self, session: AsyncSession, employee_no: str, month: str,
                        rule_ids: tuple[str, ...]) -> frozenset[str]:
        """The streak rules among ``rule_ids`` the employee is on in ``month``."""
        if not rule_ids:
            return frozenset()
        return await repo.qualified_rules(session, employee_no, month, rule_ids)

    async def compute(self, session: AsyncSession, month: str, *, tz: tzinfo,
                      dry_run: bool = False, only_new: bool = False) -> list[StreakSummary]:
        """Record who is on each streak rule in ``month`` (qualifications are only ever
        added). ``only_new`` skips rules already computed for the month."""
        done = await repo.computed(session, month) if only_new else set()
        out = []
        for rule in await self._streak_rules(session, month, tz):
            if rule.id in done:
                continue
            assert rule.streak is not None
            months = trailing_months(previous_month(month), rule.streak.months)
            count = await repo.record_streak(session, month=month, rule_id=rule.id,
                                             months=months, pct=rule.streak.top_percent,
                                             dry_run=dry_run)
            if not dry_run:
                await repo.record_computation(
                    session, month=month, rule_id=rule.id,
                    condition=rule.streak.model_dump(mode="json"), qualified=count)
            out.append(StreakSummary(rule_id=rule.id, month=month, months_counted=months,
                                     qualified=count))
        return out

    async def _streak_rules(self, session: AsyncSession, month: str, tz: tzinfo) -> list[Rule]:
        """Streak rules of every version in effect during ``month`` up to now (the
        latest definition of a rule id wins)."""
        start, end = period_bounds(month, tz)
        assert start is not None and end is not None
        until = min(end, datetime.now(UTC))
        moments = [start, *await repo.effective_within(session, start, until)]
        found: dict[str, Rule] = {}
        for moment in sorted(moments):
            rule_set = await rule_sets.active_rule_set(session, at=moment)
            for rule in rule_set.rules if rule_set else []:
                if rule.streak is not None:
                    found[rule.id] = rule
        return list(found.values())


streaks = StreakService()
