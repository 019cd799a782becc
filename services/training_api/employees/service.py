"""Employees synced from the HR suite, one by one or in bulk."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.config import Settings
from services.training_api.employees import repository as repo
from services.training_api.employees import schemas
from services.training_api.employees.errors import (
    EmployeeNoMismatch,
    EmployeeNotFound,
    LeftBeforeHired,
)
from services.training_api.employees.importing import (
    ImportFileError,
    ImportRow,
    ParsedFile,
    parse_employee_file,
)
from services.training_api.employees.publishing import publisher
from services.training_api.employees.uploads import parse_upload, unreadable_report
from services.training_api.import_jobs import service as import_jobs
from services.training_api.org.errors import UnknownDepartment, UnknownJobRole
from services.training_api.org.repository import OrgSnapshot, load_snapshot
from shared.auth import Principal
from shared.contracts.events import EmployeeStatus
from shared.db import DriverConnection
from shared.errors import FieldError

WRITE_CHUNK = 2000  # rows per upsert statement, and per step of a job's progress


def _out(row: Any) -> schemas.Employee:
    values = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    values["department_path"] = [c for c in values["department_path"].split("/") if c]
    # the column holds the status's text; model_construct does not convert it, and
    # pydantic would warn of a str where the model says EmployeeStatus on every answer
    values["status"] = EmployeeStatus(values["status"])
    return schemas.Employee.model_construct(**values)


def _may_read(principal: Principal, row: Any) -> bool:
    """As every service decides (``Principal.may_read_employee``), assessors included:
    an employee's record is what an assessor needs to find them. The department path
    holds the employee's department and its ancestors."""
    return principal.may_read_employee(row["employee_no"], row["department_path"].split("/"),
                                       training_records=True)


class EmployeeService:
    async def upsert(
        self, session: AsyncSession, employee_no: str, *, data: schemas.EmployeeUpsert,
        today: date
    ) -> tuple[schemas.Employee, bool]:
        """Create or update one employee. An unchanged employee is not re-published.
        Returns the employee and whether it was created."""
        if data.employee_no is not None and data.employee_no != employee_no:
            raise EmployeeNoMismatch(
                f"Path says {employee_no!r} but the body says {data.employee_no!r}"
            )
        if data.left_on is not None and data.hired_on is not None and \
                data.left_on < data.hired_on:
            raise LeftBeforeHired(f"left_on {data.left_on} is before hired_on {data.hired_on}",
                                  errors=[FieldError(pointer="#/left_on",
                                                     detail="before hired_on")])
        snapshot = await load_snapshot(session)
        dept = snapshot.departments.get(data.department_code)
        if dept is None:
            raise UnknownDepartment(f"Department {data.department_code!r} does not exist")
        role = snapshot.roles.get(data.job_role_code)
        if role is None:
            raise UnknownJobRole(f"Job role {data.job_role_code!r} does not exist")
        values = {"employee_no": employee_no, "name": data.name, "department_id": dept.id,
                  "job_role_id": role.id, "is_front_line": data.is_front_line,
                  "hired_on": data.hired_on, "status": data.status, "left_on": data.left_on}
        written = await repo.bulk_upsert(session, await _with_leaving_days(
            session, [values], today=today))
        await publisher.publish(session, written, snapshot)
        created = bool(written and written[0].inserted)
        view = await repo.get_view(session, employee_no)
        return _out(view), created

    async def get(
        self, db: DriverConnection | AsyncSession, employee_no: str, *, principal: Principal
    ) -> schemas.Employee:
        row = await repo.get_view(db, employee_no)
        if row is None or not _may_read(principal, row):
            # others' records answer 404 as well, so that existence does not leak
            raise EmployeeNotFound(f"No employee {employee_no!r} visible to you")
        return _out(row)

    async def list(
        self,
        session: AsyncSession,
        filters: repo.EmployeeFilters,
        *,
        principal: Principal,
        after: str | None,
        limit: int,
    ) -> tuple[list[schemas.Employee], str | None]:
        visible = await self._visible(session, principal)
        filters.employee_nos, filters.department_paths = (
            visible.employee_nos,
            visible.department_paths,
        )
        rows = await repo.list_views(session, filters, after=after, limit=limit + 1)
        more = len(rows) > limit
        items = [_out(r) for r in rows[:limit]]
        return items, (items[-1].employee_no if more else None)

    async def _visible(self, session: AsyncSession, principal: Principal) -> repo.EmployeeFilters:
        """What the caller may read: everything, their departments' subtrees, or themself."""
        if principal.reads_training_records:
            return repo.EmployeeFilters()
        if principal.has("manager") and principal.departments:
            snapshot = await load_snapshot(session)
            paths = [
                snapshot.departments[c].path
                for c in principal.departments
                if c in snapshot.departments
            ]
            return repo.EmployeeFilters(department_paths=paths or ["/\x01none/"])
        return repo.EmployeeFilters(employee_nos=[principal.sub])

    async def import_upload(
        self, session: AsyncSession, *, content: bytes, filename: str, dry_run: bool,
        as_job: bool, actor: str, today: date, settings: Settings
    ) -> ImportOutcome:
        """Read the file off the event loop within the parse budget; write its rows now,
        or, with more than ``import_sync_max_rows`` of them or when asked, queue it as a
        job (services/training_api/import_jobs). A file that cannot be read as one (empty,
        not CSV/XLSX, no header) is reported as line 0 with nothing imported: the upload
        itself was well-formed, which is all the schema can say of a file's content."""
        try:
            parsed = await parse_upload(parse_employee_file, content, filename,
                                        seconds=settings.import_parse_seconds)
        except ImportFileError as exc:
            return ImportOutcome(report=unreadable_report(
                schemas.ImportReport, schemas.RejectedRow, dry_run=dry_run, reason=str(exc),
                employee_no=None))
        if import_jobs.runs_as_job(asked=as_job, rows=parsed.total_rows,
                                   sync_max_rows=settings.import_sync_max_rows):
            job = await import_jobs.start(session, EMPLOYEE_IMPORT, content=content,
                                          filename=filename, dry_run=dry_run, actor=actor,
                                          today=today, rows_total=len(parsed.rows))
            return ImportOutcome(job=schemas.EmployeeImportJob(**job))
        return ImportOutcome(report=await self.import_rows(session, parsed, dry_run=dry_run,
                                                           today=today))

    async def import_job(self, session: AsyncSession, job_id: uuid.UUID
                         ) -> schemas.EmployeeImportJob:
        return schemas.EmployeeImportJob(**await import_jobs.get(session, EMPLOYEE_IMPORT,
                                                                 job_id))

    async def import_rows(
        self, session: AsyncSession, parsed: ParsedFile, *, dry_run: bool, today: date,
        progress: Callable[[int], Awaitable[None]] | None = None
    ) -> schemas.ImportReport:
        """Bulk upsert of a parsed file; every rejected row is reported with its line.
        ``progress`` hears how many rows are written as the chunks go."""
        snapshot = await load_snapshot(session)
        rejected = [
            schemas.RejectedRow(line=e.line, employee_no=e.employee_no, reason=e.reason)
            for e in parsed.errors
        ]
        valid: list[dict[str, Any]] = []
        for row in parsed.rows:
            values, reason = _resolve(row, snapshot)
            if reason:
                rejected.append(
                    schemas.RejectedRow(line=row.line, employee_no=row.employee_no, reason=reason)
                )
            else:
                valid.append(values)
        rejected.sort(key=lambda r: r.line)
        valid = await _with_leaving_days(session, valid, today=today)
        existing = await repo.existing_by_no(session, [v["employee_no"] for v in valid])
        created = sum(1 for v in valid if v["employee_no"] not in existing)
        changed = sum(
            1
            for v in valid
            if v["employee_no"] in existing
            and existing[v["employee_no"]] != tuple(v[f] for f in repo.SYNCED_FIELDS)
        )
        if not dry_run and valid:
            written = []
            for start in range(0, len(valid), WRITE_CHUNK):
                written += await repo.bulk_upsert(session, valid[start:start + WRITE_CHUNK])
                if progress is not None:
                    await progress(min(start + WRITE_CHUNK, len(valid)))
            await publisher.publish(session, written, snapshot)
        return schemas.ImportReport(
            dry_run=dry_run,
            encoding=parsed.encoding,
            total_rows=parsed.total_rows,
            valid_rows=len(valid),
            created=created,
            updated=changed,
            unchanged=len(valid) - created - changed,
            rejected=rejected,
            ignored_columns=list(getattr(parsed, "ignored_columns", []) or []),
        )


@dataclass(frozen=True)
class ImportOutcome:
    """An import written in the request (its report) or queued as a job."""

    report: schemas.ImportReport | None = None
    job: schemas.EmployeeImportJob | None = None


def _resolve(row: ImportRow, snapshot: OrgSnapshot) -> tuple[dict[str, Any], str | None]:
    dept = snapshot.departments.get(row.department_code)
    if dept is None:
        return {}, f"unknown department_code {row.department_code!r}"
    role = snapshot.roles.get(row.job_role_code)
    if role is None:
        return {}, f"unknown job_role_code {row.job_role_code!r}"
    return {
        "employee_no": row.employee_no,
        "name": row.name,
        "department_id": dept.id,
        "job_role_id": role.id,
        "is_front_line": row.is_front_line,
        "hired_on": row.hired_on,
        "status": row.status,
        "left_on": row.left_on,
    }, None


async def _with_leaving_days(session: AsyncSession, rows: list[dict[str, Any]], *,
                             today: date) -> list[dict[str, Any]]:
    """A leaver sent without a leaving day keeps the one already known, or gets the day
    the directory learned it (``today``), so that every leaver has one: the attrition
    model's target is "left within the next N months"."""
    undated = [r["employee_no"] for r in rows if _undated_leaver(r)]
    if not undated:
        return rows
    known = await repo.known_leaving_days(session, undated)
    return [{**r, "left_on": known.get(r["employee_no"], today)}
            if _undated_leaver(r) else r for r in rows]


def _undated_leaver(row: dict[str, Any]) -> bool:
    return row["status"] == EmployeeStatus.LEFT and row["left_on"] is None


employees = EmployeeService()


async def _write_import(session: AsyncSession, parsed: ParsedFile, writing: import_jobs.Writing
                        ) -> schemas.ImportReport:
    return await employees.import_rows(session, parsed, dry_run=writing.dry_run,
                                       today=writing.today, progress=writing.progress)


EMPLOYEE_IMPORT = import_jobs.ImportKind(
    kind="employee_import", base="/training/v1/employee-imports", parse=parse_employee_file,
    write=_write_import)
