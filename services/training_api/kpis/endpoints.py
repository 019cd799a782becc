"""Production KPIs per department and month (from the ERP or a file), pilot start
dates, and the report of KPIs beside training metrics before and after a pilot."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import (
    Path,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi.responses import JSONResponse

from services.training_api.dependencies import TrainingSettings
from services.training_api.employees.errors import ImportTooSlow
from services.training_api.import_jobs.errors import ImportJobNotFound
from services.training_api.kpis import csv_tables, schemas
from services.training_api.kpis.errors import (
    KpiFileTooLarge,
    KpiNotFound,
    PilotNotFound,
)
from services.training_api.kpis.service import kpi_report, kpis, pilots
from services.training_api.org.errors import DepartmentNotFound
from services.training_api.org.schemas import CODE_PATTERN
from services.training_api.reports.errors import (
    DepartmentRequired,
    InvalidPeriod,
    NotYourDepartment,
)
from services.training_api.reports.params import (
    DepartmentScope,
    Last12Months,
    ReportReader,
)
from services.training_api.reports.period import parse_month
from services.training_api.reports.scope import resolve_scope
from shared.auth import CurrentUser, HRAdmin, OrgWriter, PrivilegedReader
from shared.db import DBSession
from shared.dependencies import CompanyToday
from shared.errors import problems
from shared.export import CSV_RESPONSE, Format, csv_response, wants_csv
from shared.periods import MONTH_PATTERN
from shared.routing import APIRouter, created_or_ok, upsert_responses

router = APIRouter(prefix="/training/v1", tags=["production KPIs"])
DeptCode = Annotated[str, Path(pattern=CODE_PATTERN, description="Department code")]
MonthPath = Annotated[str, Path(pattern=MONTH_PATTERN, description="Month, YYYY-MM",
                                examples=["2026-03"])]
SCOPE_PROBLEMS = (DepartmentRequired, NotYourDepartment, DepartmentNotFound)


@router.put("/departments/{code}/kpis/{month}", response_model=schemas.Kpi,
            operation_id="upsert_department_kpis", summary="Post a department's monthly "
                                                          "production figures",
            responses=upsert_responses(schemas.Kpi, DepartmentNotFound))
async def upsert_department_kpis(code: DeptCode, month: MonthPath, body: schemas.KpiUpsert,
                                 session: DBSession, principal: OrgWriter,
                                 response: Response) -> schemas.Kpi:
    """The ERP (``integration``) or HR posts the month's defect rate, the share of defects
    caused by lacking skill and the efficiency, all in percent. Idempotent: the month's
    figures are replaced (201 the first time, 200 after)."""
    kpi, created = await kpis.upsert(session, code, parse_month(month), data=body,
                                     actor=principal.sub)
    created_or_ok(response, created)
    return kpi


@router.get("/departments/{code}/kpis/{month}", response_model=schemas.Kpi,
            operation_id="get_department_kpis", summary="A department's figures of a month",
            responses=problems(DepartmentNotFound, KpiNotFound))
async def get_department_kpis(code: DeptCode, month: MonthPath, session: DBSession,
                              principal: ReportReader) -> schemas.Kpi:
    """HR and auditors read any department, managers their departments."""
    await resolve_scope(session, principal, department=code, family=None, front_line=None)
    return await kpis.get(session, code, parse_month(month))


@router.get("/departments/{code}/kpis", response_model=list[schemas.Kpi],
            operation_id="list_department_kpis", summary="A department's monthly figures",
            responses=problems(DepartmentNotFound))
async def list_department_kpis(code: DeptCode, session: DBSession, principal: ReportReader,
                               first: Annotated[str | None, Query(
                                   alias="from", pattern=MONTH_PATTERN,
                                   description="First month, YYYY-MM")] = None,
                               last: Annotated[str | None, Query(
                                   alias="to", pattern=MONTH_PATTERN,
                                   description="Last month, YYYY-MM")] = None,
                               ) -> list[schemas.Kpi]:
    """The months with figures between ``from`` and ``to`` (YYYY-MM, both included;
    default all), oldest first. Same readers as one month."""
    await resolve_scope(session, principal, department=code, family=None, front_line=None)
    return await kpis.list(session, code, first=parse_month(first) if first else date(2000, 1, 1),
                           last=parse_month(last) if last else date(2100, 12, 1))


@router.post("/kpi-imports", response_model=schemas.KpiImportReport,
             operation_id="import_department_kpis", summary="Import monthly figures from a file",
             responses={202: {"model": schemas.KpiImportJob,
                              "description": "A large file (or async=true): queued as a job; "
                                             "poll links.status (also in Location)"},
                        **problems(KpiFileTooLarge, ImportTooSlow)})
async def import_department_kpis(
    file: UploadFile, session: DBSession, principal: OrgWriter, settings: TrainingSettings,
    today: CompanyToday,
    dry_run: Annotated[bool, Query(description="Validate and report only")] = False,
    as_job: Annotated[bool, Query(alias="async", description=(
        "Run as a job whatever the file's size: 202 and a status URL"))] = False,
) -> schemas.KpiImportReport | Response:
    """A CSV (UTF-8 with or without BOM, or GB18030/GBK) or XLSX with the columns
    部门编码 (department_code), 月份 (month: 2026-03, 2026/3, 2026年3月) and any of 次品率
    (defect_rate), 技能原因次品占比 (skill_defect_share), 生产效率 (efficiency), in percent
    (a trailing % is accepted). Valid rows replace the month's figures; every rejected
    row is reported with its line. HR and integrations.

    Up to ``IMPORT_SYNC_MAX_ROWS`` (10,000) data rows are written in the request
    (200 and the report); a larger file, or any file sent with ``async=true``, is
    answered with 202 and the job: poll ``links.status`` until it is ``done`` (with
    the same report) or ``failed``."""
    limit = settings.import_max_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise KpiFileTooLarge(f"The file exceeds {limit // (1024 * 1024)} MiB")
    outcome = await kpis.import_upload(
        session, content=content, filename=file.filename or "upload", dry_run=dry_run,
        as_job=as_job, actor=principal.sub, today=today, settings=settings)
    if isinstance(outcome, schemas.KpiImportJob):
        return JSONResponse(outcome.model_dump(mode="json"), status_code=202,
                            headers={"Location": outcome.links.status})
    return outcome


@router.get("/kpi-imports/{import_id}", response_model=schemas.KpiImportJob,
            operation_id="get_kpi_import", summary="A KPI import running as a job",
            responses=problems(ImportJobNotFound))
async def get_kpi_import(import_id: uuid.UUID, session: DBSession,
                         _: PrivilegedReader) -> schemas.KpiImportJob:
    """Status and progress of a KPI import answered with 202; once ``done`` its
    ``report``, once ``failed`` the ``error`` (nothing was written). HR, auditors and
    integrations."""
    return await kpis.import_job(session, import_id)


@router.put("/departments/{code}/pilot", response_model=schemas.Pilot,
            operation_id="upsert_department_pilot", summary="Start a department's pilot",
            responses=upsert_responses(schemas.Pilot, DepartmentNotFound))
async def upsert_department_pilot(code: DeptCode, body: schemas.PilotUpsert,
                                  session: DBSession, principal: HRAdmin,
                                  response: Response) -> schemas.Pilot:
    """HR records when the department's pilot (试点) started; the department becomes a
    pilot department (``is_pilot``, so pilot-only rules apply to it and its
    sub-departments) if it was not. The KPI report splits months before and after this
    date."""
    pilot, created = await pilots.upsert(session, code, data=body, actor=principal.sub)
    created_or_ok(response, created)
    return pilot


@router.get("/departments/{code}/pilot", response_model=schemas.Pilot,
            operation_id="get_department_pilot", summary="A department's pilot start",
            responses=problems(DepartmentNotFound, PilotNotFound))
async def get_department_pilot(code: DeptCode, session: DBSession,
                               _: CurrentUser) -> schemas.Pilot:
    """When the department's pilot started; anyone signed in."""
    return await pilots.get(session, code)


@router.get("/reports/production-kpis", response_model=schemas.KpiReport,
            operation_id="report_production_kpis",
            summary="Production KPIs beside training metrics, before and after a pilot",
            responses={**CSV_RESPONSE, **problems(InvalidPeriod, *SCOPE_PROBLEMS)},
            tags=["reports"])
async def report_production_kpis(
    request: Request, session: DBSession, scope: DepartmentScope, period: Last12Months,
    pilot_start: Annotated[date | None, Query(
        description="Split before/after on this day instead of the department's (or its "
                    "nearest ancestor's) pilot start")] = None,
    format: Format = None,  # noqa: A002
) -> schemas.KpiReport | Response:
    """For one department (required; a manager's own by default), per month of the
    period (default: the current month and the 11 before it): its defect rate, share of
    defects caused by skill and efficiency as posted, beside its subtree's participation
    rate, front-line participation rate and skill attainment at the month's end. Months
    from the pilot's start month on are ``after``, earlier ones ``before``; ``before``,
    ``after`` and ``change`` are means over those months. HR and auditors read any
    department, managers their departments."""
    if scope.department_code is None:
        raise DepartmentRequired("Name the department with ?department=")
    report = await kpi_report.report(session, scope=scope, period=period,
                                     pilot_start=pilot_start)
    return csv_response(csv_tables.report(report)) if wants_csv(request, format) else report
