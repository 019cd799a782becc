"""The monthly demand forecast on the `make demo` plant, measured in-process (no
stack): the demo's generator (seed 2026, today, Asia/Shanghai) gives the course
completions `jifen demo` loads, counted per course and per skill over the
complete months as GET /training/v1/reports/training-demand counts them; each
series is forecast by services/training_api/changes/demand.py.

Two figures per series set. The backtest as the report shows it: the chosen
method's error is the one it was chosen on, so it cannot exceed the naive
forecast's. And the honest one: from each of the last three origins that leave
three months after them, those months hidden, the method chosen on the months
before (with its own backtest), its forecast of the hidden months against the
naive forecast's and simple exponential smoothing's, MASE scaled as the report's
backtest is."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from jifen.demo_plant import SKILL_OF, Timeline, plant
from services.training_api.changes import demand
from services.training_api.changes.compute import total_errors

SEED = 2026
HELD_OUT = 3
CUTS = 3  # origins the held-out months are hidden from


def series(by: str) -> dict[str, list[float]]:
    """code -> completions per complete month, from the first month with one."""
    tz = ZoneInfo("Asia/Shanghai")
    today = datetime.now(UTC).astimezone(tz).date()
    counts: Counter[tuple[str, str]] = Counter()
    for path, body in plant(SEED, Timeline(today, tz)).facts:  # type: ignore[arg-type]
        if path != "/training/v1/course-completions":
            continue
        month = body["completed_at"][:7]
        if month >= f"{today:%Y-%m}":
            continue
        code = body["course_code"] if by == "course" else SKILL_OF.get(body["course_code"])
        if code:
            counts[(code, month)] += 1
    months = sorted({m for _, m in counts})
    first = date.fromisoformat(months[0] + "-01")
    keys = []
    while f"{first:%Y-%m}" < f"{today:%Y-%m}":
        keys.append(f"{first:%Y-%m}")
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    codes = sorted({c for c, _ in counts})
    return {c: [float(counts[(c, k)]) for k in keys] for c in codes}


def held_out(history: list[float]) -> dict[str, float] | None:
    """From each of the last CUTS origins, the next HELD_OUT months hidden: MASE of the
    method chosen without them, of the naive forecast and of simple smoothing, scaled
    as the report's backtest is (the whole history's mean month-to-month change, the
    same for every method)."""
    n = len(history)
    first = n - HELD_OUT - CUTS + 1
    scale = float(np.mean(np.abs(np.diff(history))))
    if scale == 0:
        return None
    errors: dict[str, list[float]] = {"chosen": [], "naive": [], "simple_smoothing": []}
    for cut in range(first, n - HELD_OUT + 1):
        past, ahead = np.asarray(history[:cut]), np.asarray(history[cut:cut + HELD_OUT])
        forecasts = {"chosen": np.asarray(demand.forecast(past.tolist(), HELD_OUT).values),
                     "naive": demand.naive(past, HELD_OUT),
                     "simple_smoothing": demand.simple_smoothing(past, HELD_OUT)}
        for name, f in forecasts.items():
            errors[name] += np.abs(ahead - f).tolist()
    return {name: float(np.mean(found)) / scale for name, found in errors.items()}


def figures(by: str) -> dict[str, Any]:
    found = series(by)
    results = {code: demand.forecast(h, HELD_OUT) for code, h in found.items()}
    smoothing = [r.backtest["candidates"]["simple_smoothing"]["mase"]
                 for r in results.values()
                 if r.backtest["candidates"].get("simple_smoothing", {}).get("mase") is not None]
    outside = [x for x in (held_out(h) for h in found.values()) if x is not None]
    return {"series": len(found), "months": len(next(iter(found.values()))),
            "methods": Counter(r.method for r in results.values()),
            "backtest": total_errors([r.backtest for r in results.values()]),
            "smoothing_mase": round(sum(smoothing) / len(smoothing), 3),
            "held_out": {name: round(sum(x[name] for x in outside) / len(outside), 3)
                         for name in ("chosen", "naive", "simple_smoothing")},
            "held_out_series": len(outside)}


def run(_stack: object = None) -> list[str]:
    lines = []
    for by in ("course", "skill"):
        f = figures(by)
        b, h = f["backtest"], f["held_out"]
        methods = ", ".join(f"{n} {name}" for name, n in f["methods"].most_common())
        lines += [
            f"{f['series']} {by} series, {f['months']} complete months; chosen: {methods}",
            f"  backtest (chosen on it): MASE chosen {b['method_mase']} / naive "
            f"{b['naive_mase']} / simple smoothing {f['smoothing_mase']}; MAPE chosen "
            f"{b['method_mape']:.1f}% / naive {b['naive_mape']:.1f}%",
            f"  {HELD_OUT} months hidden from each of the last {CUTS} origins "
            f"({f['held_out_series']} series): MASE chosen "
            f"{h['chosen']} / naive {h['naive']} / simple smoothing {h['simple_smoothing']}"]
    return lines
