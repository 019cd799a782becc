"""The numeric parts of the training-demand forecasts, as they run in the forecast
worker process (services/training_api/workers.py): plain data in, plain data out.
numpy and statsmodels are imported there, never in the service's process."""

from __future__ import annotations

from typing import Any


def load() -> None:
    """Import what the forecasts compute with (numpy, statsmodels): run once in a new
    forecast worker so that its first real call finds them loaded."""
    from services.training_api.changes import demand, readiness  # noqa: F401


def demand_forecasts(counts: dict[str, dict[str, int]], keys: list[str],
                     horizon: int) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Per series (code -> completions by month) its forecast of ``horizon`` months,
    the method chosen and the backtest; and the errors averaged over the series.
    Without a series (a department without completions) statsmodels is not imported."""
    if not counts:
        return {}, total_errors([])
    from services.training_api.changes import demand

    found = {code: demand.forecast([float(by_month.get(k, 0)) for k in keys], horizon)
             for code, by_month in counts.items()}
    series = {code: {"method": f.method, "values": f.values, "backtest": f.backtest}
              for code, f in found.items()}
    return series, total_errors([f.backtest for f in found.values()])


def total_errors(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean MASE and MAPE over many series (those that have them)."""
    out: dict[str, Any] = {}
    for who in ("method", "naive"):
        for name in ("mape", "mase"):
            found = [r[who][name] for r in results if r[who][name] is not None]
            out[f"{who}_{name}"] = round(sum(found) / len(found), 3) if found else None
    out["series"] = len(results)
    return out


def readiness_projection(pairs: dict[str, list[tuple[str, float, bool]]],
                         learners: list[list[tuple[str, str, float | None]]], *, ready: int,
                         total: int, weeks: int) -> tuple[dict[str, Any], list[float]]:
    """See readiness.project."""
    from services.training_api.changes import readiness

    return readiness.project(pairs, learners, ready=ready, total=total, weeks=weeks)
