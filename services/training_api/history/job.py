"""The history import job (shared/jobs.py runs it, on any replica, resumed after a
crash). Its phases:

reading          the stored file is parsed off the event loop; rows the parser
                 rejects are saved once
importing        chunks of rows in date order, each in one transaction with its
                 checkpoint (rows done, counts, the outbox rows it queued); new
                 legacy ids become facts, changed ones have their fact voided
awaiting_voids   until points_api has applied what was queued (the reversals)
replacing        the changed records' new facts, scored without the old ones
opening          opening balances that differ from what was posted are posted
                 (the difference, as an event to points_api), a chunk at a time
awaiting_points  until points_api has applied every event the import queued
reconciling      the report per employee and category, stored with the import

A job taken over after a crash parses the file again (the same rows, in the same
order) and goes on after the last committed checkpoint; legacy ids make a chunk
that is done again change nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.clients.points import PointsClient
from services.training_api.db import kit_tables
from services.training_api.employees.importing import ImportFileError
from services.training_api.history import reconciliation
from services.training_api.history import repository as repo
from services.training_api.history.applying import (
    Catalogue,
    ImportContext,
    apply_chunk,
    replace_pending,
)
from services.training_api.history.parsing import (
    HistoryRow,
    ParsedHistory,
    RowError,
    parse_history_file,
)
from shared.contracts.history import OPENING_BALANCE, OpeningBalanceChanged
from shared.jobs import Job, JobFailed
from shared.outbox import enqueue, pending

CHUNK_ROWS = 500
OPENING_CHUNK = 500
WAIT_POLL_SECONDS = 1.0
# how far each phase takes the job's percentage
PHASE_SPAN = {"reading": (0, 5), "importing": (5, 60), "awaiting_voids": (60, 65),
              "replacing": (65, 70), "opening": (70, 72), "awaiting_points": (72, 97),
              "reconciling": (97, 100)}


def _context(job: Job) -> ImportContext:
    cut_over = job.params.get("cut_over_on")
    return ImportContext(job_id=job.id, mode=job.params["mode"], importer=job.created_by,
                         dry_run=bool(job.params.get("dry_run")),
                         cut_over=date.fromisoformat(cut_over) if cut_over else None)


async def run_history_import(job: Job) -> dict[str, Any]:
    ctx = _context(job)
    parsed = await _read(job)
    await _import(job, ctx, parsed.rows)
    if not ctx.dry_run:
        await _await_points(job, "awaiting_voids", then="replacing")
        await _replace(job, ctx, parsed.rows)
        await _post_openings(job, ctx)
        await _await_points(job, "awaiting_points", then="reconciling")
    return await _reconcile(job, ctx, parsed)


async def _read(job: Job) -> ParsedHistory:
    settings = job.extra["settings"]
    try:
        parsed = await asyncio.to_thread(
            parse_history_file, await job.input(), job.params.get("filename") or "upload",
            tz=settings.tz, today=date.fromisoformat(job.params["today"]))
    except ImportFileError as exc:
        raise JobFailed(f"the file cannot be read: {exc}") from exc
    if job.progress.get("phase") in (None, "queued", "reading"):
        async with job.sessionmaker() as session, session.begin():
            await repo.add_rejections(session, _rejection_rows(job, parsed.errors))
            await job.checkpoint(
                session, phase="importing", rows_total=len(parsed.rows), rows_done=0,
                encoding=parsed.encoding, has_points=parsed.has_points,
                ignored_columns=parsed.ignored_columns,
                counts={"rows_read": parsed.total_rows,
                        "rejected": len({e.line for e in parsed.errors})})
    return parsed


def _rejection_rows(job: Job, errors: list[RowError]) -> list[dict[str, Any]]:
    return [{"import_id": job.id, "line": e.line, "legacy_id": e.legacy_id,
             "employee_no": e.employee_no, "reason": e.reason} for e in errors]


async def _import(job: Job, ctx: ImportContext, rows: list[HistoryRow]) -> None:
    if job.progress["phase"] != "importing":
        return
    async with job.sessionmaker() as session:
        catalogue = await Catalogue.load(session)
    done = job.progress.get("rows_done", 0)
    while done < len(rows):
        started = time.monotonic()
        chunk = rows[done:done + CHUNK_ROWS]
        async with job.sessionmaker() as session, session.begin():
            result = await apply_chunk(session, chunk, ctx=ctx, catalogue=catalogue)
            await repo.add_rejections(session, _rejection_rows(job, result.rejected))
            done += len(chunk)
            counts = Counter(job.progress.get("counts", {}))
            counts.update(result.counts)
            seconds = job.progress.get("import_seconds", 0.0) + time.monotonic() - started
            await job.checkpoint(session, rows_done=done, counts=dict(counts),
                                 import_seconds=round(seconds, 3), **_events(job, session))
    async with job.sessionmaker() as session, session.begin():
        await job.checkpoint(session, phase="reconciling" if ctx.dry_run else "awaiting_voids")


async def _replace(job: Job, ctx: ImportContext, rows: list[HistoryRow]) -> None:
    """The new facts of changed records, now that their old ones are reversed."""
    if job.progress["phase"] != "replacing":
        return
    by_id = {r.legacy_id: r for r in rows}
    async with job.sessionmaker() as session:
        catalogue = await Catalogue.load(session)
    while True:
        async with job.sessionmaker() as session, session.begin():
            result = await replace_pending(session, by_id, ctx=ctx, catalogue=catalogue,
                                           limit=CHUNK_ROWS)
            replaced = result.counts["replaced"]
            await job.checkpoint(session, **_events(job, session),
                                 replaced=job.progress.get("replaced", 0) + replaced,
                                 **({} if replaced else {"phase": "opening"}))
        if not replaced:
            return


def _events(job: Job, session: AsyncSession) -> dict[str, Any]:
    """The checkpoint's record of the outbox rows queued so far (with the rows this
    transaction queued): their count and range."""
    queued = [event.row_id for event in pending(session)]
    if not queued:
        return {}
    first = job.progress.get("first_event_id")
    last = job.progress.get("last_event_id")
    return {"events_total": job.progress.get("events_total", 0) + len(queued),
            "first_event_id": min(queued) if first is None else min(first, *queued),
            "last_event_id": max(queued) if last is None else max(last, *queued)}


async def _post_openings(job: Job, ctx: ImportContext) -> None:
    """Post every opening balance that differs from what was posted, as the change."""
    if job.progress["phase"] != "opening":
        return
    tz = job.extra["settings"].tz
    while True:
        async with job.sessionmaker() as session, session.begin():
            differences = await repo.opening_differences(session, OPENING_CHUNK)
            for employee_no, category, target, posted, posted_cut_over in differences:
                cut_over = ctx.cut_over or date.fromisoformat(posted_cut_over or job.params[
                    "today"])
                await _opening_event(session, job, employee_no=employee_no,
                                     category=category, target=int(target),
                                     posted=int(posted), cut_over=cut_over, tz=tz)
            await job.checkpoint(session, **_events(job, session),
                                 **({} if differences else {"phase": "awaiting_points"}))
        if not differences:
            return


async def _opening_event(session: AsyncSession, job: Job, *, employee_no: str, category: str,
                         target: int, posted: int, cut_over: date, tz: Any) -> None:
    end_of_day = datetime.combine(cut_over + timedelta(days=1), datetime.min.time(),
                                  tzinfo=tz) - timedelta(seconds=1)
    change = OpeningBalanceChanged(
        employee_no=employee_no, category=category, points=target - posted, balance=target,
        cut_over_on=cut_over, occurred_at=end_of_day, import_id=job.id)
    await repo.set_opening(session, employee_no=employee_no, category=category, points=target,
                           cut_over_on=cut_over.isoformat())
    await enqueue(session, kit_tables.outbox, event_type=OPENING_BALANCE,
                  payload=change.model_dump(mode="json"), destinations=["points"],
                  occurred_at=end_of_day)


async def _await_points(job: Job, phase: str, *, then: str) -> None:
    """Until points_api applied (or dead-lettered) every event the import queued."""
    if job.progress["phase"] != phase:
        return
    first, last = job.progress.get("first_event_id"), job.progress.get("last_event_id")
    total = job.progress.get("events_total", 0)
    while first is not None and last is not None:  # both set when the import queued any
        async with job.sessionmaker() as session:
            pending, dead = await repo.events_pending(session, first, last)
        await job.report(events_delivered=max(total - pending - dead, 0), events_dead=dead)
        if pending == 0:
            break
        await asyncio.sleep(WAIT_POLL_SECONDS)
    await job.report(phase=then)


async def _reconcile(job: Job, ctx: ImportContext, parsed: ParsedHistory) -> dict[str, Any]:
    async with job.sessionmaker() as session:
        rejected_lines = {r.line for r in await repo.rejected_rows(
            session, job.id, after=None, limit=None)}
    rows = [r for r in parsed.rows if r.line not in rejected_lines]
    points = None if ctx.dry_run else PointsClient(job.extra["peers"]["points"])
    tallies = await reconciliation.tally(job.sessionmaker, points, rows, mode=ctx.mode)
    sides = reconciliation.Sides(legacy=parsed.has_points, jifen=not ctx.dry_run)
    totals = reconciliation.totals(tallies, sides)
    async with job.sessionmaker() as session, session.begin():
        await repo.add_reconciliation(session, reconciliation.store_rows(job.id, tallies,
                                                                         sides))
        await repo.clear_input(session, job.id)
        await job.checkpoint(session, phase="done")
    seconds = job.progress.get("import_seconds") or 0
    return {"counts": job.progress.get("counts", {}), "totals": totals,
            "employees": len(tallies), "events_dead": job.progress.get("events_dead", 0),
            "rows_per_second": round(len(parsed.rows) / seconds, 1) if seconds else None,
            "finished_at": datetime.now(UTC).isoformat()}
