"""The training-demand report: monthly completions per course or per skill, the
forecast of the next months and its backtest error beside the naive forecast's."""

from __future__ import annotations

from datetime import date, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.changes import repository as repo
from services.training_api.changes import schemas
from services.training_api.changes.compute import demand_forecasts
from services.training_api.changes.hires import onboarding
from services.training_api.reports.period import local_midnight, next_month
from services.training_api.reports.scope import ReportScope
from services.training_api.workers import in_worker

HISTORY_MONTHS = 36


def _months(first: date, count: int) -> list[date]:
    out = [first]
    while len(out) < count:
        out.append(next_month(out[-1]))
    return out


async def demand_report(session: AsyncSession, *, by: str, scope: ReportScope, horizon: int,
                        today: date, tz: tzinfo) -> schemas.DemandReport:
    """History: the complete months up to the last (at most 36, from the first month
    with a completion); forecast: the current month and the ones after it; onboarding:
    the planned hires starting in those months who will need the skill or course."""
    this_month = today.replace(day=1)
    first = date(this_month.year - HISTORY_MONTHS // 12, this_month.month, 1)
    rows = await repo.monthly_completions(
        session, by=by, since=local_midnight(first, tz), until=local_midnight(this_month, tz),
        tz=str(tz), department_path=scope.department_path)
    seen = sorted({m for _, _, m, _ in rows})
    start = date.fromisoformat(seen[0] + "-01") if seen else this_month
    months = [m for m in _months(start, HISTORY_MONTHS + 1) if m < this_month]
    keys = [f"{m:%Y-%m}" for m in months]
    ahead = [f"{m:%Y-%m}" for m in _months(this_month, horizon)]
    counts: dict[str, dict[str, int]] = {}
    names: dict[str, str] = {}
    for code, name, month, n in rows:
        counts.setdefault(code, {})[month] = n
        names[code] = name
    hires, hire_names, planned = await onboarding(
        session, by=by, months=_months(this_month, horizon),
        department_path=scope.department_path)
    for code, name in hire_names.items():  # a skill or course new hires need, never taken
        counts.setdefault(code, {})
        names.setdefault(code, name)
    # the report only reads (its endpoint is a GET): the connection goes back to the
    # pool while the requests queued for the forecast worker wait their turn
    await session.close()
    series, overall = await in_worker("forecast", demand_forecasts, counts, keys, horizon)
    items = [_series(code, names[code], {k: counts[code].get(k, 0) for k in keys}, found,
                     {k: hires.get(code, {}).get(k, 0) for k in ahead})
             for code, found in sorted(series.items())]
    return schemas.DemandReport(
        by=by, department_code=scope.department_code, months_of_history=len(keys),
        horizon_months=horizon, series=items, planned_hires=planned, overall=overall)


def _series(code: str, name: str, history: dict[str, int], found: dict[str, Any],
            joining: dict[str, int]) -> schemas.DemandSeries:
    """One series: its history, the forecast of the months ``joining`` names, the
    onboarding and their sum."""
    forecast = dict(zip(joining, found["values"], strict=True))
    return schemas.DemandSeries(
        code=code, name=name, history=history, method=found["method"], forecast=forecast,
        onboarding=joining, total={k: round(v + joining[k], 1) for k, v in forecast.items()},
        backtest=found["backtest"])
