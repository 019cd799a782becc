"""The honours job running by itself: closes the month and the year whose
late-arrival window ended last, once they have points and no run after the window
closed them, and records streak qualification for streak rules published during
the current month. Safe on several replicas (the run's advisory lock and the check
for an earlier run under it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from services.points_api.config import Settings
from services.points_api.honours.service import SYSTEM, due_periods, honours
from services.points_api.incentives.service import streaks
from services.points_api.ledger.periods import month_key
from services.points_api.milestones.sweep import sweep_milestones
from shared.app import every


async def close_periods(app: FastAPI, *, now: datetime | None = None) -> None:
    """The month and the year whose late-arrival window ended last, unless a run after
    the window closed them already; ``now`` for tests."""
    settings = app.state.settings
    tz = settings.tz
    late = timedelta(days=settings.honours_late_arrival_days)
    for kind, label, window_end in due_periods(tz, late=late, now=now or datetime.now(UTC)):
        async with app.state.sessionmaker() as session, session.begin():
            await honours.run(session, kind=kind, label=label, dry_run=False, actor=SYSTEM,
                              tz=tz, closing_after=window_end)
    async with app.state.sessionmaker() as session, session.begin():
        await streaks.compute(session, month_key(datetime.now(UTC), tz), tz=tz, only_new=True)


def growth_jobs(settings: Settings) -> list[Callable[[FastAPI], Coroutine[Any, Any, None]]]:
    """The background jobs of growth: closing periods and the milestone sweep (a
    poll interval of 0 turns one off)."""
    jobs: list[tuple[float, Callable[[FastAPI], Awaitable[Any]]]] = [
        (settings.honours_poll_seconds, close_periods),
        (settings.milestone_sweep_seconds, sweep_milestones)]
    return [every(seconds, job) for seconds, job in jobs if seconds > 0]
