"""Offline evaluation with a time split: the signals and each employee's state are
built from the records before a cut-off date; the ranker and two baselines (the
most popular courses in the employee's role, and random courses) each propose
five courses; a proposal hits when the employee completed one of them for the
first time within the horizon after the cut-off. Hit rate@5 and NDCG@5
(scikit-learn's ``ndcg_score``) are averaged over the employees who completed
anything new in the horizon. The training plans an employee knew of at the cut-off
(set up before it, due from 90 days before it on) count as the service counts them.
Every method proposes only courses the employee may take (open to their role, of a
format it attends, prerequisites met, not completed)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from sklearn.metrics import ndcg_score

from services.training_api.recommendations.ranker import (
    CourseInfo,
    Learner,
    PlanDue,
    RoleSignals,
    Weights,
    may_take,
    rank,
)
from services.training_api.recommendations.signals import Member, neighbours, role_signals

K = 5
RANDOM_DRAWS = 5


@dataclass(frozen=True)
class Person:
    employee_no: str
    job_role: str
    family: str
    left_on: date | None = None  # a leaver's last day: not a colleague after it


@dataclass(frozen=True)
class RoleModel:
    required: Mapping[str, int]
    course_formats: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PlanAssignment:
    employee_no: str
    course_code: str
    plan_name: str
    set_up_on: date  # the plan is known from this day
    due_on: date


@dataclass
class History:
    """Everything the evaluation reads: people, roles, the catalogue, and dated
    completions (course) and proofs (skill, level)."""

    people: list[Person]
    roles: dict[str, RoleModel]
    courses: list[CourseInfo]
    skill_names: dict[str, str]
    completions: list[tuple[str, str, date]]  # employee_no, course, day
    proofs: list[tuple[str, str, int, date]]  # employee_no, skill, level, day
    plans: list[PlanAssignment] = field(default_factory=list)
    weights: Weights = field(default_factory=Weights)


@dataclass(frozen=True)
class Score:
    hit_rate: float
    ndcg: float


@dataclass(frozen=True)
class Result:
    cutoff: date
    horizon_days: int
    employees: int  # employees with something new to predict
    ranker: Score
    popularity: Score
    random: Score


def evaluate(h: History, *, cutoff: date, horizon_days: int = 90, seed: int = 7,
             progress: Callable[[float], None] | None = None) -> Result:
    before, targets = _split(h, cutoff, horizon_days)
    learners = _learners(h, before, cutoff)
    signals = _signals(h, before, learners, cutoff)
    methods: dict[str, list[Score]] = defaultdict(list)
    rng = random.Random(seed)
    todo = [p for p in h.people if targets.get(p.employee_no)]
    by_code = {c.code: c for c in h.courses}
    for i, person in enumerate(todo):
        learner, wanted = learners[person.employee_no], targets[person.employee_no]
        role = signals.get(person.job_role, RoleSignals())
        ranked = [s.course.code for s in rank(h.courses, learner, role, h.weights,
                                              skill_names=h.skill_names, limit=K,
                                              by_code=by_code)]
        methods["ranker"].append(_score(ranked, wanted))
        open_ = [c.code for c in h.courses if may_take(c, learner)]
        popular = sorted(open_, key=lambda c: (-role.popularity.get(c, 0.0), c))[:K]
        methods["popularity"].append(_score(popular, wanted))
        draws = [_score(rng.sample(open_, min(K, len(open_))), wanted)
                 for _ in range(RANDOM_DRAWS)]
        methods["random"].append(Score(float(np.mean([d.hit_rate for d in draws])),
                                       float(np.mean([d.ndcg for d in draws]))))
        if progress and i % 200 == 0:
            progress(i / len(todo))
    mean = {name: Score(round(float(np.mean([s.hit_rate for s in v])), 4) if v else 0.0,
                        round(float(np.mean([s.ndcg for s in v])), 4) if v else 0.0)
            for name, v in methods.items()}
    empty = Score(0.0, 0.0)
    return Result(cutoff, horizon_days, len(todo), mean.get("ranker", empty),
                  mean.get("popularity", empty), mean.get("random", empty))


def _score(proposed: list[str], wanted: set[str]) -> Score:
    """Hit and NDCG@5 of one proposal (binary relevance, ranks scored K..1)."""
    if not proposed:
        return Score(0.0, 0.0)
    relevant = [1.0 if c in wanted else 0.0 for c in proposed]
    # the relevant courses left out of the proposal count against the ideal ranking
    missed = len(wanted - set(proposed))
    truth = np.array([relevant + [1.0] * missed + [0.0]])
    scores = np.array([[float(K - i) for i in range(len(proposed))] + [-1.0] * (missed + 1)])
    ndcg = float(ndcg_score(truth, scores, k=K)) if truth.sum() else 0.0
    return Score(1.0 if any(relevant) else 0.0, ndcg)


def _split(h: History, cutoff: date, horizon: int
           ) -> tuple[dict[str, list[tuple[str, date]]], dict[str, set[str]]]:
    before: dict[str, list[tuple[str, date]]] = defaultdict(list)
    after: dict[str, set[str]] = defaultdict(set)
    end = cutoff + timedelta(days=horizon)
    for no, course, day in h.completions:
        if day < cutoff:
            before[no].append((course, day))
        elif day < end:
            after[no].add(course)
    done = {no: {c for c, _ in v} for no, v in before.items()}
    return before, {no: wanted - done.get(no, set()) for no, wanted in after.items()}


def _learners(h: History, before: Mapping[str, list[tuple[str, date]]],
              cutoff: date) -> dict[str, Learner]:
    teaches = {c.code: c.teaches for c in h.courses}
    levels: dict[str, dict[str, int]] = defaultdict(dict)
    records: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for no, skill, level, day in h.proofs:
        if day < cutoff:
            levels[no][skill] = max(levels[no].get(skill, 0), level)
            records[no][skill] += 1
    for no, done in before.items():
        for course, _ in done:
            for skill in teaches.get(course, {}):
                records[no][skill] += 1
    plans = _plans(h, cutoff)
    out = {}
    for p in h.people:
        role = h.roles.get(p.job_role, RoleModel({}))
        out[p.employee_no] = Learner(
            employee_no=p.employee_no, job_role=p.job_role, family=p.family,
            course_formats=role.course_formats, required=role.required,
            levels=levels.get(p.employee_no, {}),
            completed=frozenset(c for c, _ in before.get(p.employee_no, ())),
            record_skills=dict(records.get(p.employee_no, {})),
            plans=plans.get(p.employee_no, {}), today=cutoff)
    return out


def _plans(h: History, cutoff: date) -> dict[str, dict[str, PlanDue]]:
    """employee -> course -> the earliest-due plan known at the cut-off, due from 90
    days before it on (as ``repository.plan_courses`` reads them)."""
    out: dict[str, dict[str, PlanDue]] = defaultdict(dict)
    oldest = cutoff - timedelta(days=90)
    for a in sorted(h.plans, key=lambda a: a.due_on, reverse=True):  # earliest wins
        if a.set_up_on <= cutoff and a.due_on >= oldest:
            out[a.employee_no][a.course_code] = PlanDue(a.plan_name, a.due_on)
    return out


def _signals(h: History, before: Mapping[str, list[tuple[str, date]]],
             learners: Mapping[str, Learner], cutoff: date) -> dict[str, RoleSignals]:
    """The model job's signals as of the cut-off: from the employees still there."""
    staying = {p.employee_no for p in h.people if p.left_on is None or p.left_on >= cutoff}
    done = {no: [c for c, _ in v] for no, v in before.items() if no in staying}
    members = [Member(p.employee_no, p.job_role, _achiever(learners[p.employee_no]))
               for p in h.people if p.left_on is None or p.left_on >= cutoff]
    return role_signals(members, done, neighbours(done))


def _achiever(learner: Learner) -> bool:
    return all(learner.levels.get(s, 0) >= lv for s, lv in learner.required.items())
