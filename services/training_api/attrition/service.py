"""Risk runs: gather the history, compute the indicators, validate and score, store
the ranking with its reasons and the model card. A run is a background job (202
and a status URL with progress); its heavy work runs in a worker thread so that
the service keeps answering meanwhile."""

from __future__ import annotations

import asyncio
import math
import uuid
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.training_api.attrition import repository as repo
from services.training_api.attrition import schemas
from services.training_api.attrition.errors import RunInProgress, RunNotFound
from services.training_api.clients.points_analytics import PointsHistoryClient
from services.training_api.reports.period import local_midnight

if TYPE_CHECKING:  # the numeric stack is imported by a run only: the service starts faster
    import pandas as pd

    from services.training_api.attrition import model
    from services.training_api.attrition.indicators import History

log = structlog.get_logger("jifen.attrition")
HISTORY_MONTHS = 36  # snapshots of at most the last three years are learned from
LOOKBACK_DAYS = 200  # what the first snapshot's indicators look back on
STALE_AFTER = timedelta(minutes=2)  # a running run without heartbeat this long died
MEDIUM_SHARE = 0.2  # below the high-risk share, the next 20% are "medium"


def run_out(run: Any, *, now: datetime | None = None) -> schemas.RiskRun:
    status = run.status
    if status == "running" and run.heartbeat_at < (now or datetime.now(UTC)) - STALE_AFTER:
        status = "failed"
    return schemas.RiskRun(
        id=run.id, status=status, phase=run.phase, progress=run.progress,
        horizon_months=run.horizon_months, as_of=run.as_of, method=run.method,
        requested_by=run.requested_by, started_at=run.started_at, finished_at=run.finished_at,
        error=run.error if status == "failed" else None,
        model_card=run.card if status == "done" else None)


class RiskRunService:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, app: FastAPI, *, horizon: int, actor: str) -> schemas.RiskRun:
        """A new run, unless one is running (409 with its id)."""
        settings = app.state.settings
        today = datetime.now(UTC).astimezone(settings.tz).date()
        async with app.state.sessionmaker() as session, session.begin():
            await repo.lock_runs(session)
            running = await repo.running(session, since=datetime.now(UTC) - STALE_AFTER)
            if running is not None:
                raise RunInProgress(f"Risk run {running.id} is still running; wait for it",
                                    run_id=str(running.id))
            run = await repo.insert_run(session, horizon_months=horizon, as_of=today,
                                        requested_by=actor, phase="排队")
            out = run_out(run, now=run.started_at)
        task = asyncio.create_task(self.run(app, out.id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return out

    async def get(self, session: AsyncSession, run_id: uuid.UUID) -> schemas.RiskRun:
        run = await repo.get_run(session, run_id)
        if run is None:
            raise RunNotFound(f"No risk run {run_id}")
        return run_out(run)

    async def list(self, session: AsyncSession, *, before: datetime | None,
                   limit: int) -> tuple[list[schemas.RiskRun], datetime | None]:
        rows = await repo.runs_page(session, before=before, limit=limit + 1)
        items = [run_out(r) for r in rows[:limit]]
        return items, (rows[limit - 1].started_at if len(rows) > limit else None)

    async def run(self, app: FastAPI, run_id: uuid.UUID) -> None:
        """The job: every failure is recorded on the run, never raised."""
        maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
        heartbeat = asyncio.create_task(self._heartbeat(maker, run_id))
        try:
            await self._compute(app, run_id)
        except Exception as exc:  # noqa: BLE001 - the run records what went wrong
            log.exception("attrition_run_failed", run_id=str(run_id))
            async with maker() as session, session.begin():
                await repo.update_run(session, run_id, status="failed", error=str(exc)[:2000],
                                      finished_at=datetime.now(UTC))
        finally:
            heartbeat.cancel()

    async def _heartbeat(self, maker: async_sessionmaker[AsyncSession],
                         run_id: uuid.UUID) -> None:
        while True:
            await asyncio.sleep(STALE_AFTER.total_seconds() / 4)
            async with maker() as session, session.begin():
                await repo.update_run(session, run_id, heartbeat_at=datetime.now(UTC))

    async def _progress(self, maker: async_sessionmaker[AsyncSession], run_id: uuid.UUID,
                        phase: str, progress: int) -> None:
        async with maker() as session, session.begin():
            await repo.update_run(session, run_id, phase=phase, progress=progress,
                                  heartbeat_at=datetime.now(UTC))

    async def _compute(self, app: FastAPI, run_id: uuid.UUID) -> None:
        from services.training_api.attrition import indicators, model

        settings, maker = app.state.settings, app.state.sessionmaker
        async with maker() as session:
            run = await repo.get_run(session, run_id)
            assert run is not None
            horizon, as_of = run.horizon_months, run.as_of
        await self._progress(maker, run_id, "读取培训、调查、计划与积分历史", 10)
        first = indicators.add_months(as_of, -HISTORY_MONTHS)
        history = await self._history(app, first - timedelta(days=LOOKBACK_DAYS), as_of)
        await self._progress(maker, run_id, "计算每月指标", 40)
        snapshots = [*indicators.month_ends(_first_month(history, first), as_of), as_of]
        thresholds = model.Thresholds(settings.attrition_min_train_leavers,
                                      settings.attrition_min_holdout_leavers)
        scored, today = await asyncio.to_thread(_score, history, snapshots, horizon, as_of,
                                                thresholds)
        await self._progress(maker, run_id, "保存排名与原因", 90)
        rows = _rows(run_id, scored, today, history, settings.attrition_high_risk_share)
        card = _card(scored, horizon=horizon, as_of=as_of, rows=rows,
                     share=settings.attrition_high_risk_share)
        async with maker() as session, session.begin():
            await repo.insert_scores(session, rows)
            await repo.update_run(session, run_id, status="done", progress=100, phase="完成",
                                  method=scored.method, card=card,
                                  finished_at=datetime.now(UTC))

    async def _history(self, app: FastAPI, since: date, as_of: date) -> History:
        import pandas as pd

        from services.training_api.attrition.indicators import History

        tz: tzinfo = app.state.settings.tz
        start = local_midnight(since, tz)
        async with app.state.sessionmaker() as session:
            await repo.give_memory(session)
            employees = await repo.employees(session)
            records = await repo.records(session, since=start, tz=str(tz))
            answers = await repo.answers(session, since=start, tz=str(tz))
            items = await repo.plan_items(session, since=since, tz=tz)
        client = PointsHistoryClient(app.state.peers["points"])
        months = await client.monthly_points(f"{since:%Y-%m}", f"{as_of:%Y-%m}")
        points = pd.DataFrame([(m.employee_no, month, p) for m in months
                               for month, p in m.months.items()],
                              columns=["employee_no", "month", "points"])
        milestones = pd.DataFrame([(m.employee_no, d) for m in months for d in m.milestones],
                                  columns=["employee_no", "day"])
        return History(employees=employees, records=records, answers=answers,
                       plan_items=items, points=points, milestones=milestones)


def _first_month(history: History, floor: date) -> date:
    """The first snapshot: the first month with a training record, or ``floor``."""
    import pandas as pd

    days = pd.to_datetime(history.records["day"], errors="coerce").dropna()
    return max(floor, days.min().date()) if len(days) else floor


def _score(history: History, snapshots: list[date], horizon: int, as_of: date,
           thresholds: model.Thresholds) -> tuple[model.Scored, pd.DataFrame]:
    from services.training_api.attrition import indicators, model

    panel = indicators.panel(history, snapshots)
    today = panel[panel["snapshot"] == as_of].reset_index(drop=True)
    return model.score(panel, today, horizon=horizon, as_of=as_of,
                       thresholds=thresholds), today


def _rows(run_id: uuid.UUID, scored: model.Scored, today: pd.DataFrame, history: History,
          share: float) -> list[dict[str, Any]]:
    """Ranked, highest risk first (ties by employee number), with levels: the top
    ``share`` high (for the rules: only those with a flag), the next 20% medium."""
    import numpy as np

    from services.training_api.attrition.indicators import FEATURES

    if today.empty:
        return []
    paths = dict(zip(history.employees["employee_no"], history.employees["department_path"],
                     strict=True))
    order = np.lexsort((today["employee_no"].to_numpy(), -scored.scores))
    high, medium = math.ceil(share * len(today)), math.ceil((share + MEDIUM_SHARE) * len(today))
    rows = []
    for rank, i in enumerate(order, start=1):
        flags = len(scored.reasons[i]) if scored.method == "rules" else None
        level = "high" if rank <= high else "medium" if rank <= medium else "low"
        if flags == 0:
            level = "low"
        rows.append({
            "run_id": run_id, "employee_no": today.at[i, "employee_no"], "rank": rank,
            "department_path": paths.get(today.at[i, "employee_no"], "/"), "level": level,
            "risk": None if scored.probabilities is None else round(float(
                scored.probabilities[i]), 4),
            "flags": flags, "reasons": scored.reasons[i],
            "indicators": {name: round(float(today.at[i, name]), 3) for name in FEATURES}})
    return rows


def _card(scored: model.Scored, *, horizon: int, as_of: date, rows: list[dict[str, Any]],
          share: float) -> dict[str, Any]:
    from services.training_api.attrition.indicators import FEATURES

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


risk_runs = RiskRunService()

