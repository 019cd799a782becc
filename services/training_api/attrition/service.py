"""Risk runs: gather the history, compute the indicators, validate and score, store
the ranking with its reasons and the model card. A run is a background job (202
and a status URL with progress); its heavy work runs in a worker process of its own
(services/training_api/workers.py) so that the service keeps answering meanwhile."""

from __future__ import annotations

import asyncio
import builtins
import uuid
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.training_api.attrition import repository as repo
from services.training_api.attrition import schemas
from services.training_api.attrition.errors import RunInProgress, RunNotFound
from services.training_api.attrition.models import RunStatus
from services.training_api.attrition.months import add_months
from services.training_api.clients.points_analytics import PointsHistoryClient
from services.training_api.reports.period import local_midnight
from services.training_api.workers import in_worker

log = structlog.get_logger("jifen.attrition")
HISTORY_MONTHS = 36  # snapshots of at most the last three years are learned from
LOOKBACK_DAYS = 200  # what the first snapshot's indicators look back on
STALE_AFTER = timedelta(minutes=2)  # a running run without heartbeat this long died


def run_out(run: Any, *, now: datetime | None = None) -> schemas.RiskRun:
    status = run.status
    if status == RunStatus.RUNNING and run.heartbeat_at < (now or datetime.now(UTC)) - STALE_AFTER:
        status = RunStatus.FAILED
    return schemas.RiskRun(
        id=run.id, status=status, phase=run.phase, progress=run.progress,
        horizon_months=run.horizon_months, as_of=run.as_of, method=run.method,
        requested_by=run.requested_by, started_at=run.started_at, finished_at=run.finished_at,
        error=run.error if status == RunStatus.FAILED else None,
        model_card=run.card if status == RunStatus.DONE else None)


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
                await repo.update_run(session, run_id, status=RunStatus.FAILED,
                                      error=str(exc)[:2000], finished_at=datetime.now(UTC))
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
        settings, maker = app.state.settings, app.state.sessionmaker
        async with maker() as session:
            run = await repo.get_run(session, run_id)
            assert run is not None
            horizon, as_of = run.horizon_months, run.as_of
        await self._progress(maker, run_id, "读取培训、调查、计划与积分历史", 10)
        first = add_months(as_of, -HISTORY_MONTHS)
        raw = await self._history(app, first - timedelta(days=LOOKBACK_DAYS), as_of)
        await self._progress(maker, run_id, "计算每月指标、验证模型并排名", 40)
        result = await in_worker(
            "attrition", rank, raw, horizon=horizon, as_of=as_of, floor=first,
            min_train_leavers=settings.attrition_min_train_leavers,
            min_holdout_leavers=settings.attrition_min_holdout_leavers,
            share=settings.attrition_high_risk_share)
        await self._progress(maker, run_id, "保存排名与原因", 90)
        async with maker() as session, session.begin():
            await repo.insert_scores(session, [{**row, "run_id": run_id}
                                               for row in result["rows"]])
            await repo.update_run(session, run_id, status=RunStatus.DONE, progress=100,
                                  phase="完成", method=result["method"], card=result["card"],
                                  finished_at=datetime.now(UTC))

    async def _history(self, app: FastAPI, since: date,
                       as_of: date) -> dict[str, builtins.list[tuple[Any, ...]]]:
        """The rows the indicators are computed from (see ranking.COLUMNS)."""
        tz: tzinfo = app.state.settings.tz
        start = local_midnight(since, tz)
        async with app.state.sessionmaker() as session:
            await repo.give_memory(session)
            raw = {"employees": await repo.employees(session),
                   "records": await repo.records(session, since=start, tz=str(tz)),
                   "answers": await repo.answers(session, since=start, tz=str(tz)),
                   "plan_items": await repo.plan_items(session, since=since, tz=tz)}
        client = PointsHistoryClient(app.state.peers["points"])
        months = await client.monthly_points(f"{since:%Y-%m}", f"{as_of:%Y-%m}")
        raw["points"] = [(m.employee_no, month, p) for m in months
                         for month, p in m.months.items()]
        raw["milestones"] = [(m.employee_no, day) for m in months for day in m.milestones]
        return raw


def rank(raw: dict[str, list[tuple[Any, ...]]], **kwargs: Any) -> dict[str, Any]:
    """In the worker process: the numeric libraries are imported there, not here."""
    from services.training_api.attrition.ranking import rank as compute

    return compute(raw, **kwargs)


risk_runs = RiskRunService()

