"""Durable background jobs: work too long for one request (a 100,000-row import)
that a request starts with ``202 Accepted`` and a status URL, that any replica may
run, and that resumes after a crash.

A job is a row of the service's ``job`` table (:func:`job_table`) with its kind,
parameters, input (the uploaded file) and progress. Every replica runs a
:class:`JobRunner`; it claims a due job with ``FOR UPDATE SKIP LOCKED`` and a lease
(``locked_until``, ``lease_id``) that a heartbeat extends while the handler runs. A
replica that dies stops extending its lease, and another one takes the job over
once it has run out. The handler saves its progress with :meth:`Job.checkpoint`
in the same transaction as the work it describes, so a taken-over job resumes
where the last one committed; a checkpoint under a lease that was lost raises
:class:`LeaseLost` and the work of that transaction is rolled back, so two runners
never both commit work for one job.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import after_commit, rowcount
from shared.retry import PollingLoop

log = structlog.get_logger("jifen.jobs")

class JobStatus(StrEnum):
    """queued until a replica takes the job; running while it holds the lease (a job
    whose lease ran out is taken again); done with its result, or failed with an error."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


JOB_STATUSES = tuple(status.value for status in JobStatus)
FINISHED = (JobStatus.DONE, JobStatus.FAILED)


def job_table(metadata: MetaData) -> Table:
    return Table(
        "job",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("kind", String(50), nullable=False),
        Column("status", String(10), nullable=False, server_default="queued"),
        Column("params", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("input", LargeBinary),
        Column("input_name", String(255)),
        Column("progress", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("result", JSONB),
        Column("error", Text),
        Column("created_by", String(200), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("started_at", DateTime(timezone=True)),
        Column("finished_at", DateTime(timezone=True)),
        Column("heartbeat_at", DateTime(timezone=True)),
        Column("locked_until", DateTime(timezone=True)),
        Column("lease_id", UUID(as_uuid=True)),
        Column("attempts", Integer, nullable=False, server_default="0"),
        CheckConstraint(f"status IN {JOB_STATUSES}", name="status_known"),
        Index("ix_job_due", "created_at",
              postgresql_where=text("status IN ('queued', 'running')")),
        Index("ix_job_kind_created", "kind", "created_at"),
    )


class LeaseLost(RuntimeError):
    """Another runner took the job over (this one stalled past its lease)."""


class JobFailed(Exception):
    """The job cannot be done (a file that cannot be read); the message says why and
    becomes the job's error as it is."""


@dataclass
class Job:
    """A claimed job, as its handler sees it."""

    id: uuid.UUID
    kind: str
    params: dict[str, Any]
    progress: dict[str, Any]
    created_by: str
    attempts: int
    lease_id: uuid.UUID
    table: Table
    sessionmaker: async_sessionmaker[AsyncSession]
    extra: dict[str, Any] = field(default_factory=dict)  # what the service hands its handlers

    async def input(self) -> bytes:
        async with self.sessionmaker() as session:
            data = (await session.execute(
                select(self.table.c.input).where(self.table.c.id == self.id))).scalar_one()
        return bytes(data or b"")

    async def checkpoint(self, session: AsyncSession, **progress: Any) -> None:
        """Merge ``progress`` into the job's progress in the caller's transaction;
        LeaseLost when this runner no longer holds the job."""
        self.progress.update(progress)
        t = self.table
        if not await rowcount(session, update(t).where(
                t.c.id == self.id, t.c.lease_id == self.lease_id)
                .values(progress=self.progress, heartbeat_at=func.now())):
            raise LeaseLost(f"job {self.id} was taken over by another runner")

    async def report(self, **progress: Any) -> None:
        """:meth:`checkpoint` in a transaction of its own (progress of work that
        writes nothing, such as waiting)."""
        async with self.sessionmaker() as session, session.begin():
            await self.checkpoint(session, **progress)


Handler = Callable[[Job], Coroutine[Any, Any, dict[str, Any]]]


async def enqueue_job(session: AsyncSession, table: Table, *, kind: str, params: dict[str, Any],
                      created_by: str, input_bytes: bytes | None = None,
                      input_name: str | None = None) -> uuid.UUID:
    """Add a job in the caller's transaction; the runner is woken once it commits."""
    job_id = uuid.uuid4()
    await session.execute(table.insert().values(
        id=job_id, kind=kind, params=params, created_by=created_by, input=input_bytes,
        input_name=input_name))
    after_commit(session, _wake_runner, [job_id])
    return job_id


# a transaction's info names the service's runner (shared.app), to wake after commit
RUNNER = "jifen.jobs.runner"


def _wake_runner(info: dict[str, Any], job_ids: list[uuid.UUID]) -> None:
    runner: JobRunner | None = info.get(RUNNER)
    if runner is not None:
        runner.wake()


class JobRunner(PollingLoop):
    def __init__(self, *, service: str, table: Table,
                 sessionmaker: async_sessionmaker[AsyncSession], handlers: dict[str, Handler],
                 poll_seconds: float = 1.0, lease_seconds: float = 60.0, max_attempts: int = 5,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(name=f"{service}-jobs", poll_seconds=poll_seconds)
        self.service, self.table, self.sessionmaker = service, table, sessionmaker
        self.handlers = handlers
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self.extra = extra or {}

    async def stop(self) -> None:
        await self.stop_loop()

    async def run_next(self) -> bool:
        """Claim and run one due job; False when none was due."""
        job = await self._claim()
        if job is None:
            return False
        if job.attempts > self.max_attempts:
            await self._finish(job, status=JobStatus.FAILED, error=(
                f"gave up after {self.max_attempts} attempts: the service stopped while "
                "running it each time"))
            return True
        await self._run(job)
        return True

    async def step(self) -> bool:
        return await self.run_next()

    async def _claim(self) -> Job | None:
        t = self.table
        due = (select(t.c.id)
               .where(or_(t.c.status == JobStatus.QUEUED,
                          (t.c.status == JobStatus.RUNNING) & (t.c.locked_until < func.now())),
                      t.c.kind.in_(list(self.handlers)))
               .order_by(t.c.created_at).limit(1).with_for_update(skip_locked=True)
               .scalar_subquery())
        lease_id = uuid.uuid4()
        async with self.sessionmaker() as session, session.begin():
            row = (await session.execute(
                update(t).where(t.c.id == due)
                .values(status=JobStatus.RUNNING, attempts=t.c.attempts + 1, lease_id=lease_id,
                        locked_until=func.now() + self.lease, heartbeat_at=func.now(),
                        started_at=func.coalesce(t.c.started_at, func.now()))
                .returning(t.c.id, t.c.kind, t.c.params, t.c.progress, t.c.created_by,
                           t.c.attempts))).mappings().first()
        if row is None:
            return None
        return Job(id=row["id"], kind=row["kind"], params=row["params"],
                   progress=dict(row["progress"] or {}), created_by=row["created_by"],
                   attempts=row["attempts"], lease_id=lease_id, table=t,
                   sessionmaker=self.sessionmaker, extra=self.extra)

    async def _run(self, job: Job) -> None:
        log.info("job_started", job_id=str(job.id), kind=job.kind, attempt=job.attempts)
        work = asyncio.create_task(self.handlers[job.kind](job))
        heartbeat = asyncio.create_task(self._heartbeat(job, work))
        try:
            result = await work
        except LeaseLost:
            log.warning("job_lease_lost", job_id=str(job.id))
            return
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                # the service is stopping: the lease runs out and another runner resumes
                work.cancel()
                raise
            log.warning("job_lease_lost", job_id=str(job.id))  # the heartbeat stopped it
            return
        except JobFailed as exc:
            log.info("job_failed", job_id=str(job.id), kind=job.kind, error=str(exc))
            await self._finish(job, status=JobStatus.FAILED, error=str(exc))
            return
        except Exception as exc:
            log.exception("job_failed", job_id=str(job.id), kind=job.kind)
            await self._finish(job, status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
            return
        finally:
            heartbeat.cancel()
        await self._finish(job, status=JobStatus.DONE, result=result)
        log.info("job_done", job_id=str(job.id), kind=job.kind)

    async def _heartbeat(self, job: Job, work: asyncio.Task[Any]) -> None:
        """Extend the lease while the handler runs; stop it when the lease was lost."""
        t = self.table
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                async with self.sessionmaker() as session, session.begin():
                    held = await rowcount(session, update(t).where(
                        t.c.id == job.id, t.c.lease_id == job.lease_id)
                        .values(locked_until=func.now() + self.lease, heartbeat_at=func.now()))
            except Exception as exc:  # the database is away: try again next beat
                log.warning("job_heartbeat_failed", job_id=str(job.id), error=repr(exc))
                continue
            if not held:
                work.cancel()
                return

    async def _finish(self, job: Job, *, status: JobStatus, result: dict[str, Any] | None = None,
                      error: str | None = None) -> None:
        t = self.table
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(t).where(t.c.id == job.id, t.c.lease_id == job.lease_id)
                .values(status=status, result=result, error=error, locked_until=None,
                        finished_at=datetime.now(UTC), heartbeat_at=func.now()))
