"""The points mix from the ledger's sums: shares, statuses against the targets, and
the alerts with what to do about them. Pure functions, no database.

A share is a category's (or source's) points over the points the rules paid in
the period, as a percent. Statuses compare exactly (integers, no rounding): a
share on the edge of its band is ``ok``. Nothing earned means no shares, no
statuses and no alerts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import get_args

from services.points_api.mix.schemas import (
    AdjustmentsMix,
    Alert,
    CategoryMix,
    MixStatus,
    SourceMix,
    SourceTarget,
    SourceTargetMix,
    Targets,
)
from services.points_api.rules.schemas import Category

CATEGORIES: tuple[str, ...] = get_args(Category)
CATEGORY_LABELS = {"participation": "参与度积分", "outcome": "成果积分", "growth": "成长积分"}
CATEGORY_SUGGESTIONS = {
    ("participation", MixStatus.BELOW):
        "考虑提高课程完成、直播互动和学习笔记的积分，或增加培训场次",
    ("participation", MixStatus.ABOVE): "考虑降低按课时等参与类积分或收紧每日/每周上限，"
                                "让积分更多奖励学习成果",
    ("outcome", MixStatus.BELOW): "考虑提高考试、实操考核和技能应用确认的积分",
    ("outcome", MixStatus.ABOVE): "考虑检查考试和实操考核的分值与通过标准是否过宽",
    ("growth", MixStatus.BELOW): "考虑提高排名奖励、连续激励等成长类积分",
    ("growth", MixStatus.ABOVE): "考虑降低排名奖励或倍数激励等成长类积分",
}


@dataclass(frozen=True)
class MixRow:
    """The ledger's entries of one category and rule in the period (rule None: HR's
    adjustments and their reversals)."""

    category: str | None
    rule_id: str | None
    points: int
    entries: int
    reversals: int
    adjustments: int


@dataclass(frozen=True)
class RuleInfo:
    name: str
    category: str | None


def share_percent(points: int, total: int) -> float | None:
    if total == 0:
        return None
    return float((Decimal(points * 100) / total).quantize(Decimal("0.01"), ROUND_HALF_UP))


def status(points: int, total: int, low: int | None, high: int | None) -> MixStatus | None:
    if total == 0:
        return None
    if low is not None and points * 100 < low * total:
        return MixStatus.BELOW
    if high is not None and points * 100 > high * total:
        return MixStatus.ABOVE
    return MixStatus.OK


def shown(points: int, total: int, direction: MixStatus) -> str:
    """The share for a message, one decimal, rounded away from the bound it crossed
    (19.96% below 20% reads 19.9%, never 20%)."""
    rounding = ROUND_FLOOR if direction == MixStatus.BELOW else ROUND_CEILING
    value = (Decimal(points * 100) / total).quantize(Decimal("0.1"), rounding)
    return f"{value:f}".removesuffix(".0")


def categories(rows: list[MixRow], targets: Targets, total: int) -> list[CategoryMix]:
    points = {c: sum(r.points for r in rows if r.rule_id is not None and r.category == c)
              for c in CATEGORIES}
    out = []
    for category in CATEGORIES:
        target = getattr(targets.categories, category)
        low = max(0, target.target_percent - target.tolerance_percent)
        high = min(100, target.target_percent + target.tolerance_percent)
        out.append(CategoryMix(
            category=category, label=CATEGORY_LABELS[category], points=points[category],
            share_percent=share_percent(points[category], total),
            target_percent=target.target_percent, tolerance_percent=target.tolerance_percent,
            band_low_percent=low, band_high_percent=high,
            status=status(points[category], total, low, high)))
    return out


def sources(rows: list[MixRow], names: dict[str, RuleInfo], total: int) -> list[SourceMix]:
    by_rule: dict[str, list[MixRow]] = {}
    for row in rows:
        if row.rule_id is not None:
            by_rule.setdefault(row.rule_id, []).append(row)
    out = []
    for rule_id, group in by_rule.items():
        points = sum(r.points for r in group)
        info = names.get(rule_id)
        out.append(SourceMix(
            rule_id=rule_id, rule_name=info.name if info else None,
            category=_category(group, info), points=points,
            share_percent=share_percent(points, total), entries=sum(r.entries for r in group),
            reversals=sum(r.reversals for r in group)))
    return sorted(out, key=lambda s: (-s.points, s.rule_id))


def _category(group: list[MixRow], info: RuleInfo | None) -> str | None:
    """The category most of the rule's points were paid in (a rule set may have moved
    the rule to another category during the period), else the rule set's."""
    paid = [r for r in group if r.category is not None]
    if paid:
        return max(paid, key=lambda r: (abs(r.points), r.entries)).category
    return info.category if info else None


def source_targets(found: list[SourceMix], wanted: list[SourceTarget],
                   total: int) -> list[SourceTargetMix]:
    points = {s.rule_id: s.points for s in found}
    out = []
    for target in wanted:
        mine = sum(points.get(rule_id, 0) for rule_id in target.rule_ids)
        out.append(SourceTargetMix(
            label=target.label, rule_ids=target.rule_ids, points=mine,
            share_percent=share_percent(mine, total), min_percent=target.min_percent,
            max_percent=target.max_percent,
            status=status(mine, total, target.min_percent, target.max_percent)))
    return out


def adjustments(rows: list[MixRow]) -> AdjustmentsMix:
    manual = [r for r in rows if r.rule_id is None]
    by_category = {c: sum(r.points for r in manual if r.category == c) for c in CATEGORIES}
    return AdjustmentsMix(points=sum(r.points for r in manual),
                          entries=sum(r.adjustments for r in manual), **by_category)


def alerts(mix: list[CategoryMix], named: list[SourceTargetMix], total: int,
           names: dict[str, RuleInfo]) -> list[Alert]:
    out = []
    for c in mix:
        if c.status is MixStatus.BELOW or c.status is MixStatus.ABOVE:
            word = "低于" if c.status is MixStatus.BELOW else "高于"
            out.append(Alert(
                kind="category", subject=c.category, status=c.status,
                share_percent=c.share_percent or 0.0,
                bound_percent=(c.band_low_percent if c.status is MixStatus.BELOW
                               else c.band_high_percent),
                message=f"{c.label} 占 {shown(c.points, total, c.status)}%，{word}目标 "
                        f"{c.target_percent}%（容许 {c.band_low_percent}%–{c.band_high_percent}%）",
                suggestion=CATEGORY_SUGGESTIONS[(c.category, c.status)]))
    for s in named:
        if s.status is MixStatus.BELOW or s.status is MixStatus.ABOVE:
            below = s.status is MixStatus.BELOW
            bound = s.min_percent if below else s.max_percent
            rules = "、".join(f"「{names[r].name if r in names else r}」" for r in s.rule_ids)
            out.append(Alert(
                kind="source", subject=s.label, status=s.status,
                share_percent=s.share_percent or 0.0, bound_percent=bound or 0,
                message=f"{s.label} 占 {shown(s.points, total, s.status)}%，"
                        f"{'低于目标下限' if below else '高于目标上限'} {bound}%",
                suggestion=f"考虑提高{rules}的积分" if below
                else f"考虑降低{rules}的积分或为其设置上限"))
    return out
