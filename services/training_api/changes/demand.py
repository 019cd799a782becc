"""Monthly training demand: completions per course or per skill forecast for the next
months, with the forecast's error measured on the plant's own past (a rolling
backtest) beside that of a naive forecast. Pure: a monthly series in, figures out.

Method, by history length (complete months):
- 24 or more: Holt-Winters exponential smoothing (statsmodels), damped additive
  trend and additive 12-month seasonality;
- 6 to 23: simple exponential smoothing (a level, no trend: a trend read from
  under two years of a plant's history, with its rollouts and reorganisations,
  extrapolates noise);
- fewer, or when the fit fails: seasonal naive (the same month a year before) with
  12 or more months, else naive (the last month).
Forecasts are never negative. Backtest: from each of the last four origins that
leave at least six months to learn from, forecast 1 to ``horizon`` months ahead
and compare with what happened; MAPE over the months with completions, MASE
scaled by the mean absolute month-to-month change of the history (below 1 beats
the naive forecast's in-sample error).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing, SimpleExpSmoothing

MIN_SMOOTHING = 6
MIN_SEASONAL = 24
SEASON = 12
BACKTEST_ORIGINS = 4


@dataclass
class Forecast:
    method: str
    values: list[float]
    backtest: dict[str, Any] = field(default_factory=dict)


def naive(history: np.ndarray, horizon: int) -> np.ndarray:
    return np.repeat(history[-1] if len(history) else 0.0, horizon)


def seasonal_naive(history: np.ndarray, horizon: int) -> np.ndarray:
    if len(history) < SEASON:
        return naive(history, horizon)
    return np.array([history[len(history) - SEASON + (h % SEASON)] for h in range(horizon)])


def smoothing(history: np.ndarray, horizon: int) -> tuple[str, np.ndarray]:
    """The documented method for this history length, and its forecast."""
    if len(history) >= MIN_SMOOTHING and np.ptp(history) > 0:
        seasonal = len(history) >= MIN_SEASONAL
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = (ExponentialSmoothing(
                    history.astype(float), trend="add", damped_trend=True, seasonal="add",
                    seasonal_periods=SEASON, initialization_method="estimated")
                    if seasonal else SimpleExpSmoothing(
                        history.astype(float), initialization_method="estimated")).fit()
            values = np.asarray(fit.forecast(horizon), dtype=float)
            if np.all(np.isfinite(values)):
                name = "holt_winters" if seasonal else "simple_smoothing"
                return name, np.clip(values, 0, None)
        except (ValueError, np.linalg.LinAlgError):
            pass
    if len(history) >= SEASON:
        return "seasonal_naive", seasonal_naive(history, horizon)
    return "naive", naive(history, horizon)


def _errors(pairs: list[tuple[float, float]], scale: float) -> dict[str, float | None]:
    if not pairs:
        return {"mape": None, "mase": None}
    positive = [(a, f) for a, f in pairs if a > 0]
    mape = (100 * sum(abs(a - f) / a for a, f in positive) / len(positive)) if positive \
        else None
    mae = sum(abs(a - f) for a, f in pairs) / len(pairs)
    return {"mape": None if mape is None else round(mape, 1),
            "mase": round(mae / scale, 3) if scale > 0 else None}


def backtest(history: np.ndarray, horizon: int) -> dict[str, Any]:
    """Rolling-origin errors of the method and of the naive forecast."""
    n = len(history)
    origins = [o for o in range(max(MIN_SMOOTHING, n - BACKTEST_ORIGINS), n)]
    method_pairs: list[tuple[float, float]] = []
    naive_pairs: list[tuple[float, float]] = []
    for origin in origins:
        past, ahead = history[:origin], history[origin:origin + horizon]
        _, predicted = smoothing(past, len(ahead))
        method_pairs += list(zip(ahead.tolist(), predicted.tolist(), strict=True))
        naive_pairs += list(zip(ahead.tolist(), naive(past, len(ahead)).tolist(), strict=True))
    scale = float(np.mean(np.abs(np.diff(history)))) if n > 1 else 0.0
    return {"origins": len(origins), "forecasts_checked": len(method_pairs),
            "method": _errors(method_pairs, scale), "naive": _errors(naive_pairs, scale)}


def forecast(history: list[float], horizon: int = 3) -> Forecast:
    series = np.asarray(history, dtype=float)
    method, values = smoothing(series, horizon)
    return Forecast(method=method, values=[round(float(v), 1) for v in values],
                    backtest=backtest(series, horizon))


def total_errors(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean MASE and MAPE over many series (those that have them)."""
    out: dict[str, Any] = {}
    for who in ("method", "naive"):
        for name in ("mape", "mase"):
            found = [r[who][name] for r in results if r[who][name] is not None]
            out[f"{who}_{name}"] = round(sum(found) / len(found), 3) if found else None
    out["series"] = len(results)
    return out


def months_until(total_days: int) -> int:
    return max(1, math.ceil(total_days / 30.4))
