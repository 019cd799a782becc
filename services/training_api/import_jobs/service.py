"""Employee and KPI imports as jobs (shared/jobs.py). A file of more than
``IMPORT_SYNC_MAX_ROWS`` data rows, or any file sent with ``async=true``, is stored
and answered with 202 and a status URL instead of being written in the request,
which could then outlive the gateway's timeout. The job reads the file again, off
the event loop within the same budget, then checks and writes its rows in one
transaction, exactly as the request would have, and keeps the report the
synchronous answer carries. Its progress (rows written) is committed apart, so a
poller sees it move while the rows themselves appear all at once at the end.

A job whose replica dies is taken over by another once its lease runs out; the
transaction of the dead one was rolled back, so it starts again from the file. A
job whose rows were committed before the crash had its report committed with them,
and ends with that report."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.db import jobs
from services.training_api.employees.uploads import parse_upload
from services.training_api.import_jobs.errors import ImportJobNotFound
from services.training_api.import_jobs.schemas import ImportJobProgress
from shared.errors import ServiceError
from shared.jobs import FINISHED, Handler, Job, JobFailed, enqueue_job

Report = TypeVar("Report", bound=BaseModel)
_job = jobs
READING_PERCENT = 5.0  # of the bar, for reading the file; writing takes the rest


@dataclass(frozen=True)
class Writing:
    """What a job's write step is given besides the session and the parsed file."""

    dry_run: bool
    actor: str
    today: date
    progress: Callable[[int], Awaitable[None]]  # rows checked and written so far


@dataclass(frozen=True)
class ImportKind(Generic[Report]):
    """One kind of import that can run as a job: its job kind, where its jobs are
    read, how its file is parsed and how its rows are written (the same functions
    the synchronous import uses)."""

    kind: str
    base: str
    parse: Callable[[bytes, str], Any]
    write: Callable[[AsyncSession, Any, Writing], Awaitable[Report]]


def runs_as_job(*, asked: bool, rows: int, sync_max_rows: int) -> bool:
    return asked or rows > sync_max_rows


async def start(session: AsyncSession, kind: ImportKind[Any], *, content: bytes, filename: str,
                dry_run: bool, actor: str, today: date, rows_total: int) -> dict[str, Any]:
    """Store the file and queue its job (in the request's transaction); the job's
    fields as :func:`fields` makes them."""
    job_id = await enqueue_job(
        session, _job, kind=kind.kind, created_by=actor, input_bytes=content,
        input_name=filename, params={"dry_run": dry_run, "filename": filename,
                                     "today": today.isoformat(), "rows_total": rows_total})
    return await get(session, kind, job_id)


async def get(session: AsyncSession, kind: ImportKind[Any], job_id: uuid.UUID
              ) -> dict[str, Any]:
    row = (await session.execute(
        select(*[c for c in _job.c if c.name != "input"])
        .where(_job.c.id == job_id, _job.c.kind == kind.kind))).mappings().one_or_none()
    if row is None:
        raise ImportJobNotFound(f"No import job {job_id} here")
    return fields(row, kind)


def fields(row: Any, kind: ImportKind[Any]) -> dict[str, Any]:
    """The job as the API shows it; ``report`` once it is done."""
    result = row["result"] or {}
    return {"id": row["id"], "status": row["status"], "dry_run": bool(row["params"]["dry_run"]),
            "filename": row["input_name"], "created_by": row["created_by"],
            "created_at": row["created_at"], "started_at": row["started_at"],
            "finished_at": row["finished_at"], "progress": _progress(row),
            "error": row["error"], "report": result.get("report"),
            "links": {"status": f"{kind.base}/{row['id']}"}}


def _progress(row: Any) -> ImportJobProgress:
    p, status = row["progress"] or {}, row["status"]
    phase = status if status in FINISHED else p.get("phase") or "queued"
    total = p.get("rows_total", row["params"].get("rows_total"))
    done = p.get("rows_done", 0)
    percent = {"done": 100.0, "writing": READING_PERCENT}.get(phase, 0.0)
    if phase == "writing" and total:
        percent += (100 - READING_PERCENT) * done / total
    return ImportJobProgress(phase=phase, rows_total=total, rows_done=done,
                             percent=round(percent, 1))


def handler(kind: ImportKind[Any]) -> Handler:
    """The job function of ``kind`` for the service's JobRunner."""

    async def run_import(job: Job) -> dict[str, Any]:
        if "report" in job.progress:  # written and committed before a crash
            return {"report": job.progress["report"]}
        settings = job.extra["settings"]
        await job.report(phase="reading")
        try:
            parsed = await parse_upload(kind.parse, await job.input(), job.params["filename"],
                                        seconds=settings.import_parse_seconds)
        except ServiceError as exc:
            raise JobFailed(f"{exc.title}: {exc.detail}") from exc
        total = len(parsed.rows)
        await job.report(phase="writing", rows_total=total, rows_done=0)
        writing = Writing(dry_run=bool(job.params["dry_run"]), actor=job.created_by,
                          today=date.fromisoformat(job.params["today"]),
                          progress=lambda done: job.report(rows_done=done))
        async with job.sessionmaker() as session, session.begin():
            report = await kind.write(session, parsed, writing)
            body = report.model_dump(mode="json")
            await job.checkpoint(session, phase="done", rows_done=total, report=body)
            # the file was used up: names and numbers are not kept longer than needed
            await session.execute(update(_job).where(_job.c.id == job.id).values(input=None))
        return {"report": body}

    run_import.__name__ = f"run_{kind.kind}"
    return run_import
