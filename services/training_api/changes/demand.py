"""Monthly training demand: completions per course or per skill forecast for the next
months, with the forecast's error measured on the plant's own past (a rolling
backtest) beside that of a naive forecast. Pure: a monthly series in, figures out.

Candidates, simplest first, each where every backtest origin leaves it the history
it needs: naive (the last month); seasonal naive (the same month a year before, 12
months); simple exponential smoothing (statsmodels; a level, no trend, 6 months and
a history that is not flat); Holt-Winters exponential smoothing with a damped
additive trend and additive 12-month seasonality (24 months).
Backtest: from each of the last four origins that leave at least six months to
learn from, every candidate forecasts 1 to ``horizon`` months ahead and is
compared with what happened; MAPE over the months with completions, MASE scaled
by the mean absolute month-to-month change of the history (below 1 beats the
naive forecast's in-sample error). The candidate with the smallest error
forecasts the series (the simpler on a tie): where the naive forecast did better
on this series' own recent months, the naive forecast is used. With nothing to
backtest on (under seven months), the method of the length: smoothing from six
months (Holt-Winters from 24), else seasonal naive from 12, else naive. Forecasts
are never negative.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
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


def _fitted(history: np.ndarray, horizon: int, seasonal: bool) -> np.ndarray | None:
    """Holt-Winters (damped additive trend, additive 12-month season) or simple
    exponential smoothing; None for a flat history or a failed fit."""
    if len(history) < MIN_SMOOTHING or np.ptp(history) == 0:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = (ExponentialSmoothing(
                history.astype(float), trend="add", damped_trend=True, seasonal="add",
                seasonal_periods=SEASON, initialization_method="estimated")
                if seasonal else SimpleExpSmoothing(
                    history.astype(float), initialization_method="estimated")).fit()
        values = np.asarray(fit.forecast(horizon), dtype=float)
    except (ValueError, np.linalg.LinAlgError):
        return None
    return np.clip(values, 0, None) if np.all(np.isfinite(values)) else None


def simple_smoothing(history: np.ndarray, horizon: int) -> np.ndarray:
    found = _fitted(history, horizon, seasonal=False)
    return naive(history, horizon) if found is None else found


def holt_winters(history: np.ndarray, horizon: int) -> np.ndarray:
    found = _fitted(history, horizon, seasonal=True)
    return seasonal_naive(history, horizon) if found is None else found


def smoothing(history: np.ndarray, horizon: int) -> tuple[str, np.ndarray]:
    """The method of this history's length, and its forecast."""
    seasonal = len(history) >= MIN_SEASONAL
    found = _fitted(history, horizon, seasonal=seasonal)
    if found is not None:
        return ("holt_winters" if seasonal else "simple_smoothing"), found
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


def _mae(pairs: list[tuple[float, float]]) -> float:
    return sum(abs(a - f) for a, f in pairs) / len(pairs)


def candidates(history: np.ndarray) -> dict[str, Callable[[np.ndarray, int], np.ndarray]]:
    """The methods a series may be forecast with, simplest first, each one only when
    every backtest origin leaves it the history it needs: naive; seasonal naive (a
    year); simple exponential smoothing (six months, and a history that is not flat);
    Holt-Winters (two years)."""
    shortest = len(history) - BACKTEST_ORIGINS
    out: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {"naive": naive}
    if shortest >= SEASON:
        out["seasonal_naive"] = seasonal_naive
    if len(history) and np.ptp(history) > 0:
        out["simple_smoothing"] = simple_smoothing
        if shortest >= MIN_SEASONAL:
            out["holt_winters"] = holt_winters
    return out


def backtest(history: np.ndarray, horizon: int,
             methods: dict[str, Callable[[np.ndarray, int], np.ndarray]]
             ) -> tuple[dict[str, Any], dict[str, float]]:
    """Rolling-origin errors of every candidate: from each of the last four origins
    leaving at least six months to learn from, 1 to ``horizon`` months ahead. The
    report, and the score each candidate is chosen by (MASE to three decimals; the
    mean absolute error for a flat history; none without an origin)."""
    n = len(history)
    origins = [o for o in range(max(MIN_SMOOTHING, n - BACKTEST_ORIGINS), n)]
    pairs: dict[str, list[tuple[float, float]]] = {name: [] for name in methods}
    for origin in origins:
        past, ahead = history[:origin], history[origin:origin + horizon]
        for name, method in methods.items():
            pairs[name] += list(zip(ahead.tolist(), method(past, len(ahead)).tolist(),
                                    strict=True))
    scale = float(np.mean(np.abs(np.diff(history)))) if n > 1 else 0.0
    report = {"origins": len(origins), "forecasts_checked": len(pairs["naive"]),
              "candidates": {name: _errors(found, scale) for name, found in pairs.items()}}
    return report, {name: round(_mae(found) / (scale or 1.0), 3)
                    for name, found in pairs.items() if found}


def forecast(history: list[float], horizon: int = 3) -> Forecast:
    """The method with the smallest backtest error (MASE as shown, to three decimals;
    the mean absolute error when the history is flat) forecasts; ties go to the
    simpler. Without a month to backtest on, the method of the history's length."""
    series = np.asarray(history, dtype=float)
    methods = candidates(series)
    test, errors = backtest(series, horizon, methods)
    if errors:
        order = list(methods)
        chosen = min(order, key=lambda name: (errors[name], order.index(name)))
        predicted = methods[chosen](series, horizon)
        chosen_by = "backtest"
    else:
        chosen, predicted = smoothing(series, horizon)
        chosen_by = "history_length"
    test.update(method=test["candidates"].get(chosen, {"mape": None, "mase": None}),
                naive=test["candidates"]["naive"], chosen_by=chosen_by)
    return Forecast(method=chosen, values=[round(float(v), 1) for v in predicted],
                    backtest=test)


def months_until(total_days: int) -> int:
    return max(1, math.ceil(total_days / 30.4))
