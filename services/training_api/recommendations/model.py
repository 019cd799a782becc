"""The model job: rebuilds the colleague signals (per-role achiever shares and
popularity, item-to-item neighbours) from every standing completion, on a
schedule and on HR's request. Per-employee facts (levels, completions,
dismissals, plans, the catalogue) are read live on each request, so only what
colleagues did is as old as the last build."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime

import structlog
from fastapi import FastAPI
from sqlalchemy import delete, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.recommendations import repository as repo
from services.training_api.recommendations.models import (
    RecommendationModelRun,
    RecommendationNeighbour,
    RecommendationRoleSignal,
)
from services.training_api.recommendations.signals import Member, neighbours, role_signals

log = structlog.get_logger("jifen.training.recommendations")

MEMBERS = text("""
SELECT e.employee_no, r.code,
       NOT EXISTS (
         SELECT 1 FROM job_role_skill jrs JOIN skill s ON s.id = jrs.skill_id
         WHERE jrs.job_role_id = e.job_role_id
           AND COALESCE((SELECT max(es.level) FROM employee_skill es
                         WHERE es.employee_no = e.employee_no AND es.skill_code = s.code), 0)
               < jrs.level) AS achiever
FROM employee e JOIN job_role r ON r.id = e.job_role_id
WHERE e.status = 'active'
""")
COMPLETIONS = text("""
SELECT DISTINCT f.employee_no, cc.course_code
FROM course_completion cc JOIN training_fact f ON f.id = cc.id
JOIN employee e ON e.employee_no = f.employee_no
WHERE f.voided_at IS NULL AND e.status = 'active'
""")


async def build(session: AsyncSession) -> RecommendationModelRun | None:
    """Rebuild in the caller's transaction; None when another replica is building."""
    if not await repo.try_model_lock(session):
        return None
    run = RecommendationModelRun(started_at=datetime.now(UTC), status="running")
    members = [Member(no, role, bool(ok)) for no, role, ok in
               (await session.execute(MEMBERS)).all()]
    done: dict[str, list[str]] = defaultdict(list)
    rows = 0
    for no, code in (await session.execute(COMPLETIONS)).all():
        done[no].append(code)
        rows += 1
    similar = await asyncio.to_thread(neighbours, done)
    signals = await asyncio.to_thread(role_signals, members, done, {})
    await session.execute(delete(RecommendationRoleSignal))
    await session.execute(delete(RecommendationNeighbour))
    if signals:
        await session.execute(insert(RecommendationRoleSignal), [
            {"job_role_code": role, "members": sum(1 for m in members if m.job_role == role),
             "achievers": s.achievers, "achiever_share": dict(s.achiever_share),
             "popularity": dict(s.popularity)} for role, s in signals.items()])
    if similar:
        await session.execute(insert(RecommendationNeighbour), [
            {"course_code": c, "neighbours": n} for c, n in similar.items()])
    run.status, run.finished_at = "ready", datetime.now(UTC)
    run.employees, run.completions = len(members), rows
    session.add(run)
    await session.flush()
    return run


async def refresh(app: FastAPI) -> None:
    """The scheduled build (``TRAINING_RECOMMENDATION_REFRESH_SECONDS``)."""
    async with app.state.sessionmaker() as session, session.begin():
        run = await build(session)
    if run is not None:
        log.info("recommendation_model_built", employees=run.employees,
                 completions=run.completions,
                 seconds=round((run.finished_at - run.started_at).total_seconds(), 2))


_RUNNING: set[asyncio.Task[None]] = set()


def refresh_soon(app: FastAPI) -> None:
    """Start a build in the background (HR's refresh); the task is kept referenced
    until it ends."""
    task = asyncio.create_task(refresh(app), name="recommendation_model_refresh")
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
