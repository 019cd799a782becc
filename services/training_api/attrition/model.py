"""The attrition-risk model: trained on the plant's own leavers, validated on a later
period against a transparent rule, refused when there are too few leavers to
validate. Pure: an indicator panel in, scores, reasons and a model card out.

Target: the employee leaves within the next ``horizon`` months of a snapshot. The
split is by time: the held-out period is the last three snapshots whose outcome is
known, and the model learns only from snapshots whose outcome was known before the
held-out period began (so no label peeks into it). Two candidates, logistic
regression and gradient boosting (scikit-learn), are compared by cross-validation
within the training window; the better one is refit on every training snapshot and
its figures on the held-out period are the ones reported, beside those
of the transparent rule "no training in 60 days" and of the engagement-drop rules.
Today's scores come from the chosen method refit on every snapshot whose outcome is
known.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from services.training_api.attrition.indicators import FEATURES
from services.training_api.attrition.months import add_months

HOLDOUT_SNAPSHOTS = 3
TOP_SHARE = 0.10  # precision is measured on the top 10% by risk
RULE_DAYS = 60  # the transparent rule: no training in 60 days
MIN_CONTRIBUTION = 0.05  # log-odds; smaller pushes are not worth a reason


@dataclass(frozen=True)
class Thresholds:
    min_train_leavers: int = 30
    min_holdout_leavers: int = 10


@dataclass
class Scored:
    """Today's ranking: scores (higher = riskier) and, per row, its reasons."""

    method: str  # "model" or "rules"
    scores: np.ndarray
    probabilities: np.ndarray | None
    reasons: list[list[dict[str, Any]]]
    card: dict[str, Any] = field(default_factory=dict)


def label(panel: pd.DataFrame, horizon: int) -> pd.Series:
    """1 when the employee left within ``horizon`` months after the snapshot."""
    limit = panel["snapshot"].map(lambda d: (add_months(d, horizon) - date(1970, 1, 1)).days)
    left = panel["left_day"]
    return ((left >= 0) & (left > panel["snapshot_day"]) & (left <= limit)).astype(int)


def known(panel: pd.DataFrame, horizon: int, as_of: date) -> pd.Series:
    """Snapshots whose outcome window has ended by ``as_of`` (booleans even when there
    are none: an empty mask of objects would select columns instead of rows)."""
    return panel["snapshot"].map(lambda d: add_months(d, horizon) <= as_of).astype(bool)


def precision_at(scores: np.ndarray, y: np.ndarray, share: float = TOP_SHARE) -> float | None:
    """Share of leavers among the top ``share`` by score; ties at the boundary count
    in proportion (the expected value over every order of the tied)."""
    n = len(scores)
    if n == 0:
        return None
    k = max(1, math.ceil(share * n))
    threshold = np.sort(scores)[::-1][k - 1]
    above, tied = scores > threshold, scores == threshold
    hits = y[above].sum() + y[tied].mean() * (k - above.sum())
    return round(float(hits / k), 4)


def auc(scores: np.ndarray, y: np.ndarray) -> float | None:
    if len(set(y.tolist())) < 2:
        return None
    return round(float(roc_auc_score(y, scores)), 4)


def rule_score(frame: pd.DataFrame) -> np.ndarray:
    """The transparent rule, as a ranking: the longer without training, the riskier;
    flagged from 60 days on."""
    days: np.ndarray = frame["days_since_training"].to_numpy(np.float64)
    return days


# each engagement-drop rule: (indicator test, reason in Chinese)
ENGAGEMENT_RULES: list[tuple[str, Any, Any]] = [
    ("no_training_60", lambda f: f["days_since_training"] >= RULE_DAYS,
     lambda r: f"已 {int(r['days_since_training'])} 天未参加任何培训"
     if r["days_since_training"] < 365 else "一年内未参加任何培训"),
    ("drop_vs_own", lambda f: (f["change_vs_own"] <= -2) & (
        f["records_90"] <= (f["records_90"] - f["change_vs_own"]) / 2),
     lambda r: f"近90天培训 {int(r['records_90'])} 次，比此前90天少 "
               f"{int(-r['change_vs_own'])} 次"),
    ("below_peers", lambda f: f["gap_vs_peers"] <= -2,
     lambda r: f"近90天培训次数比同部门中位数少 {-r['gap_vs_peers']:g} 次"),
    ("streak_break", lambda f: f["streak_break"] > 0,
     lambda r: "此前连续每月参训，最近30天中断"),
    ("not_willing", lambda f: f["not_willing"] > 0,
     lambda r: "最近一次调查表示不愿继续参加培训"),
    ("low_satisfaction", lambda f: f["satisfaction"] <= 2,
     lambda r: f"最近一次培训满意度评分 {r['satisfaction']:g}（满分5）"),
    ("failed", lambda f: f["failed_90"] >= 2,
     lambda r: f"近90天考核未通过 {int(r['failed_90'])} 次"),
    ("overdue", lambda f: f["overdue_plans"] > 0,
     lambda r: f"有 {int(r['overdue_plans'])} 项培训计划逾期未完成"),
    ("points_drop", lambda f: f["points_trend"] <= -math.log(2),
     lambda r: f"近3个月积分 {r['points_3m']:g}，不到此前3个月的一半"),
]


def engagement_flags(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({name: test(frame).to_numpy(bool)
                         for name, test, _ in ENGAGEMENT_RULES}, index=frame.index)


def engagement_score(frame: pd.DataFrame) -> np.ndarray:
    """Rules flagged, the longest without training first among equals."""
    flags: np.ndarray = engagement_flags(frame).sum(axis=1).to_numpy(np.float64)
    days: np.ndarray = frame["days_since_training"].to_numpy(np.float64)
    return flags + days / 1000.0


def candidates() -> dict[str, Pipeline]:
    return {
        "logistic_regression": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=2000, C=0.5)),
        "gradient_boosting": make_pipeline(HistGradientBoostingClassifier(
            max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
            l2_regularization=1.0, random_state=0)),
    }


def _x(frame: pd.DataFrame) -> np.ndarray:
    features: np.ndarray = frame[list(FEATURES)].to_numpy(np.float64)
    return features


def _figures(frame: pd.DataFrame, y: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    return {"auc": auc(scores, y), "precision_at_10_percent": precision_at(scores, y)}


@dataclass
class Split:
    train: pd.DataFrame
    holdout: pd.DataFrame
    labeled: pd.DataFrame


def time_split(panel: pd.DataFrame, horizon: int, as_of: date) -> Split:
    labeled = panel[known(panel, horizon, as_of)].copy()
    labeled["y"] = label(labeled, horizon)
    days = sorted(labeled["snapshot"].unique())
    holdout_days = days[-HOLDOUT_SNAPSHOTS:]
    start = holdout_days[0] if holdout_days else as_of
    train_days = [d for d in days if add_months(d, horizon) <= start]
    return Split(train=labeled[labeled["snapshot"].isin(train_days)],
                 holdout=labeled[labeled["snapshot"].isin(holdout_days)], labeled=labeled)


def _leavers(frame: pd.DataFrame) -> int:
    return int(frame.loc[frame["y"] == 1, "employee_no"].nunique())


def _window(frame: pd.DataFrame) -> dict[str, str] | None:
    if frame.empty:
        return None
    return {"from": min(frame["snapshot"]).isoformat(), "to": max(frame["snapshot"]).isoformat(),
            "snapshots": int(frame["snapshot"].nunique()), "rows": len(frame),
            "leavers": _leavers(frame), "base_rate": round(float(frame["y"].mean()), 4)}


def _choose(train: pd.DataFrame) -> tuple[str, dict[str, float | None]]:
    """The candidate with the better mean AUC in 5-fold cross-validation within the
    training window (folds by employee, so nobody is on both sides; the held-out
    period stays unseen); logistic regression, the simpler and exactly explained, when
    they tie or the folds cannot tell."""
    groups = train["employee_no"].to_numpy()
    folds = GroupKFold(n_splits=min(5, len(set(groups))))
    x, y = _x(train), train["y"].to_numpy()
    results: dict[str, float | None] = {}
    for name, model in candidates().items():
        found = []
        for fit, check in folds.split(x, y, groups):
            if len(set(y[fit])) < 2 or len(set(y[check])) < 2:
                continue
            model.fit(x[fit], y[fit])
            found.append(roc_auc_score(y[check], model.predict_proba(x[check])[:, 1]))
        results[name] = round(float(np.mean(found)), 4) if found else None
    best = "logistic_regression"
    boosting = results["gradient_boosting"]
    if boosting is not None and boosting > (results[best] or 0.0):
        best = "gradient_boosting"
    return best, results


P = ParamSpec("P")
R = TypeVar("R")


def one_thread(function: Callable[P, R]) -> Callable[P, R]:
    """Fits on one core: the service and its neighbours share a small machine, and
    OpenMP threads fighting over busy cores are many times slower than one."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with threadpool_limits(1):
            return function(*args, **kwargs)

    return wrapper


@one_thread
def validate(panel: pd.DataFrame, *, horizon: int, as_of: date,
             thresholds: Thresholds) -> dict[str, Any]:
    """The model card's validation: windows, leavers, the candidates, and the held-out
    figures of the model (when there are enough leavers), the rule and the rules."""
    split = time_split(panel, horizon, as_of)
    card: dict[str, Any] = {
        "training_window": _window(split.train), "holdout_window": _window(split.holdout),
        "thresholds": {"min_train_leavers": thresholds.min_train_leavers,
                       "min_holdout_leavers": thresholds.min_holdout_leavers}}
    holdout_y = split.holdout["y"].to_numpy() if not split.holdout.empty else np.array([])
    if len(holdout_y):
        card["rule_no_training_60_days"] = _figures(split.holdout, holdout_y,
                                                    rule_score(split.holdout))
        card["engagement_rules"] = _figures(split.holdout, holdout_y,
                                            engagement_score(split.holdout))
    train_leavers = _leavers(split.train) if not split.train.empty else 0
    holdout_leavers = _leavers(split.holdout) if not split.holdout.empty else 0
    if train_leavers < thresholds.min_train_leavers or \
            holdout_leavers < thresholds.min_holdout_leavers:
        card["refused"] = (
            f"离职样本不足，无法验证模型：训练期离职 {train_leavers} 人（至少 "
            f"{thresholds.min_train_leavers} 人），验证期离职 {holdout_leavers} 人（至少 "
            f"{thresholds.min_holdout_leavers} 人）；改用透明的参与度下降规则")
        return card
    chosen, selection = _choose(split.train)
    model = candidates()[chosen].fit(_x(split.train), split.train["y"])
    card["candidates"] = selection
    card["chosen"] = chosen
    card["model"] = _figures(split.holdout, holdout_y,
                             model.predict_proba(_x(split.holdout))[:, 1])
    return card


@one_thread
def score(panel: pd.DataFrame, today: pd.DataFrame, *, horizon: int, as_of: date,
          thresholds: Thresholds) -> Scored:
    """Validate, then rank today's employees with the model (refit on every snapshot
    whose outcome is known) or, when refused, with the engagement-drop rules."""
    card = validate(panel, horizon=horizon, as_of=as_of, thresholds=thresholds)
    if "refused" in card:
        flags = engagement_flags(today)
        reasons = [[{"indicator": name, "text": text(row), "contribution": None}
                    for name, _, text in ENGAGEMENT_RULES if flags.at[i, name]]
                   for i, row in today.iterrows()]
        return Scored("rules", engagement_score(today), None, reasons, card)
    labeled = time_split(panel, horizon, as_of).labeled
    model = candidates()[card["chosen"]].fit(_x(labeled), labeled["y"])
    probabilities = model.predict_proba(_x(today))[:, 1]
    return Scored("model", probabilities, probabilities, explain(model, today), card)


def _logit(p: np.ndarray) -> np.ndarray:
    clipped: np.ndarray = np.clip(p, 1e-6, 1 - 1e-6)
    logits: np.ndarray = np.log(clipped / (1 - clipped))
    return logits


def explain(model: Pipeline, today: pd.DataFrame) -> list[list[dict[str, Any]]]:
    """Each indicator's contribution to each employee's risk, in log-odds: how much
    lower it would be with that indicator at today's typical value (the median),
    the others unchanged. Exact for logistic regression; for gradient boosting the
    same question asked of the trees. The three largest pushes up are the reasons."""
    x = _x(today)
    if not len(x):
        return []
    base = _logit(model.predict_proba(x)[:, 1])
    typical = np.median(x, axis=0)
    pushes = np.zeros_like(x)
    for j in range(x.shape[1]):
        moved = x.copy()
        moved[:, j] = typical[j]
        pushes[:, j] = base - _logit(model.predict_proba(moved)[:, 1])
    names = list(FEATURES)
    out = []
    for i in range(len(x)):
        order = [j for j in np.argsort(-pushes[i]) if pushes[i, j] >= MIN_CONTRIBUTION][:3]
        out.append([{"indicator": names[j], "text": reason_text(names[j], x[i, j], typical[j]),
                     "contribution": round(float(pushes[i, j]), 3)} for j in order])
    return out


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def reason_text(name: str, value: float, typical: float) -> str:
    """A reason a manager reads: the indicator, the employee's value, the typical."""
    if name == "not_willing":
        return "最近一次调查表示不愿继续参加培训" if value else "最近一次调查表示愿意继续参加培训"
    if name == "streak_break":
        return "此前连续每月参训，最近30天中断" if value else "参训节奏未中断"
    if name == "days_since_training" and value >= 365:
        return "一年内未参加任何培训"
    return f"{FEATURES[name]} {_number(value)}（全厂典型 {_number(typical)}）"
