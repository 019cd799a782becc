"""Employees: one-by-one sync, bulk import, and reads with filters."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response, UploadFile
from fastapi.responses import JSONResponse

from services.training_api.dependencies import TrainingSettings
from services.training_api.employees import schemas
from services.training_api.employees.errors import (
    EmployeeNoMismatch,
    EmployeeNotFound,
    ImportTooLarge,
    ImportTooSlow,
)
from services.training_api.employees.repository import EmployeeFilters
from services.training_api.employees.service import employees
from services.training_api.import_jobs.errors import ImportJobNotFound
from services.training_api.org.errors import UnknownDepartment, UnknownJobRole
from services.training_api.org.schemas import CODE_PATTERN, RoleFamily
from shared.auth import CurrentUser, OrgWriter, PrivilegedReader
from shared.contracts.events import EmployeeStatus
from shared.db import DBSession, DriverDB
from shared.dependencies import CompanyToday
from shared.errors import problems
from shared.identity import EmployeeNoPath
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    decode_keyset,
    encode_cursor,
    text_key,
)
from shared.routing import APIRouter, created_or_ok, upsert_responses

router = APIRouter(prefix="/training/v1", tags=["employees"])


@router.put(
    "/employees/{employee_no}",
    response_model=schemas.Employee,
    operation_id="upsert_employee",
    summary="Create or update an employee",
    responses=upsert_responses(schemas.Employee, UnknownDepartment, UnknownJobRole,
                               EmployeeNoMismatch),
)
async def upsert_employee(
    employee_no: EmployeeNoPath,
    body: schemas.EmployeeUpsert,
    session: DBSession,
    _: OrgWriter,
    response: Response,
    today: CompanyToday,
) -> schemas.Employee:
    """Idempotent upsert by employee number (201 when created, 200 otherwise).
    A change is published to points_api and rewards_api through the outbox; an
    unchanged employee is not re-published."""
    employee, created = await employees.upsert(session, employee_no, data=body, today=today)
    created_or_ok(response, created)
    return employee


@router.get(
    "/employees/{employee_no}",
    response_model=schemas.Employee,
    operation_id="get_employee",
    summary="Get an employee",
    responses=problems(EmployeeNotFound),
)
async def get_employee(
    employee_no: EmployeeNoPath, db: DriverDB, principal: CurrentUser
) -> schemas.Employee:
    """An employee reads only their own record, a manager the employees of their
    departments (with sub-departments); HR, auditors, assessors and integrations
    read all. Records the caller may not read answer 404."""
    return await employees.get(db, employee_no, principal=principal)


@router.get(
    "/employees",
    response_model=Page[schemas.Employee],
    operation_id="list_employees",
    summary="List employees",
)
async def list_employees(
    session: DBSession,
    principal: CurrentUser,
    limit: Limit = 50,
    cursor: Cursor = None,
    department: Annotated[
        str | None,
        Query(pattern=CODE_PATTERN, description="Department code, sub-departments included"),
    ] = None,
    job_role: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    family: RoleFamily | None = None,
    is_front_line: bool | None = None,
    status_: Annotated[EmployeeStatus | None, Query(alias="status")] = None,
) -> Page[schemas.Employee]:
    """Employees ordered by employee number, filtered by department (with its
    sub-departments), job role, role family, front-line flag and status. The
    caller sees only what they may read (see get_employee)."""
    after = decode_keyset(cursor, text_key)
    filters = EmployeeFilters(
        department=department,
        job_role=job_role,
        family=family,
        is_front_line=is_front_line,
        status=status_,
    )
    items, last = await employees.list(
        session, filters, principal=principal, after=after[0] if after else None, limit=limit
    )
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)


@router.post(
    "/employee-imports",
    response_model=schemas.ImportReport,
    operation_id="import_employees",
    summary="Bulk import employees from CSV or XLSX",
    responses={202: {"model": schemas.EmployeeImportJob,
                     "description": "A large file (or async=true): queued as a job; poll "
                                    "links.status (also in Location)"},
               **problems(ImportTooLarge, ImportTooSlow)},
)
async def import_employees(
    file: UploadFile,
    session: DBSession,
    principal: OrgWriter,
    settings: TrainingSettings,
    today: CompanyToday,
    dry_run: Annotated[bool, Query(description="Validate and report only; write nothing")] = False,
    as_job: Annotated[bool, Query(alias="async", description=(
        "Run as a job whatever the file's size: 202 and a status URL"))] = False,
) -> schemas.ImportReport | Response | None:
    """Upload a file as Excel exports it (CSV in UTF-8 with or without BOM or
    GB18030/GBK, or XLSX), with English or Chinese headers (docs/employee-import.md).
    Valid rows are upserted idempotently; every rejected row is listed with its
    line number and reason. With ``dry_run=true`` nothing is written.

    A file of up to ``IMPORT_SYNC_MAX_ROWS`` (10,000) data rows is written in the
    request and answered with the report (200). A larger one, or any file sent with
    ``async=true``, is answered with 202 and the job: poll ``links.status`` until
    ``status`` is ``done`` (its ``report`` is the same report) or ``failed``. A file
    that cannot be read is refused in the request either way."""
    limit = settings.import_max_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise ImportTooLarge(f"The file exceeds {limit // (1024 * 1024)} MiB")
    outcome = await employees.import_upload(
        session, content=content, filename=file.filename or "upload", dry_run=dry_run,
        as_job=as_job, actor=principal.sub, today=today, settings=settings)
    if outcome.job is not None:
        return JSONResponse(outcome.job.model_dump(mode="json"), status_code=202,
                            headers={"Location": outcome.job.links.status})
    return outcome.report


@router.get(
    "/employee-imports/{import_id}",
    response_model=schemas.EmployeeImportJob,
    operation_id="get_employee_import",
    summary="An employee import running as a job",
    responses=problems(ImportJobNotFound),
)
async def get_employee_import(import_id: uuid.UUID, session: DBSession,
                              _: PrivilegedReader) -> schemas.EmployeeImportJob:
    """Status and progress (rows written of the rows read) of an import answered
    with 202; once ``done``, its ``report``, the same as a synchronous import's;
    once ``failed``, the ``error`` (nothing was written). HR, auditors and
    integrations."""
    return await employees.import_job(session, import_id)
