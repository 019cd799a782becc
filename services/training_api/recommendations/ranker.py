"""The ranker: pure functions from what is known about an employee, their role and
the catalogue to a ranked, explained list of courses. No database here, so the
service, the offline evaluation and the tests rank exactly the same way.

score = w_gap * gap + w_progression * progression + w_colleagues * colleagues
        + w_plan * plan + w_popularity * popularity + w_demand * demand
each factor in [0, 1]; then a greedy re-rank for diversity: a course sharing a
skill with n courses already chosen keeps (1 - diversity)^n of its score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

FACTORS = ("gap", "progression", "colleagues", "plan", "popularity", "demand")
# a colleague signal worth a reason of its own
SHARE_WORTH_SAYING = 0.2
# progression, against a course bringing the next level of a skill: a jump of more
# than one level, a course of the skill at or below the level studied, a course
# building on the skill (not teaching it), the successor of a completed prerequisite
HALF, SAME_SKILL, BUILDS_ON, SUCCESSOR = 0.5, 0.5, 1.0, 0.6


@dataclass(frozen=True)
class CourseInfo:
    code: str
    title: str
    format: str
    teaches: Mapping[str, int]  # skill code -> level the course brings
    prerequisites: tuple[str, ...] = ()
    prerequisite_skills: Mapping[str, int] = field(default_factory=dict)
    open_to_job_roles: frozenset[str] = frozenset()
    open_to_families: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PlanDue:
    plan_name: str
    due_on: date


@dataclass(frozen=True)
class Learner:
    """One employee as the ranker sees them."""

    employee_no: str
    job_role: str
    family: str
    course_formats: frozenset[str]  # formats the role can attend; empty: all
    required: Mapping[str, int]  # the role's competency model: skill -> level
    levels: Mapping[str, int]  # current levels
    completed: frozenset[str]  # courses completed (standing records)
    record_skills: Mapping[str, int]  # skill -> standing records that earned points in it
    dismissed: frozenset[str] = frozenset()
    plans: Mapping[str, PlanDue] = field(default_factory=dict)  # course -> earliest due plan
    today: date = date(2026, 1, 1)


@dataclass(frozen=True)
class RoleSignals:
    """What colleagues in the role did (precomputed by the model job)."""

    achievers: int = 0  # colleagues who reached every required level (all, without a model)
    achiever_share: Mapping[str, float] = field(default_factory=dict)  # course -> share
    popularity: Mapping[str, float] = field(default_factory=dict)  # course -> 0..1 in the role
    neighbours: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # item-item


@dataclass(frozen=True)
class Weights:
    """The defaults are the best of the settings tried in the offline evaluation of
    generated plants (docs/recommendations.md); HR changes them."""

    gap: float = 0.2
    progression: float = 0.3
    colleagues: float = 0.7
    plan: float = 1.0
    popularity: float = 1.0
    demand: float = 0.0
    diversity: float = 0.1


@dataclass
class Reason:
    kind: str
    text: str


@dataclass
class Scored:
    course: CourseInfo
    score: float
    factors: dict[str, float]
    reasons: list[Reason]


def may_take(course: CourseInfo, learner: Learner) -> bool:
    """Open to the learner's role, of a format their role attends, prerequisites met,
    not completed and not dismissed."""
    if course.code in learner.completed or course.code in learner.dismissed:
        return False
    if course.open_to_job_roles or course.open_to_families:
        if learner.job_role not in course.open_to_job_roles and \
                learner.family not in course.open_to_families:
            return False
    if learner.course_formats and course.format not in learner.course_formats:
        return False
    if any(p not in learner.completed for p in course.prerequisites):
        return False
    return all(learner.levels.get(s, 0) >= lv for s, lv in course.prerequisite_skills.items())


def rank(courses: list[CourseInfo], learner: Learner, role: RoleSignals, weights: Weights, *,
         skill_names: Mapping[str, str], limit: int,
         demand: Mapping[str, tuple[float, str]] | None = None,
         by_code: Mapping[str, CourseInfo] | None = None) -> list[Scored]:
    """The ``limit`` best courses the learner may take, with their reasons.
    ``by_code`` indexes ``courses`` (a caller ranking many learners builds it once)."""
    by_code = by_code if by_code is not None else {c.code: c for c in courses}
    item = _item_scores(learner, role)
    path = _Path(_record_shares(learner), _studied(by_code, learner), by_code)
    weight = [(f, getattr(weights, f)) for f in FACTORS]
    scored = []
    for course in courses:  # numbers only: the reasons are written for the picked few
        if not may_take(course, learner):
            continue
        factors, _ = _factors(course, learner, role, item, path, skill_names, demand,
                              explain=False)
        scored.append(Scored(course, sum(w * factors[f] for f, w in weight), factors, []))
    scored.sort(key=lambda s: (-s.score, s.course.code))
    picked = diversify(scored, weights.diversity, limit)
    for s in picked:
        _, s.reasons = _factors(s.course, learner, role, item, path, skill_names, demand,
                                explain=True)
    if not learner.completed and not learner.levels:
        for s in picked:
            s.reasons.append(Reason("no_history", "你还没有培训记录，先看同岗位和全厂常学的课程"))
    return picked


def diversify(scored: list[Scored], diversity: float, limit: int) -> list[Scored]:
    """Greedy re-rank of ``scored`` (best first): each pick lowers the score of courses
    sharing its skills. A course's adjusted score is at most its score, so the scan
    for each pick stops at the first course that cannot beat the best found."""
    pool, out = list(scored), list[Scored]()
    seen: dict[str, int] = {}

    def adjusted(s: Scored) -> float:
        overlap = max((seen.get(k, 0) for k in s.course.teaches), default=0)
        return s.score * (1 - diversity) ** overlap

    while pool and len(out) < limit:
        best_at, best_value = 0, adjusted(pool[0])
        for i in range(1, len(pool)):
            if pool[i].score <= best_value:
                break  # the first of equals wins: score order
            value = adjusted(pool[i])
            if value > best_value:
                best_at, best_value = i, value
        best = pool.pop(best_at)
        best.score = best_value
        out.append(best)
        for k in best.course.teaches:
            seen[k] = seen.get(k, 0) + 1
    return out


@dataclass(frozen=True)
class _Path:
    """Where the learner stands: the share of their records in each skill, the level
    they have studied each skill to, and what each course of the catalogue teaches."""

    shares: Mapping[str, float]
    studied: Mapping[str, int]
    courses: Mapping[str, CourseInfo]


def _studied(by_code: Mapping[str, CourseInfo], learner: Learner) -> dict[str, int]:
    """skill -> the higher of the level proven and the highest level taught by a course
    the learner completed: the level a next course builds on."""
    out = dict(learner.levels)
    for code in learner.completed:
        course = by_code.get(code)
        for skill, level in (course.teaches.items() if course else ()):
            out[skill] = max(out.get(skill, 0), level)
    return out


def _record_shares(learner: Learner) -> dict[str, float]:
    total = sum(learner.record_skills.values())
    return {k: v / total for k, v in learner.record_skills.items()} if total else {}


def _item_scores(learner: Learner, role: RoleSignals) -> dict[str, float]:
    """Item-to-item: similarity of each course to those the learner completed,
    scaled so that the best is 1."""
    out: dict[str, float] = {}
    for done in learner.completed:
        for other, sim in role.neighbours.get(done, {}).items():
            out[other] = out.get(other, 0.0) + sim
    top = max(out.values(), default=0.0)
    return {k: v / top for k, v in out.items()} if top > 0 else {}


def _factors(course: CourseInfo, learner: Learner, role: RoleSignals, item: dict[str, float],
             path: _Path, names: Mapping[str, str],
             demand: Mapping[str, tuple[float, str]] | None, *, explain: bool,
             ) -> tuple[dict[str, float], list[Reason]]:
    """Each factor's value, and (``explain``) the reasons that say why."""
    reasons: list[Reason] | None = [] if explain else None
    gap = _gap(course, learner, names, reasons)
    progression = _progression(course, learner, path, names, reasons)
    colleagues = _colleagues(course, learner, role, item, reasons)
    plan = _plan(course, learner, reasons)
    popularity = role.popularity.get(course.code, 0.0)
    wanted = 0.0
    if demand and course.code in demand:
        wanted, text = demand[course.code]
        if reasons is not None:
            reasons.append(Reason("demand", text))
    if reasons is not None and not reasons and popularity > 0:
        reasons.append(Reason("popular", "同岗位同事常学的课程"))
    return ({"gap": gap, "progression": progression, "colleagues": colleagues, "plan": plan,
             "popularity": popularity, "demand": wanted}, reasons or [])


def _gap(course: CourseInfo, learner: Learner, names: Mapping[str, str],
         reasons: list[Reason] | None) -> float:
    """The largest share of a required level this course would close."""
    best, said = 0.0, None
    for skill, taught in course.teaches.items():
        need, have = learner.required.get(skill, 0), learner.levels.get(skill, 0)
        if need > have and taught > have:
            closes = (min(taught, need) - have) / need
            if closes > best:
                best, said = closes, (skill, need, have)
    if said and reasons is not None:
        skill, need, have = said
        name = names.get(skill, skill)
        reasons.append(Reason("gap", f"岗位要求 {name} {need} 级，当前 {have} 级"))
    return best


def _progression(course: CourseInfo, learner: Learner, path: _Path,
                 names: Mapping[str, str], reasons: list[Reason] | None) -> float:
    """The next level of a skill the learner's records come from (less for a bigger
    jump or a course of the skill at or below the level studied), a course building
    on such a skill (its prerequisite courses teach it or it requires a level of it),
    or the successor of a course they completed."""
    best, said, ahead = 0.0, "", True
    for skill, taught in course.teaches.items():
        studied, share = path.studied.get(skill, 0), path.shares.get(skill, 0.0)
        if share > 0:
            value = share * (1 if taught == studied + 1 else HALF if taught > studied
                             else SAME_SKILL)
            if value > best:
                best, said, ahead = value, skill, taught > studied
    built_on = set(course.prerequisite_skills)
    for before in course.prerequisites:
        course_before = path.courses.get(before)
        built_on.update(course_before.teaches if course_before else {})
    for skill in built_on - set(course.teaches):
        value = path.shares.get(skill, 0.0) * BUILDS_ON
        if value > best:
            best, said, ahead = value, skill, True
    after = any(p in learner.completed for p in course.prerequisites)
    if reasons is not None and said:
        percent, name = round(path.shares[said] * 100), names.get(said, said)
        source = f"你的积分主要来自 {name}（{percent}% 的培训记录）" \
            if path.shares[said] >= max(path.shares.values()) else \
            f"你的培训记录中 {percent}% 来自 {name}"
        reasons.append(Reason("progression", source + ("，进阶课程" if ahead else "，同类课程")))
    elif reasons is not None and after:
        reasons.append(Reason("progression", "你已完成先修课程，这是它的进阶课程"))
    return max(best, SUCCESSOR if after else 0.0)


def _colleagues(course: CourseInfo, learner: Learner, role: RoleSignals,
                item: dict[str, float], reasons: list[Reason] | None) -> float:
    share = role.achiever_share.get(course.code, 0.0)
    similar = item.get(course.code, 0.0)
    if reasons is not None and share >= SHARE_WORTH_SAYING and role.achievers > 0:
        reasons.append(Reason("colleagues", f"同岗位达标的同事中 {round(share * 100)}% 学过"))
    elif reasons is not None and similar >= 0.5:
        reasons.append(Reason("colleagues", "学过你已学课程的同事也常学这门课"))
    return 0.6 * share + 0.4 * similar


def _plan(course: CourseInfo, learner: Learner, reasons: list[Reason] | None) -> float:
    """Sooner deadlines weigh more: 1 when due within two weeks or overdue."""
    due = learner.plans.get(course.code)
    if due is None:
        return 0.0
    days = (due.due_on - learner.today).days
    if reasons is not None:
        overdue = "（已逾期）" if days < 0 else ""
        reasons.append(Reason("plan", f"培训计划 {due.plan_name} 要求，截止 "
                                      f"{due.due_on.month}月{due.due_on.day}日{overdue}"))
    return 1.0 if days <= 14 else max(0.2, 14 / days)
