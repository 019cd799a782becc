"""The model job: rebuilds the colleague signals (per-role achiever shares and
popularity, item-to-item neighbours) from every standing completion, on a
schedule and on HR's request. Per-employee facts (levels, completions,
dismissals, plans, the catalogue) are read live on each request, so only what
colleagues did is as old as the last build.

A build holds a session-level advisory lock on a connection of its own for its
whole length, so one replica builds at a time, and its run row says what it is
doing while it does it: the row is committed as ``running`` before the work
starts, its progress is committed after each phase, and it ends ``ready`` or
``failed`` with the error. A build whose process died leaves a ``running`` row and
no lock: the status reads it as failed, and the next build marks it so."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from fastapi import FastAPI
from sqlalchemy import delete, insert, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from services.training_api.recommendations.models import (
    ModelRunStatus,
    RecommendationModelRun,
    RecommendationNeighbour,
    RecommendationRoleSignal,
)
from services.training_api.recommendations.repository import LOCK_CLASS, LOCK_KEY
from services.training_api.recommendations.signals import Member, neighbours, role_signals

log = structlog.get_logger("jifen.training.recommendations")

INTERRUPTED = "interrupted: the process building it stopped before it finished"

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


@dataclass
class Build:
    """A build that holds the lock: its connection (kept until the end) and run row."""

    conn: AsyncConnection
    run_id: int

    async def step(self, progress: float, phase: str) -> None:
        """Commit how far the build is, for HR's status call."""
        await self.conn.execute(update(RecommendationModelRun)
                                .where(RecommendationModelRun.id == self.run_id)
                                .values(progress=progress, phase=phase))
        await self.conn.commit()


async def begin(engine: AsyncEngine) -> Build | None:
    """Take the lock and commit a ``running`` run row; None when another build (on any
    replica) holds the lock."""
    conn = await engine.connect()
    try:
        got = await conn.scalar(text("SELECT pg_try_advisory_lock(:cls, :key)"),
                                {"cls": LOCK_CLASS, "key": LOCK_KEY})
        if not got:
            await conn.close()
            return None
        now = datetime.now(UTC)
        await conn.execute(update(RecommendationModelRun)
                           .where(RecommendationModelRun.status == ModelRunStatus.RUNNING)
                           .values(status=ModelRunStatus.FAILED, finished_at=now,
                                   error=INTERRUPTED))
        run_id = (await conn.execute(insert(RecommendationModelRun).values(
            started_at=now, status=ModelRunStatus.RUNNING, progress=0.0, phase="starting"
        ).returning(RecommendationModelRun.id))).scalar_one()
        await conn.commit()
        return Build(conn, int(run_id))
    except BaseException:
        await conn.close()
        raise


async def complete(build: Build, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Do the build's work; the run ends ``ready`` or ``failed`` (with the error), and
    the lock is released either way."""
    try:
        try:
            employees, completions = await _work(build, sessionmaker)
        except Exception as exc:
            await build.conn.rollback()
            await build.conn.execute(update(RecommendationModelRun)
                                     .where(RecommendationModelRun.id == build.run_id)
                                     .values(status=ModelRunStatus.FAILED,
                                             finished_at=datetime.now(UTC),
                                             error=f"{type(exc).__name__}: {exc}"[:2000]))
            await build.conn.commit()
            raise
        await build.conn.execute(update(RecommendationModelRun)
                                 .where(RecommendationModelRun.id == build.run_id)
                                 .values(status=ModelRunStatus.READY, finished_at=datetime.now(UTC),
                                         employees=employees, completions=completions,
                                         progress=1.0, phase="done"))
        await build.conn.commit()
    finally:
        try:
            await build.conn.execute(text("SELECT pg_advisory_unlock(:cls, :key)"),
                                     {"cls": LOCK_CLASS, "key": LOCK_KEY})
            await build.conn.commit()
        except Exception:
            # never hand a connection that may still hold the lock back to the pool
            await build.conn.invalidate()
            raise
        finally:
            await build.conn.close()


async def _work(build: Build, sessionmaker: async_sessionmaker[AsyncSession]
                ) -> tuple[int, int]:
    await build.step(0.05, "reading completions")
    async with sessionmaker() as session:
        members = [Member(no, role, bool(ok)) for no, role, ok in
                   (await session.execute(MEMBERS)).all()]
        done: dict[str, list[str]] = defaultdict(list)
        rows = 0
        for no, code in (await session.execute(COMPLETIONS)).all():
            done[no].append(code)
            rows += 1
    await build.step(0.4, "item-to-item model")
    similar = await asyncio.to_thread(neighbours, done)
    await build.step(0.7, "role signals")
    signals = await asyncio.to_thread(role_signals, members, done, {})
    await build.step(0.85, "saving")
    async with sessionmaker() as session, session.begin():
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
    return len(members), rows


async def refresh(app: FastAPI) -> None:
    """The scheduled build (``TRAINING_RECOMMENDATION_REFRESH_SECONDS``); nothing when
    another replica is building."""
    build = await begin(app.state.engine)
    if build is None:
        return
    started = datetime.now(UTC)
    await complete(build, app.state.sessionmaker)
    log.info("recommendation_model_built", run_id=build.run_id,
             seconds=round((datetime.now(UTC) - started).total_seconds(), 2))


_RUNNING: set[asyncio.Task[None]] = set()


async def start(app: FastAPI) -> bool:
    """HR's refresh: commit a running build and finish it in the background (the task
    is kept referenced until it ends). False when a build is running already."""
    build = await begin(app.state.engine)
    if build is None:
        return False

    async def finish() -> None:
        try:
            await complete(build, app.state.sessionmaker)
        except Exception as exc:  # the run row holds the error
            log.warning("recommendation_model_failed", run_id=build.run_id, error=repr(exc))

    task = asyncio.create_task(finish(), name="recommendation_model_refresh")
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return True
