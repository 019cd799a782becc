"""History imports: years of training records from a legacy system, as a job."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request, Response, UploadFile, status

from services.training_api.dependencies import TrainingSettings
from services.training_api.employees.errors import ImportTooLarge
from services.training_api.history import csv_tables
from services.training_api.history.errors import (
    HistoryImportNotFound,
    HistoryImportOptions,
    HistoryReportNotReady,
)
from services.training_api.history.schemas import HistoryImport, Mode, RejectedRecord, Report
from services.training_api.history.service import history_imports
from shared.auth import OrgWriter, PrivilegedReader
from shared.contracts.fields import Day
from shared.db import DBSession
from shared.errors import problems
from shared.export import CSV_RESPONSE, Format, csv_response, wants_csv
from shared.pagination import Cursor, Limit, Page
from shared.routing import APIRouter

router = APIRouter(prefix="/training/v1", tags=["history-imports"])


@router.post(
    "/history-imports", response_model=HistoryImport, status_code=status.HTTP_202_ACCEPTED,
    operation_id="start_history_import", summary="Import training history from a legacy system",
    responses=problems(ImportTooLarge, HistoryImportOptions))
async def start_history_import(
    file: UploadFile, session: DBSession, principal: OrgWriter, settings: TrainingSettings,
    response: Response,
    mode: Annotated[Mode, Query(description=(
        "replay: every record becomes a training fact and earns points under the rule set "
        "in force at its date. opening: records are kept (reports, skills) but earn "
        "nothing; each employee's legacy points up to cut_over are posted as opening "
        "balances by category"))] = "replay",
    cut_over: Annotated[Day | None, Query(description=(
        "The cut-over date of opening balances (mode=opening only)"))] = None,
    dry_run: Annotated[bool, Query(description="Check and count only; write nothing")] = False,
) -> HistoryImport:
    """Upload legacy records as Excel exports them (CSV in UTF-8 or GB18030/GBK, or
    XLSX; English or Chinese headers; docs/history-import.md): course completions,
    exam scores, practical results and skill levels with their dates and legacy ids.
    Answers 202 with the job; poll ``links.status`` until ``status`` is ``done`` (or
    ``failed``), then read the report. Legacy ids make it idempotent: the same file
    again changes nothing, a corrected file replaces what changed (the replaced
    fact is voided and its points reversed by compensating entries)."""
    limit = settings.import_max_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise ImportTooLarge(f"The file exceeds {limit // (1024 * 1024)} MiB; split it into "
                             "several files (legacy ids keep them apart)")
    job = await history_imports.start(
        session, content=content, filename=file.filename or "upload", mode=mode,
        cut_over_on=cut_over, dry_run=dry_run, actor=principal.sub,
        tz=settings.tz, parse_seconds=settings.import_parse_seconds)
    response.headers["Location"] = job.links["status"]
    return job


@router.get("/history-imports", response_model=Page[HistoryImport],
            operation_id="list_history_imports", summary="List history imports")
async def list_history_imports(session: DBSession, _: PrivilegedReader, limit: Limit = 50,
                               cursor: Cursor = None) -> Page[HistoryImport]:
    """Newest first."""
    items, next_cursor = await history_imports.list(session, cursor=cursor, limit=limit)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/history-imports/{import_id}", response_model=HistoryImport,
            operation_id="get_history_import", summary="A history import and its progress",
            responses=problems(HistoryImportNotFound))
async def get_history_import(import_id: uuid.UUID, session: DBSession,
                             _: PrivilegedReader) -> HistoryImport:
    """Status, phase and progress (rows, events applied by points_api, percent, rows
    per second), counts so far, and when done the totals per category."""
    return await history_imports.get(session, import_id)


@router.get("/history-imports/{import_id}/rejected-rows", response_model=Page[RejectedRecord],
            operation_id="list_history_import_rejected_rows",
            summary="Rows a history import rejected",
            responses={**CSV_RESPONSE, **problems(HistoryImportNotFound)})
async def list_rejected_rows(import_id: uuid.UUID, session: DBSession, _: PrivilegedReader,
                             request: Request, limit: Limit = 50, cursor: Cursor = None,
                             format: Format = None) -> Page[RejectedRecord] | Response:  # noqa: A002
    """Every rejected row with its line in the file and the reason (a row with several
    problems has one item per problem), in file order as found; ``format=csv`` for
    all of them as one file."""
    if wants_csv(request, format):
        rows, _more = await history_imports.rejected(session, import_id, cursor=None,
                                                     limit=None)
        return csv_response(csv_tables.rejected(import_id, rows))
    items, next_cursor = await history_imports.rejected(session, import_id, cursor=cursor,
                                                        limit=limit)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/history-imports/{import_id}/report", response_model=Report,
            operation_id="get_history_import_report",
            summary="The reconciliation of a history import",
            responses={**CSV_RESPONSE, **problems(HistoryImportNotFound, HistoryReportNotReady)})
async def get_report(import_id: uuid.UUID, session: DBSession, _: PrivilegedReader,
                     request: Request, limit: Limit = 50, cursor: Cursor = None,
                     format: Format = None) -> Report | Response:  # noqa: A002
    """Rows read, imported and rejected; per employee (paginated) the legacy points
    against the points Jifen holds for the same records, by category; totals per
    category. ``format=csv``: every employee and the totals as one file (UTF-8 with
    BOM, for Excel). 409 ``history-report-not-ready`` until the import is done."""
    if wants_csv(request, format):
        report = await history_imports.report(session, import_id, cursor=None, limit=None)
        return csv_response(csv_tables.report(report))
    return await history_imports.report(session, import_id, cursor=cursor, limit=limit)
