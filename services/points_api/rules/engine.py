"""The rule engine: from (rule set, event, employee, history) to awards.

Pure functions, no I/O. The service layer asks :func:`history_needs` what history an
event's evaluation depends on (cap usage per window, what an exam already paid),
loads exactly that, and passes it to :func:`evaluate` as an :class:`AwardHistory`.

How one event is evaluated:

1. Rules of the event type that are active at ``occurred_at``, whose filters match
   and whose award can be computed (a course without an explicit value does not
   match ``course_value``) are the matches.
2. In each exclusive group only the match with the lowest priority number stays.
3. Each remaining awarding rule computes its base points; multipliers that target
   it scale them (a streak multiplier only when the history says the employee is
   on that streak in the event's month); a best-result rule subtracts what the
   same key already paid;
   the cap truncates or stops it. Zero-point results land in ``skipped``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.points_api.rules.schemas import (
    Award,
    Cap,
    CapUsage,
    ConfirmerRangeAward,
    CourseRoleValueAward,
    CourseValueAward,
    Evaluation,
    FixedAward,
    MultiplierAward,
    PerClassHourAward,
    Rule,
    RuleSet,
    ScoreBandsAward,
    SkippedAward,
    SkipReason,
)
from shared.contracts.training_events import (
    COURSE_COMPLETED,
    EXAM_ATTEMPTED,
    FACT_VOIDED,
    SKILL_APPLICATION_CONFIRMED,
    TRAINING_EVENT_MODELS,
    CourseCompleted,
    EmployeeContext,
    ExamAttempted,
    LiveInteraction,
    NoteReviewed,
    NoteShared,
    PracticalAssessed,
    SkillApplicationConfirmed,
    TrainingEvent,
)

PERIOD_LABELS = {"day": "每日", "week": "每周", "month": "每月"}


class AwardOutOfRange(ValueError):
    """The points a confirmer chose lie outside the matching rule's range.

    A plain exception so that the engine stays free of the web kit; the service
    layer turns it into a problem response.
    """

    def __init__(self, *, rule_id: str, points: int, min_points: int, max_points: int) -> None:
        super().__init__(
            f"{points} points is outside the range {min_points}-{max_points} of rule {rule_id}")
        self.rule_id = rule_id
        self.points = points
        self.min_points = min_points
        self.max_points = max_points


@dataclass(frozen=True)
class AwardHistory:
    """What the employee was already paid, as far as this event's rules care.

    ``cap_usage`` maps a cap key (``Rule.cap_key``) to the awards counted in the cap's
    window around the event; ``paid_for_key`` maps a dedupe key ("exam:<exam_code>")
    to the points already paid under it. Missing keys mean nothing was paid.
    """

    cap_usage: Mapping[str, CapUsage | tuple[int, int]] = field(default_factory=dict)
    paid_for_key: Mapping[str, int] = field(default_factory=dict)
    # streak multipliers the employee qualified for in the month of the event
    streak_rule_ids: frozenset[str] = frozenset()

    def usage(self, cap_key: str) -> CapUsage:
        return CapUsage(*self.cap_usage.get(cap_key, (0, 0)))


@dataclass(frozen=True)
class CapWindowNeed:
    """Count and sum the ledger awards of ``rule_ids`` within [start, end) as ``key``."""

    key: str
    rule_ids: tuple[str, ...]
    start: datetime
    end: datetime


@dataclass(frozen=True)
class HistoryNeeds:
    cap_windows: tuple[CapWindowNeed, ...] = ()
    dedupe_keys: tuple[str, ...] = ()
    # streak multipliers that would apply: does the employee qualify in the event's month?
    streak_rule_ids: tuple[str, ...] = ()
    # the rules the event matched, handed on to evaluate() so that it does not match again
    selection: _Selection | None = field(default=None, compare=False, repr=False)
    rule_set_version: int | None = field(default=None, compare=False, repr=False)

    @property
    def is_empty(self) -> bool:
        return not self.cap_windows and not self.dedupe_keys and not self.streak_rule_ids


@dataclass
class _Selection:
    awarding: list[Rule] = field(default_factory=list)
    multipliers: list[Rule] = field(default_factory=list)
    superseded: list[tuple[Rule, Rule]] = field(default_factory=list)  # (loser, winner)


# --- public API -------------------------------------------------------------------------


def cap_window(cap: Cap, occurred_at: datetime, tz: tzinfo | str) -> tuple[datetime, datetime]:
    """The calendar period of ``cap`` containing ``occurred_at``, as aware UTC datetimes.

    Periods follow the company's wall clock, not UTC: in Asia/Shanghai a day starts
    at 16:00 UTC of the day before. Weeks start on Monday.
    """
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    zone = _zone(tz)
    local_day = occurred_at.astimezone(zone).date()
    if cap.period == "day":
        first, following = local_day, local_day + timedelta(days=1)
    elif cap.period == "week":
        first = local_day - timedelta(days=local_day.weekday())
        following = first + timedelta(days=7)
    else:
        first = local_day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
    return _utc_midnight(first, zone), _utc_midnight(following, zone)


def history_needs(
    rule_set: RuleSet, event: TrainingEvent, employee: EmployeeContext, tz: tzinfo | str,
) -> HistoryNeeds:
    """The cap windows and dedupe keys whose history :func:`evaluate` needs for ``event``."""
    selection = _select(rule_set, event.event_type, event, employee, event.occurred_at)
    windows: dict[str, CapWindowNeed] = {}
    keys: list[str] = []
    for rule in selection.awarding:
        if rule.cap is not None and rule.cap_key not in windows:
            start, end = cap_window(rule.cap, event.occurred_at, tz)
            sharing = tuple(r.id for r in rule_set.rules if r.cap and r.cap_key == rule.cap_key)
            windows[rule.cap_key] = CapWindowNeed(rule.cap_key, sharing, start, end)
        key = _dedupe_key(rule, event)
        if key is not None and key not in keys:
            keys.append(key)
    streaks = tuple(m.id for m in selection.multipliers if m.streak is not None
                    and any(_targets(m, rule) for rule in selection.awarding))
    return HistoryNeeds(cap_windows=tuple(windows.values()), dedupe_keys=tuple(keys),
                        streak_rule_ids=streaks, selection=selection,
                        rule_set_version=rule_set.version)


def evaluate(
    rule_set: RuleSet, event_type: str, event: TrainingEvent, employee: EmployeeContext,
    history: AwardHistory, tz: tzinfo | str, *, needs: HistoryNeeds | None = None,
) -> Evaluation:
    """Awards the rule set gives for ``event``, and the matching rules that gave nothing.

    ``tz`` is the company time zone, used to tell the employee when a cap resets.
    ``needs``, what :func:`history_needs` answered for the same arguments, saves matching
    the rules again. Raises :class:`AwardOutOfRange` when a confirmer chose points
    outside the range.
    """
    if getattr(type(event), "event_type", None) != event_type:
        raise ValueError(f"event of type {type(event).__name__} is not {event_type!r}")
    if needs is not None and needs.selection is not None \
            and needs.rule_set_version == rule_set.version:
        selection = needs.selection
    else:
        selection = _select(rule_set, event_type, event, employee, event.occurred_at)
    zone = _zone(tz)
    usage: dict[str, CapUsage] = {}
    awards: list[Award] = []
    skipped = [
        _skip(loser, SkipReason.SUPERSEDED, f"同组规则「{winner.name}」优先")
        for loser, winner in selection.superseded
    ]
    multipliers_on = [m for m in selection.multipliers
                      if m.streak is None or m.id in history.streak_rule_ids]
    for rule in selection.awarding:
        multipliers = [m for m in multipliers_on if _targets(m, rule)]
        outcome = _award(rule, event, employee, multipliers, history, usage, zone)
        if isinstance(outcome, Award):
            awards.append(outcome)
        else:
            skipped.append(outcome)
    return Evaluation(rule_set_version=rule_set.version, awards=awards, skipped=skipped)


def confirmer_range(
    rule_set: RuleSet, event_type: str, employee: EmployeeContext,
    payload: TrainingEvent | Mapping[str, Any], *, at: datetime | None = None,
) -> tuple[int, int] | None:
    """The (min, max) points a confirmer may choose for this employee and payload.

    ``payload`` may be a partial dict (the points are what is being checked). Rules are
    taken as active at ``at``, else at the payload's ``occurred_at``, else now.
    None when no confirmer-range rule applies.
    """
    rule = confirmer_rule(rule_set, event_type, employee, payload, at=at)
    if rule is None:
        return None
    assert isinstance(rule.award, ConfirmerRangeAward)
    return rule.award.min_points, rule.award.max_points


def confirmer_rule(
    rule_set: RuleSet, event_type: str, employee: EmployeeContext,
    payload: TrainingEvent | Mapping[str, Any], *, at: datetime | None = None,
) -> Rule | None:
    """The confirmer-range rule that :func:`confirmer_range` reads its range from."""
    moment = at or _field(payload, "occurred_at") or datetime.now(UTC)
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    selection = _select(rule_set, event_type, payload, employee, moment)
    for rule in selection.awarding:
        if isinstance(rule.award, ConfirmerRangeAward):
            return rule
    return None


# --- selection --------------------------------------------------------------------------


def _select(
    rule_set: RuleSet, event_type: str, event: Any, employee: EmployeeContext, at: datetime,
) -> _Selection:
    matches = [
        rule for rule in rule_set.rules
        if rule.event_type == event_type and _is_active(rule, at)
        and _filters_match(rule, event, employee) and _computable(rule, event, employee)
    ]
    selection = _Selection()
    winners = _group_winners(matches)
    for rule in matches:
        winner = winners[rule.exclusive_group] if rule.exclusive_group else rule
        if winner is not rule:
            selection.superseded.append((rule, winner))
        elif isinstance(rule.award, MultiplierAward):
            selection.multipliers.append(rule)
        else:
            selection.awarding.append(rule)
    return selection


def _group_winners(matches: list[Rule]) -> dict[str, Rule]:
    """Lowest priority number per exclusive group; ties go to the rule listed first."""
    winners: dict[str, Rule] = {}
    for rule in matches:
        group = rule.exclusive_group
        if group is not None and (group not in winners or rule.priority < winners[group].priority):
            winners[group] = rule
    return winners


def _is_active(rule: Rule, at: datetime) -> bool:
    if rule.active_from is not None and at < rule.active_from:
        return False
    return rule.active_until is None or at < rule.active_until


def _filters_match(rule: Rule, event: Any, employee: EmployeeContext) -> bool:
    # An empty filter restricts nothing. Each check reads the event only when its filter is
    # set: this runs for every rule of the event's type on every event.
    f = rule.filters
    if f.course_codes and not _one_in(f.course_codes, _field(event, "course_code")):
        return False
    if f.course_tags and not _any_in(f.course_tags, _field(event, "course_tags") or []):
        return False
    if f.difficulties and not _one_in(f.difficulties, _field(event, "course_difficulty")):
        return False
    if f.course_formats and not _one_in(f.course_formats, _field(event, "course_format")):
        return False
    if f.job_role_codes and employee.job_role_code not in f.job_role_codes:
        return False
    if f.role_families and employee.job_role_family not in f.role_families:
        return False
    if f.department_codes and not _any_in(f.department_codes, employee.department_codes):
        return False
    if (f.pilot_only and not employee.is_pilot) or (f.front_line_only
                                                    and not employee.is_front_line):
        return False
    return all(_same(_field(event, name), value) for name, value in f.payload_equals.items())


def _one_in(allowed: list[Any], value: Any) -> bool:
    return value is not None and value in allowed


def _any_in(allowed: list[Any], values: Any) -> bool:
    return not allowed or any(value in allowed for value in values if value is not None)


def _same(actual: Any, expected: Any) -> bool:
    # True == 1 in Python; a filter on {"passed": true} must not match a count of 1.
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and bool(actual == expected)
    return bool(actual == expected)


def _field(event: Any, name: str) -> Any:
    if isinstance(event, Mapping):
        return event.get(name)
    return getattr(event, name, None)


def _computable(rule: Rule, event: Any, employee: EmployeeContext) -> bool:
    """Whether the rule's award has what it needs; a rule that cannot compute does not match.

    This is what lets an exclusive group fall through: no explicit course value, then
    the per-class-hour rule applies.
    """
    spec = rule.award
    if isinstance(spec, CourseValueAward):
        return _field(event, "course_points") is not None
    if isinstance(spec, CourseRoleValueAward):
        return _role_value(event, employee) is not None
    if isinstance(spec, PerClassHourAward):
        return (_field(event, "course_difficulty") in spec.rates
                and _field(event, "class_hours") is not None)
    if isinstance(spec, ScoreBandsAward):
        return _field(event, "score") is not None
    return True


def _role_value(event: Any, employee: EmployeeContext) -> int | None:
    by_role: Mapping[str, int] = _field(event, "course_role_points") or {}
    if employee.job_role_code in by_role:
        return by_role[employee.job_role_code]
    by_family: Mapping[str | None, int] = _field(event, "course_family_points") or {}
    return by_family.get(employee.job_role_family)


def _targets(multiplier: Rule, rule: Rule) -> bool:
    spec = multiplier.award
    assert isinstance(spec, MultiplierAward)
    if spec.target_categories is not None and rule.category not in spec.target_categories:
        return False
    return spec.target_rule_ids is None or rule.id in spec.target_rule_ids


# --- computing one award ----------------------------------------------------------------


def _award(
    rule: Rule, event: TrainingEvent, employee: EmployeeContext, multipliers: list[Rule],
    history: AwardHistory, usage: dict[str, CapUsage], zone: tzinfo,
) -> Award | SkippedAward:
    base = _base_points(rule, event, employee)
    points = _scale(base, multipliers)
    reason = _event_reason(event) + "".join(
        f"（{m.name} ×{_decimal_text(_factor(m))}）" for m in multipliers)
    key = _dedupe_key(rule, event)
    paid = history.paid_for_key.get(key, 0) if key else 0
    if points <= 0:
        return _skip(rule, SkipReason.ZERO_POINTS, f"{reason}：本次不计分")
    if paid >= points:
        return _skip(rule, SkipReason.ALREADY_PAID, f"{reason}：此前已得 {paid} 分，不重复计分")
    if paid:
        reason += f"（补足至 {points} 分，此前已得 {paid} 分）"
        points -= paid
    used = usage.get(rule.cap_key, history.usage(rule.cap_key))
    capped = _apply_cap(rule.cap, points, used)
    if capped is None:
        return _skip(rule, SkipReason.CAP_REACHED, _cap_detail(rule, event, reason, zone))
    points, cap_applied = capped
    if cap_applied and rule.cap is not None:
        reason += f"（已达{PERIOD_LABELS[rule.cap.period]}积分上限，本次计 {points} 分）"
    usage[rule.cap_key] = CapUsage(used.count + 1, used.points + points)
    return Award(
        rule_id=rule.id, rule_name=rule.name, category=rule.category, points=points,
        base_points=base, reason=reason, multiplier_rule_ids=[m.id for m in multipliers],
        cap_applied=cap_applied, dedupe_key=key,
    )


def _base_points(rule: Rule, event: Any, employee: EmployeeContext) -> int:
    spec = rule.award
    if isinstance(spec, FixedAward):
        return spec.points
    if isinstance(spec, PerClassHourAward):
        return _round_half_up(Decimal(event.class_hours) * spec.rates[event.course_difficulty])
    if isinstance(spec, CourseValueAward):
        return int(event.course_points)
    if isinstance(spec, CourseRoleValueAward):
        return _role_value(event, employee) or 0
    if isinstance(spec, ScoreBandsAward):
        return _band_points(spec, event.score)
    if isinstance(spec, ConfirmerRangeAward):
        if not spec.min_points <= event.points <= spec.max_points:
            raise AwardOutOfRange(rule_id=rule.id, points=event.points,
                                  min_points=spec.min_points, max_points=spec.max_points)
        return int(event.points)
    raise TypeError(f"rule {rule.id} does not award points by itself")


def _band_points(spec: ScoreBandsAward, score: int) -> int:
    # Highest band reached; validate_rule_set keeps bands sorted, but do not rely on it here.
    reached = [band for band in spec.bands if score >= band.min_score]
    return max(reached, key=lambda band: band.min_score).points if reached else 0


def _scale(base: int, multipliers: list[Rule]) -> int:
    if not multipliers:
        return base
    return _round_half_up(Decimal(base) * math.prod(_factor(m) for m in multipliers))


def _factor(multiplier: Rule) -> Decimal:
    assert isinstance(multiplier.award, MultiplierAward)
    return multiplier.award.factor


def _dedupe_key(rule: Rule, event: Any) -> str | None:
    if isinstance(rule.award, ScoreBandsAward) and rule.award.best_result:
        return f"exam:{_field(event, 'exam_code')}"
    return None


def _apply_cap(cap: Cap | None, points: int, used: CapUsage) -> tuple[int, bool] | None:
    """Points left after the cap and whether they were truncated; None when it is full."""
    if cap is None:
        return points, False
    if cap.max_count is not None and used.count >= cap.max_count:
        return None
    if cap.max_points is not None:
        room = cap.max_points - used.points
        if room <= 0:
            return None
        if points > room:
            return room, True
    return points, False


def _cap_detail(rule: Rule, event: TrainingEvent, reason: str, zone: tzinfo) -> str:
    cap = rule.cap
    assert cap is not None
    limits = [f"{cap.max_count} 次" if cap.max_count else "",
              f"{cap.max_points} 分" if cap.max_points else ""]
    limit_text = " / ".join(part for part in limits if part)
    _, end = cap_window(cap, event.occurred_at, zone)
    resets = end.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return f"{reason}：已达{PERIOD_LABELS[cap.period]}上限（{limit_text}），{resets} 起恢复"


def _skip(rule: Rule, reason: SkipReason, detail: str) -> SkippedAward:
    return SkippedAward(rule_id=rule.id, rule_name=rule.name, category=rule.category,
                        reason=reason, detail=detail)


def _event_reason(event: TrainingEvent) -> str:
    """What the employee did, in the words the ledger and the app show."""
    match event:
        case CourseCompleted():
            return f"完成课程 {event.course_title} {_decimal_text(event.class_hours)} 课时"
        case LiveInteraction():
            action = "直播课发言" if event.kind == "speak" else "直播课提问"
            return f"{action} {event.course_title}" if event.course_title else action
        case NoteShared():
            return f"分享学习笔记 {event.title}"
        case NoteReviewed():
            verdict = "学习笔记被评为精华" if event.featured else "学习笔记已审阅"
            return f"{verdict} {event.title}"
        case ExamAttempted():
            return f"考试 {event.exam_title} {event.score} 分"
        case PracticalAssessed():
            return f"实操考核{'通过' if event.passed else '未通过'} {event.skill_name}"
        case SkillApplicationConfirmed():
            return f"技能应用确认 {event.summary}"
    return event.event_type


# --- numbers and time -------------------------------------------------------------------


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _decimal_text(value: Decimal) -> str:
    """1.50 -> "1.5", 2.0 -> "2": how a person writes hours and factors."""
    return format(Decimal(value).normalize(), "f")


def _zone(tz: tzinfo | str) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _utc_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


# --- validation -------------------------------------------------------------------------

# Award kinds that read fields only one event type carries.
_AWARD_EVENT_TYPES = {
    "per_class_hour": COURSE_COMPLETED,
    "course_value": COURSE_COMPLETED,
    "course_role_value": COURSE_COMPLETED,
    "score_bands": EXAM_ATTEMPTED,
    "confirmer_range": SKILL_APPLICATION_CONFIRMED,
}
# Filters on the event, and the payload field each one reads.
_EVENT_FILTER_FIELDS = {
    "course_codes": "course_code",
    "course_tags": "course_tags",
    "difficulties": "course_difficulty",
    "course_formats": "course_format",
}


def validate_rule_set(rule_set: RuleSet) -> list[str]:
    """Every problem that would make the rule set pay wrongly; empty when it is sound."""
    problems = _set_problems(rule_set)
    by_id = {rule.id: rule for rule in rule_set.rules}
    for rule in rule_set.rules:
        problems += [f"rule {rule.id}: {p}" for p in _rule_problems(rule, by_id)]
    return problems


def _set_problems(rule_set: RuleSet) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for rule in rule_set.rules:
        if rule.id in seen:
            problems.append(f"duplicate rule id {rule.id}")
        seen.add(rule.id)
    groups: dict[str, list[Rule]] = {}
    buckets: dict[str, list[Rule]] = {}
    for rule in rule_set.rules:
        if rule.exclusive_group:
            groups.setdefault(rule.exclusive_group, []).append(rule)
        if rule.cap and rule.cap.bucket:
            buckets.setdefault(rule.cap.bucket, []).append(rule)
    for name, members in groups.items():
        if len({rule.event_type for rule in members}) > 1:
            problems.append(f"exclusive group {name} mixes event types")
        if len({isinstance(rule.award, MultiplierAward) for rule in members}) > 1:
            problems.append(f"exclusive group {name} mixes multipliers and awarding rules")
    for name, members in buckets.items():
        if len({rule.cap.period for rule in members if rule.cap}) > 1:
            problems.append(f"cap bucket {name} is shared by caps of different periods")
    return problems


def _rule_problems(rule: Rule, by_id: dict[str, Rule]) -> list[str]:
    model = TRAINING_EVENT_MODELS.get(rule.event_type)
    if model is None:
        return [f"unknown event type {rule.event_type}"]
    if rule.event_type == FACT_VOIDED:
        return [f"{FACT_VOIDED} is handled by the ledger, not by rules"]
    problems = _award_problems(rule, by_id)
    for filter_name, field_name in _EVENT_FILTER_FIELDS.items():
        if getattr(rule.filters, filter_name) and field_name not in model.model_fields:
            problems.append(f"filter {filter_name} does not apply to {rule.event_type}")
    for name in rule.filters.payload_equals:
        if name not in model.model_fields:
            problems.append(f"payload_equals names {name}, not a field of {rule.event_type}")
    if rule.active_from and rule.active_until and rule.active_from >= rule.active_until:
        problems.append("active_from must be before active_until")
    if rule.cap and rule.cap.max_count is None and rule.cap.max_points is None:
        problems.append("cap sets neither max_count nor max_points")
    if rule.streak is not None and not isinstance(rule.award, MultiplierAward):
        problems.append("a streak condition applies to multipliers only")
    if rule.streak is not None and rule.exclusive_group:
        problems.append("a streak multiplier cannot be in an exclusive group")
    return problems


def _award_problems(rule: Rule, by_id: dict[str, Rule]) -> list[str]:
    spec = rule.award
    needed = _AWARD_EVENT_TYPES.get(spec.kind)
    if needed is not None and rule.event_type != needed:
        return [f"award {spec.kind} only works on {needed}"]
    if isinstance(spec, ScoreBandsAward):
        return _band_problems(spec)
    if isinstance(spec, ConfirmerRangeAward) and spec.min_points > spec.max_points:
        return [f"min_points {spec.min_points} is greater than max_points {spec.max_points}"]
    if isinstance(spec, MultiplierAward):
        return _multiplier_problems(rule, spec, by_id)
    return []


def _band_problems(spec: ScoreBandsAward) -> list[str]:
    if not spec.bands:
        return ["score bands are empty"]
    problems = []
    scores = [band.min_score for band in spec.bands]
    if len(set(scores)) != len(scores):
        problems.append("score bands overlap (two bands share a min_score)")
    if scores != sorted(scores, reverse=True):
        problems.append("score bands must be listed from the highest min_score down")
    by_score = sorted(spec.bands, key=lambda band: band.min_score)
    if any(low.points > high.points for low, high in zip(by_score, by_score[1:], strict=False)):
        problems.append("a higher score band pays less than a lower one")
    return problems


def _multiplier_problems(rule: Rule, spec: MultiplierAward, by_id: dict[str, Rule]) -> list[str]:
    problems = []
    if spec.factor <= 0:
        problems.append(f"multiplier factor must be positive, not {spec.factor}")
    if rule.cap is not None:
        problems.append("a multiplier awards nothing itself, so a cap on it has no effect")
    if spec.target_rule_ids == [] or spec.target_categories == []:
        problems.append("an empty target list targets nothing")
    for target_id in spec.target_rule_ids or []:
        target = by_id.get(target_id)
        if target is None:
            problems.append(f"multiplier targets unknown rule {target_id}")
        elif isinstance(target.award, MultiplierAward):
            problems.append(f"multiplier targets another multiplier {target_id}")
        elif target.event_type != rule.event_type:
            problems.append(f"multiplier targets {target_id}, a rule of another event type")
    return problems
