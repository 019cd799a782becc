"""History imports as the API offers them: starting one (a job), its status with
progress, its rejected rows and its reconciliation report."""

from __future__ import annotations

import builtins
import uuid
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.db import jobs
from services.training_api.employees.importing import ImportFileError
from services.training_api.employees.uploads import parse_upload
from services.training_api.history import repository as repo
from services.training_api.history.errors import (
    HistoryImportNotFound,
    HistoryImportOptions,
    HistoryReportNotReady,
)
from services.training_api.history.job import PHASE_SPAN
from services.training_api.history.parsing import read_header
from services.training_api.history.schemas import (
    CategoryTotals,
    Counts,
    EmployeeReconciliation,
    HistoryImport,
    Progress,
    RejectedRecord,
    Report,
    Totals,
)
from shared.errors import FieldError
from shared.jobs import FINISHED, JobStatus, enqueue_job
from shared.pagination import (
    datetime_key,
    decode_keyset,
    encode_cursor,
    int_key,
    text_key,
    uuid_key,
)

BASE = "/training/v1/history-imports"


def _check_options(mode: str, cut_over_on: date | None, *, today: date) -> None:
    if mode == "opening" and cut_over_on is None:
        raise HistoryImportOptions("Opening balances are as of a cut-over date", errors=[
            FieldError(pointer="#/cut_over", detail="required with mode=opening")])
    if mode == "replay" and cut_over_on is not None:
        raise HistoryImportOptions("A replay earns points at each record's date; it has no "
                                   "cut-over date", errors=[
            FieldError(pointer="#/cut_over", detail="only with mode=opening")])
    if cut_over_on is not None and cut_over_on > today:
        raise HistoryImportOptions("The cut-over date lies in the future", errors=[
            FieldError(pointer="#/cut_over", detail="must be today or earlier")])


def _header_problem(columns: Any, mode: str) -> str | None:
    if mode == "opening" and "points" not in columns:
        return ("opening balances are the legacy points of the records: the file needs a "
                "points column (积分, points)")
    return None


def _progress(row: Any) -> Progress:
    p = row["progress"] or {}
    phase = p.get("phase") or "queued"
    if row["status"] in FINISHED:
        phase = row["status"]
    low, high = PHASE_SPAN.get(phase, (100, 100) if phase == "done" else (0, 0))
    share = 0.0
    if phase == "importing" and p.get("rows_total"):
        share = p.get("rows_done", 0) / p["rows_total"]
    elif phase == "awaiting_points" and p.get("events_total"):
        share = p.get("events_delivered", 0) / p["events_total"]
    seconds = p.get("import_seconds")
    return Progress(phase=phase, rows_total=p.get("rows_total"), rows_done=p.get("rows_done", 0),
                    events_total=p.get("events_total", 0),
                    events_delivered=p.get("events_delivered", 0),
                    percent=round(low + (high - low) * share, 1),
                    rows_per_second=round(p.get("rows_done", 0) / seconds, 1)
                    if seconds else None)


def _out(row: Any) -> HistoryImport:
    p, params, result = row["progress"] or {}, row["params"], row["result"] or {}
    link = f"{BASE}/{row['id']}"
    seconds = None
    if row["finished_at"] and row["started_at"]:
        seconds = round((row["finished_at"] - row["started_at"]).total_seconds(), 1)
    return HistoryImport(
        id=row["id"], status=row["status"], mode=params["mode"],
        cut_over_on=params.get("cut_over_on"), dry_run=bool(params.get("dry_run")),
        filename=row["input_name"], encoding=p.get("encoding"), has_points=p.get("has_points"),
        ignored_columns=p.get("ignored_columns", []), created_by=row["created_by"],
        created_at=row["created_at"], started_at=row["started_at"],
        finished_at=row["finished_at"], progress=_progress(row),
        counts=_counts(p), totals=Totals(**result["totals"]) if "totals" in result else None,
        seconds=seconds, error=row["error"],
        links={"status": link, "rejected_rows": f"{link}/rejected-rows",
               "report": f"{link}/report", "report_csv": f"{link}/report?format=csv"})


def _counts(progress: dict[str, Any]) -> Counts:
    counts = dict(progress.get("counts") or {})
    imported = sum(counts.get(k, 0) for k in ("created", "updated", "unchanged"))
    return Counts(imported=imported, **{k: v for k, v in counts.items()
                                        if k in Counts.model_fields})


class HistoryImportService:
    async def start(self, session: AsyncSession, *, content: bytes, filename: str, mode: str,
                    cut_over_on: date | None, dry_run: bool, actor: str,
                    tz: tzinfo, parse_seconds: float) -> HistoryImport:
        """Check the options (409 when they do not fit together) and the header (read in a
        child process within ``parse_seconds``, as every upload is: a workbook that
        expands too far is 413), store the file and queue the job. A file whose header
        cannot be read is a job that failed at once, with the reason as its error: the
        upload itself was well-formed, which is all the schema can say of a file's
        content."""
        today = datetime.now(tz).date()
        _check_options(mode, cut_over_on, today=today)
        try:
            problem = _header_problem(await parse_upload(read_header, content, filename,
                                                         seconds=parse_seconds), mode)
        except ImportFileError as exc:
            problem = str(exc)
        params = {"mode": mode, "dry_run": dry_run, "filename": filename,
                  "cut_over_on": cut_over_on.isoformat() if cut_over_on else None,
                  "today": today.isoformat()}
        job_id = await enqueue_job(session, jobs, kind=repo.JOB_KIND, params=params,
                                   created_by=actor, input_bytes=content, input_name=filename)
        if problem is not None:
            await repo.fail_job(session, job_id, problem)
        return await self.get(session, job_id)

    async def get(self, session: AsyncSession, job_id: uuid.UUID) -> HistoryImport:
        row = await repo.get_job(session, job_id)
        if row is None:
            raise HistoryImportNotFound(f"No history import {job_id}")
        return _out(row)

    async def list(self, session: AsyncSession, *, cursor: str | None,
                   limit: int) -> tuple[list[HistoryImport], str | None]:
        after = decode_keyset(cursor, datetime_key, uuid_key)
        rows = await repo.list_jobs(session, after=after, limit=limit + 1)
        items = [_out(r) for r in rows[:limit]]
        last = rows[limit - 1] if len(rows) > limit else None
        return items, encode_cursor([last["created_at"].isoformat(), str(last["id"])]) \
            if last is not None else None

    async def rejected(self, session: AsyncSession, job_id: uuid.UUID, *, cursor: str | None,
                       limit: int | None) -> tuple[builtins.list[RejectedRecord], str | None]:
        await self.get(session, job_id)
        after = _line_cursor(cursor)
        rows = await repo.rejected_rows(session, job_id, after=after,
                                        limit=None if limit is None else limit + 1)
        page = rows if limit is None else rows[:limit]
        more = limit is not None and len(rows) > limit
        return ([RejectedRecord(line=r.line, legacy_id=r.legacy_id, employee_no=r.employee_no,
                             reason=r.reason) for r in page],
                encode_cursor([page[-1].line, page[-1].id]) if more else None)

    async def report(self, session: AsyncSession, job_id: uuid.UUID, *, cursor: str | None,
                     limit: int | None) -> Report:
        """The reconciliation, once the job is done (409 before)."""
        job = await self.get(session, job_id)
        if job.status != JobStatus.DONE or job.totals is None:
            raise HistoryReportNotReady(f"History import {job_id} is {job.status} "
                                        f"({job.progress.phase}); the report follows at its end")
        values = decode_keyset(cursor, text_key)
        after = values[0] if values else None
        rows = await repo.reconciliation(session, job_id, after=after,
                                         limit=None if limit is None else limit + 1)
        page = rows if limit is None else rows[:limit]
        more = limit is not None and len(rows) > limit
        return Report(id=job.id, mode=job.mode, dry_run=job.dry_run, counts=job.counts,
                      totals=job.totals,
                      employees_with_difference=await repo.count_differences(session, job_id),
                      items=[_employee(row, name) for row, name in page],
                      next_cursor=encode_cursor([page[-1][0].employee_no]) if more else None)


def _line_cursor(cursor: str | None) -> tuple[int, int] | None:
    return decode_keyset(cursor, int_key, int_key)


def _employee(row: Any, name: str | None) -> EmployeeReconciliation:
    difference = None
    if row.legacy_points is not None and row.jifen_points is not None:
        difference = row.jifen_points - row.legacy_points
    return EmployeeReconciliation(
        employee_no=row.employee_no, name=name, records=row.records,
        legacy_points=row.legacy_points, jifen_points=row.jifen_points, difference=difference,
        by_category={c: CategoryTotals(**v) for c, v in row.by_category.items()})


history_imports = HistoryImportService()
