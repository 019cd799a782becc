"""Early warning on disengagement and attrition (人才流失预警): risk runs, the report
with reasons and the model card, its audit trail and the weekly digests."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Query, Request, Response, status

from services.training_api.attrition import schemas
from services.training_api.attrition.errors import NotScored, RunInProgress, RunNotFound
from services.training_api.attrition.report import risk_report, table
from services.training_api.attrition.service import risk_runs
from services.training_api.org.errors import DepartmentNotFound
from services.training_api.reports.errors import DepartmentRequired, NotYourDepartment
from services.training_api.reports.params import DepartmentScope, ReportReader
from shared.auth import AuditReader, HRAdmin
from shared.db import DBSession
from shared.errors import BadCursor, problems
from shared.export import CSV_RESPONSE, Format, csv_response, wants_csv
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    datetime_key,
    decode_id_cursor,
    decode_keyset,
    encode_cursor,
)
from shared.routing import APIRouter

router = APIRouter(prefix="/training/v1", tags=["early warning"])
RunPath = Annotated[uuid.UUID, Path(description="Risk run id")]
LevelQuery = Annotated[schemas.RiskLevel | None, Query(
    description="Only this risk level: high (the top 10% by risk), medium, low")]


@router.post("/attrition-risk/runs", response_model=schemas.RiskRun,
             status_code=status.HTTP_202_ACCEPTED, operation_id="start_attrition_run",
             summary="Compute everyone's attrition risk now", responses=problems(RunInProgress))
async def start_attrition_run(body: schemas.RiskRunCreate, request: Request, response: Response,
                              principal: HRAdmin) -> schemas.RiskRun:
    """HR only. Starts a risk run at once (the weekly job starts one by itself): monthly
    indicators for every employee from the plant's history, the model trained on its
    own leavers and validated on a later period against the rule "no training in 60
    days" (or, with too few leavers to validate, the engagement-drop rules), then today's
    ranking with reasons. Answers 202 with the run (``Location`` says where); poll it
    until ``status`` is ``done``. One run at a time: 409 ``attrition-run-in-progress``."""
    run = await risk_runs.start(request.app, horizon=body.horizon_months, actor=principal.sub)
    response.headers["Location"] = f"/training/v1/attrition-risk/runs/{run.id}"
    return run


@router.get("/attrition-risk/runs", response_model=Page[schemas.RiskRun],
            operation_id="list_attrition_runs", summary="Risk runs, newest first",
            responses=problems(BadCursor))
async def list_attrition_runs(session: DBSession, _: AuditReader, limit: Limit = 20,
                              cursor: Cursor = None) -> Page[schemas.RiskRun]:
    """HR and auditors: every run with its status and, once done, its model card."""
    after = decode_keyset(cursor, datetime_key)
    before = after[0] if after else None
    items, last = await risk_runs.list(session, before=before, limit=limit)
    return Page(items=items, next_cursor=encode_cursor([last.isoformat()]) if last else None)


@router.get("/attrition-risk/runs/{run_id}", response_model=schemas.RiskRun,
            operation_id="get_attrition_run", summary="A risk run's progress and model card",
            responses=problems(RunNotFound))
async def get_attrition_run(run_id: RunPath, session: DBSession,
                            _: AuditReader) -> schemas.RiskRun:
    """While ``running``: ``phase`` and ``progress``. When ``done``: ``method`` and the
    ``model_card``. ``failed`` carries ``error``."""
    return await risk_runs.get(session, run_id)


@router.get("/reports/attrition-risk", response_model=schemas.RiskReport,
            operation_id="report_attrition_risk",
            summary="Employees ranked by attrition risk, with reasons",
            responses={**CSV_RESPONSE, **problems(NotScored, BadCursor, DepartmentRequired,
                                                  NotYourDepartment, DepartmentNotFound)})
async def report_attrition_risk(request: Request, session: DBSession, scope: DepartmentScope,
                                principal: ReportReader, level: LevelQuery = None,
                                limit: Limit = 50, cursor: Cursor = None,
                                format: Format = None) -> schemas.RiskReport | Response:  # noqa: A002
    """The latest finished run: active employees of the scope (sub-departments included)
    from the highest risk down, each with the top reasons (each indicator's
    contribution, in Chinese), and the run with its model card (training window,
    features, validation figures against the transparent rule, date). HR and auditors
    read any department, a manager only their own; employees never (403). Every read,
    JSON or CSV, is recorded with its reader. 409 ``attrition-not-scored`` before the
    first run has finished. Paginated; the CSV holds every row."""
    csv = wants_csv(request, format)
    report = await risk_report.report(
        session, scope=scope, principal=principal, level=level,
        cursor=None if csv else cursor, limit=None if csv else limit,
        fmt="csv" if csv else "json", request_id=getattr(request.state, "request_id", None))
    return csv_response(table(report)) if csv else report


@router.get("/reports/attrition-risk/reads", response_model=Page[schemas.ReportRead],
            operation_id="list_attrition_report_reads",
            summary="Who read the attrition-risk report", responses=problems(BadCursor))
async def list_attrition_report_reads(session: DBSession, _: AuditReader, limit: Limit = 50,
                                      cursor: Cursor = None) -> Page[schemas.ReportRead]:
    """HR and auditors: every read of the report, newest first, with the reader (token
    subject and roles), the department and level asked for, the format, how many
    employees it showed and the request id."""
    items, last = await risk_report.reads(session, before_id=decode_id_cursor(cursor),
                                          limit=limit)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)


@router.get("/attrition-risk/digests", response_model=Page[schemas.Digest],
            operation_id="list_attrition_digests",
            summary="The weekly digests sent to managers", responses=problems(BadCursor))
async def list_attrition_digests(session: DBSession, _: AuditReader, limit: Limit = 50,
                                 cursor: Cursor = None) -> Page[schemas.Digest]:
    """HR and auditors: per department and ISO week, its high-risk employees, the new
    ones its managers were told of, and those managers."""
    items, last = await risk_report.digests(session, before_id=decode_id_cursor(cursor),
                                            limit=limit)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)
