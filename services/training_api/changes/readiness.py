"""Readiness before a go-live: how long, at this plant, people in a role take from
their first course teaching a skill to proving it at the level (a Kaplan-Meier
curve from statsmodels, so that those still learning count for as long as they
have been), and the readiness curve that follows for the people who need it,
week by week to the go-live. Pure: durations in, shares out."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from statsmodels.duration.survfunc import SurvfuncRight

MIN_LEARNERS = 5  # fewer and the role's own history falls back to the skill's, then all


@dataclass(frozen=True)
class Attainment:
    """P(proven within d days of starting), from ``learners`` of whom ``proven`` did."""

    basis: str  # role_skill, skill, all or none
    learners: int
    proven: int
    median_days: float | None
    curve: Callable[[float], float]


def attainment(durations: list[tuple[float, bool]], basis: str) -> Attainment:
    """Kaplan-Meier from (days, proven) pairs: days to the proof, or so far."""
    if not durations or not any(proven for _, proven in durations):
        return Attainment("none", len(durations), 0, None, lambda _: 0.0)
    time = np.array([max(0.0, d) for d, _ in durations])
    status = np.array([1 if proven else 0 for _, proven in durations])
    fit = SurvfuncRight(time, status)
    times, surv = np.asarray(fit.surv_times), np.asarray(fit.surv_prob)

    def curve(days: float) -> float:
        at = np.searchsorted(times, days, side="right") - 1
        return 0.0 if at < 0 else float(1 - surv[at])

    below = times[surv <= 0.5 + 1e-9]  # products of fractions land a hair off 0.5
    return Attainment(basis, len(durations), int(status.sum()),
                      float(below[0]) if len(below) else None, curve)


@dataclass(frozen=True)
class Learner:
    """One employee's missing skills: for each, days already spent learning it (None
    when not started) and the attainment curve it follows."""

    missing: list[tuple[float | None, Attainment]]


def schedule(learners: list[Learner], weeks: int) -> list[int]:
    """Week each learner starts what they have not started: spread evenly over the weeks
    before the go-live, the seats a week the forecast asks for."""
    waiting = [i for i, learner in enumerate(learners)
               if any(spent is None for spent, _ in learner.missing)]
    starts = [0] * len(learners)
    for k, i in enumerate(waiting):
        starts[i] = math.floor(k * weeks / len(waiting)) if weeks else 0
    return starts


def curve(ready: int, learners: list[Learner], total: int, weeks: int) -> list[float]:
    """Expected share of the affected employees ready at the end of each week from now
    (week 0) to the go-live (week ``weeks``); a learner is ready when every missing
    skill is proven (taken as independent)."""
    if total == 0:
        return [1.0] * (weeks + 1)
    starts = schedule(learners, weeks)
    out = []
    for week in range(weeks + 1):
        expected = float(ready)
        for learner, start in zip(learners, starts, strict=True):
            chance = 1.0
            for spent, fit in learner.missing:
                days = spent + 7 * week if spent is not None else 7 * (week - start)
                chance *= fit.curve(days) if days >= 0 else 0.0
            expected += chance
        out.append(round(expected / total, 4))
    return out


def curves(pairs: dict[str, list[tuple[str, float, bool]]]) -> dict[tuple[str, str], Attainment]:
    """(role, skill) -> time from the first course to the proof at the level, from each
    skill's learners as (role, days, proven): the role's own learners when there are
    enough and one proved it, else the skill's, else every required skill's; ("*", skill)
    is the skill's curve for roles without learners."""
    everyone = [(d, p) for rows in pairs.values() for _, d, p in rows]
    fallback = attainment(everyone, "all")

    def enough(fit: Attainment) -> bool:
        return fit.learners >= MIN_LEARNERS and fit.proven > 0

    out: dict[tuple[str, str], Attainment] = {}
    for code, rows in pairs.items():
        by_role: dict[str, list[tuple[float, bool]]] = {}
        for role, days, proven in rows:
            by_role.setdefault(role, []).append((days, proven))
        skill = attainment([(d, p) for _, d, p in rows], "skill")
        for role, durations in by_role.items():
            own = attainment(durations, "role_skill")
            out[(role, code)] = own if enough(own) else skill if enough(skill) else fallback
        out[("*", code)] = skill if enough(skill) else fallback
    return out


def project(pairs: dict[str, list[tuple[str, float, bool]]],
            learners: list[list[tuple[str, str, float | None]]], *, ready: int, total: int,
            weeks: int) -> tuple[dict[str, dict[str, Any]], list[float]]:
    """The forecast's numeric part, from plain data (it runs in a worker process): per
    skill the history its curve comes from (basis, learners, proven, median days), and
    the readiness curve of ``learners``, each a list of (role, skill, days already spent
    or None)."""
    fits = curves(pairs)
    history = {code: {"basis": fit.basis, "learners": fit.learners, "proven": fit.proven,
                      "median_days": fit.median_days}
               for (role, code), fit in fits.items() if role == "*"}
    people = [Learner([(spent, fits.get((role, skill), fits[("*", skill)]))
                       for role, skill, spent in missing]) for missing in learners]
    return history, curve(ready, people, total, weeks)
