"""What a replay is compared with: per employee and per rule, the points the window's
events earned and would have earned, the milestones the difference would make or
unmake, and the summary HR reviews. Pure functions of what the replay and the
ledger gave (no database)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from services.points_api.milestones.criteria import Facts, window_points
from services.points_api.milestones.models import Requirement
from services.points_api.whatif.replay import CATEGORIES, EmployeeResult
from services.points_api.whatif.schemas import (
    MilestoneComparison,
    Mix,
    ReplayNotes,
    RuleComparison,
    SimulationSummary,
)


class Comparison:
    """One employee: what their window's events earned and would have earned."""

    __slots__ = ("events", "actual", "simulated", "month_difference")

    def __init__(self) -> None:
        self.events = 0
        self.actual = dict.fromkeys(CATEGORIES, 0)
        self.simulated = dict.fromkeys(CATEGORIES, 0)
        self.month_difference: dict[str, int] = defaultdict(int)

    def row(self) -> dict[str, Any]:
        actual, simulated = sum(self.actual.values()), sum(self.simulated.values())
        return {"events": self.events, "actual_points": actual, "simulated_points": simulated,
                "difference": simulated - actual, "actual_by_category": self.actual,
                "simulated_by_category": self.simulated}


def compare(results: dict[str, EmployeeResult], actual: list[tuple[str, str, str, str, int]],
            ) -> tuple[dict[str, Comparison], dict[str, list[int]]]:
    """Per employee, and per rule as [actual, simulated] points."""
    compared: dict[str, Comparison] = defaultdict(Comparison)
    by_rule: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for no, result in results.items():
        c = compared[no]
        c.events = result.events
        for category, value in result.by_category.items():
            c.simulated[category] = c.simulated.get(category, 0) + value
        for month, value in result.by_month.items():
            c.month_difference[month] += value
        for rule_id, value in result.by_rule.items():
            by_rule[rule_id][1] += value
    for no, category, rule_id, month, value in actual:
        c = compared[no]
        c.actual[category] = c.actual.get(category, 0) + value
        c.month_difference[month] -= value
        by_rule[rule_id][0] += value
    return dict(compared), dict(by_rule)


class MilestoneChanges:
    """Whose position and certification points bars the simulated points would make
    them meet (gained) or miss (lost), as ``kind:code`` per employee."""

    def __init__(self, requirements: list[tuple[str, Requirement]]) -> None:
        self.requirements = requirements
        self.gained: dict[str, list[str]] = defaultdict(list)
        self.lost: dict[str, list[str]] = defaultdict(list)

    def judge(self, employee_no: str, actual: Facts, simulated: Facts) -> None:
        for kind, requirement in self.requirements:
            meets = window_points(actual, requirement.points_window_months) \
                >= requirement.min_points
            would = window_points(simulated, requirement.points_window_months) \
                >= requirement.min_points
            if would != meets:
                (self.gained if would else self.lost)[employee_no].append(
                    f"{kind}:{requirement.code}")

    def comparisons(self) -> list[MilestoneComparison]:
        gained = Counter(key for keys in self.gained.values() for key in keys)
        lost = Counter(key for keys in self.lost.values() for key in keys)
        return [MilestoneComparison(
            kind=kind, code=r.code, name=r.name, min_points=r.min_points,
            points_window_months=r.points_window_months,
            gained=gained[f"{kind}:{r.code}"], lost=lost[f"{kind}:{r.code}"])
            for kind, r in self.requirements]


def summarise(compared: dict[str, Comparison], milestones: MilestoneChanges,
              by_rule: dict[str, list[int]], names: dict[str, tuple[str, str]], *,
              events: int, notes: ReplayNotes) -> SimulationSummary:
    """The whole simulation at a glance: the category mix before and after, each
    rule's points before and after, and the milestones gained and lost."""
    actual_mix: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
    simulated_mix: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
    changed = 0
    for c in compared.values():
        for category, value in c.actual.items():
            actual_mix[category] = actual_mix.get(category, 0) + value
        for category, value in c.simulated.items():
            simulated_mix[category] = simulated_mix.get(category, 0) + value
        if c.actual != c.simulated:
            changed += 1
    return SimulationSummary(
        events=events, employees=len(compared), employees_changed=changed,
        actual=_mix(actual_mix), simulated=_mix(simulated_mix),
        difference=sum(simulated_mix.values()) - sum(actual_mix.values()),
        rules=_rule_comparisons(by_rule, names),
        milestones=milestones.comparisons(), notes=notes)


def _rule_comparisons(by_rule: dict[str, list[int]],
                      names: dict[str, tuple[str, str]]) -> list[RuleComparison]:
    return [RuleComparison(rule_id=rule_id, rule_name=names.get(rule_id, (None, None))[0],
                           category=names.get(rule_id, (None, None))[1],
                           actual_points=actual, simulated_points=simulated,
                           difference=simulated - actual)
            for rule_id, (actual, simulated) in sorted(by_rule.items())
            if actual or simulated]


def _mix(by_category: dict[str, int]) -> Mix:
    total = sum(by_category.values())
    return Mix(total=total, by_category=dict(by_category),
               shares={c: (round(v / total, 4) if total else None)
                       for c, v in by_category.items()})
