"""A risk run's computation, in a worker process of its own: the history's rows become
tables, the monthly indicators, the validation and today's ranking with its reasons
and the model card. Kept out of the service's process so that importing the numeric
libraries and fitting the models never hold up its requests."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from services.training_api.attrition import indicators, model
from services.training_api.attrition.indicators import FEATURES, History
from services.training_api.attrition.months import month_ends

MEDIUM_SHARE = 0.2  # below the high-risk share, the next 20% are "medium"
COLUMNS = {
    "employees": ["employee_no", "department_code", "department_path", "hired_on", "left_on",
                  "status"],
    "records": ["employee_no", "day", "failed"],
    "answers": ["employee_no", "day", "satisfaction", "willing"],
    "plan_items": ["employee_no", "due_on", "finished_on"],
    "points": ["employee_no", "month", "points"],
    "milestones": ["employee_no", "day"],
}


def history(raw: dict[str, list[tuple[Any, ...]]]) -> History:
    frames = {name: pd.DataFrame(raw.get(name, []), columns=columns)
              for name, columns in COLUMNS.items()}
    frames["records"]["failed"] = frames["records"]["failed"].astype(bool)
    for name in ("satisfaction", "willing"):
        frames["answers"][name] = pd.to_numeric(frames["answers"][name], errors="coerce")
    return History(**frames)


def first_month(found: History, floor: date) -> date:
    """The first snapshot: the first month with a training record, or ``floor``."""
    days = pd.to_datetime(found.records["day"], errors="coerce").dropna()
    return max(floor, days.min().date()) if len(days) else floor


def rank(raw: dict[str, list[tuple[Any, ...]]], *, horizon: int, as_of: date, floor: date,
         min_train_leavers: int, min_holdout_leavers: int,
         share: float) -> dict[str, Any]:
    """The run's result: method, model card, and the ranked rows (without run id)."""
    found = history(raw)
    snapshots = [*month_ends(first_month(found, floor), as_of), as_of]
    panel = indicators.panel(found, snapshots)
    today = panel[panel["snapshot"] == as_of].reset_index(drop=True)
    scored = model.score(panel, today, horizon=horizon, as_of=as_of,
                         thresholds=model.Thresholds(min_train_leavers, min_holdout_leavers))
    rows = ranked(scored, today, found, share)
    return {"method": scored.method, "rows": rows,
            "card": card(scored, horizon=horizon, as_of=as_of, rows=rows, share=share)}


def ranked(scored: model.Scored, today: pd.DataFrame, found: History,
           share: float) -> list[dict[str, Any]]:
    """Highest risk first (ties by employee number), with levels: the top ``share`` high
    (for the rules: only those with a flag), the next 20% medium."""
    if today.empty:
        return []
    paths = dict(zip(found.employees["employee_no"], found.employees["department_path"],
                     strict=True))
    order = np.lexsort((today["employee_no"].to_numpy(), -scored.scores))
    high, medium = math.ceil(share * len(today)), math.ceil((share + MEDIUM_SHARE) * len(today))
    rows = []
    for position, i in enumerate(order, start=1):
        flags = len(scored.reasons[i]) if scored.method == "rules" else None
        level = "high" if position <= high else "medium" if position <= medium else "low"
        if flags == 0:
            level = "low"
        no = str(today.at[i, "employee_no"])
        rows.append({
            "employee_no": no, "rank": position, "department_path": paths.get(no, "/"),
            "level": level,
            "risk": None if scored.probabilities is None else round(float(
                scored.probabilities[i]), 4),
            "flags": flags, "reasons": scored.reasons[i],
            "indicators": {name: round(float(today.at[i, name]), 3) for name in FEATURES}})
    return rows


def card(scored: model.Scored, *, horizon: int, as_of: date, rows: list[dict[str, Any]],
         share: float) -> dict[str, Any]:
    return {
        "method": scored.method,
        "target": f"{horizon} 个月内离职",
        "horizon_months": horizon,
        "as_of": as_of.isoformat(),
        "created_at": datetime.now(UTC).isoformat(),
        "features": [{"name": name, "label": label} for name, label in FEATURES.items()],
        "employees_scored": len(rows),
        "high_risk": sum(1 for r in rows if r["level"] == "high"),
        "high_risk_share": share,
        **scored.card,
    }
