"""Production figures per department and month (次品率, 技能原因次品占比, 生产效率), posted
by the ERP or imported from a file; pilot start dates; and the report that shows the
figures beside the department's training metrics, before and after the pilot."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from statistics import mean
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.config import Settings
from services.training_api.employees.importing import ImportFileError
from services.training_api.employees.uploads import parse_upload, unreadable_report
from services.training_api.import_jobs import service as import_jobs
from services.training_api.kpis import repository as repo
from services.training_api.kpis import schemas
from services.training_api.kpis.errors import KpiNotFound, PilotNotFound
from services.training_api.kpis.importing import ParsedKpis, parse_kpi_file
from services.training_api.kpis.models import DepartmentKpi
from services.training_api.models import Department
from services.training_api.org import repository as org_repo
from services.training_api.org import schemas as org_schemas
from services.training_api.org.errors import DepartmentNotFound
from services.training_api.org.service import departments
from services.training_api.reports import repository as metrics_repo
from services.training_api.reports.period import Period, local_midnight, next_month
from services.training_api.reports.scope import ReportScope, population
from services.training_api.reports.service import period_out, rate

WRITE_CHUNK = 2000  # rows per upsert, and per step of a job's progress


def _kpi_out(kpi: DepartmentKpi, dept: Department) -> schemas.Kpi:
    return schemas.Kpi(department_code=dept.code, department_name=dept.name,
                       month=kpi.month.strftime("%Y-%m"), defect_rate=kpi.defect_rate,
                       skill_defect_share=kpi.skill_defect_share, efficiency=kpi.efficiency,
                       source=kpi.source, updated_by=kpi.updated_by, updated_at=kpi.updated_at)


async def find_department(session: AsyncSession, code: str) -> Department:
    dept = await org_repo.get_department(session, code)
    if dept is None:
        raise DepartmentNotFound(f"No department with code {code!r}")
    return dept


class KpiService:
    async def upsert(self, session: AsyncSession, code: str, month: date, *,
                     data: schemas.KpiUpsert, actor: str) -> tuple[schemas.Kpi, bool]:
        """Replace the department's figures of the month (absent figures become null)."""
        dept = await find_department(session, code)
        (created,) = await repo.upsert_kpis(session, [{
            "department_id": dept.id, "month": month, "defect_rate": data.defect_rate,
            "skill_defect_share": data.skill_defect_share, "efficiency": data.efficiency,
            "source": "api", "updated_by": actor}])
        kpi = await repo.get_kpi(session, dept.id, month)
        assert kpi is not None
        await session.refresh(kpi)
        return _kpi_out(kpi, dept), created

    async def get(self, session: AsyncSession, code: str, month: date) -> schemas.Kpi:
        dept = await find_department(session, code)
        kpi = await repo.get_kpi(session, dept.id, month)
        if kpi is None:
            raise KpiNotFound(f"No figures of {code} for {month:%Y-%m}")
        return _kpi_out(kpi, dept)

    async def list(self, session: AsyncSession, code: str, *, first: date,
                   last: date) -> list[schemas.Kpi]:
        dept = await find_department(session, code)
        return [_kpi_out(k, dept) for k in await repo.kpis_between(session, dept.id, first,
                                                                     last)]

    async def import_upload(self, session: AsyncSession, *, content: bytes, filename: str,
                            dry_run: bool, as_job: bool, actor: str, today: date,
                            settings: Settings) -> schemas.KpiImportReport | schemas.KpiImportJob:
        """Read the file off the event loop within the parse budget; write its rows now,
        or, with more than ``import_sync_max_rows`` of them or when asked, queue it as a
        job (services/training_api/import_jobs). A file that cannot be read as one is
        reported as line 0 with nothing imported (as the employee import does)."""
        try:
            parsed = await parse_upload(parse_kpi_file, content, filename,
                                        seconds=settings.import_parse_seconds)
        except ImportFileError as exc:
            return unreadable_report(schemas.KpiImportReport, schemas.RejectedKpiRow,
                                     dry_run=dry_run, reason=str(exc), department_code=None,
                                     month=None)
        if import_jobs.runs_as_job(asked=as_job, rows=parsed.total_rows,
                                   sync_max_rows=settings.import_sync_max_rows):
            return schemas.KpiImportJob(**await import_jobs.start(
                session, KPI_IMPORT, content=content, filename=filename, dry_run=dry_run,
                actor=actor, today=today, rows_total=len(parsed.rows)))
        return await self.import_rows(session, parsed, dry_run=dry_run, actor=actor)

    async def import_job(self, session: AsyncSession, job_id: uuid.UUID
                         ) -> schemas.KpiImportJob:
        return schemas.KpiImportJob(**await import_jobs.get(session, KPI_IMPORT, job_id))

    async def import_rows(self, session: AsyncSession, parsed: ParsedKpis, *, dry_run: bool,
                          actor: str, progress: Callable[[int], Awaitable[None]] | None = None
                          ) -> schemas.KpiImportReport:
        """Upsert every valid row; report every rejected one with its line."""
        ids = await repo.department_ids(session)
        rejected = [schemas.RejectedKpiRow(line=e.line, department_code=e.department_code,
                                           month=e.month, reason=e.reason)
                    for e in parsed.errors]
        valid: dict[tuple[int, date], dict[str, Any]] = {}
        unknown = 0
        for row in parsed.rows:
            if row.department_code not in ids:
                unknown += 1
                rejected.append(schemas.RejectedKpiRow(
                    line=row.line, department_code=row.department_code,
                    month=row.month.strftime("%Y-%m"),
                    reason=f"unknown department_code {row.department_code!r}"))
                continue
            key = (ids[row.department_code], row.month)
            valid[key] = {"department_id": key[0], "month": key[1], **row.figures,
                          "source": "import", "updated_by": actor}  # a later line wins
        existing = await repo.existing_months(session, list(valid))
        if not dry_run and valid:
            rows = list(valid.values())
            for start in range(0, len(rows), WRITE_CHUNK):
                await repo.upsert_kpis(session, rows[start:start + WRITE_CHUNK])
                if progress is not None:
                    await progress(min(start + WRITE_CHUNK, len(rows)))
        rejected.sort(key=lambda r: r.line)
        return schemas.KpiImportReport(
            dry_run=dry_run, encoding=parsed.encoding, total_rows=parsed.total_rows,
            valid_rows=len(parsed.rows) - unknown,
            created=sum(1 for k in valid if k not in existing),
            updated=sum(1 for k in valid if k in existing), rejected=rejected)


class PilotService:
    async def upsert(self, session: AsyncSession, code: str, *, data: schemas.PilotUpsert,
                     actor: str) -> tuple[schemas.Pilot, bool]:
        """Record when the department's pilot started and mark it a pilot department (as
        ``is_pilot`` on the department does), so that pilot-only rules apply to it."""
        dept = await find_department(session, code)
        created = await repo.get_pilot(session, dept.id) is None
        if not dept.is_pilot:
            parent = None
            if dept.parent_id is not None:
                parent = (await org_repo.department_codes_by_id(session, {dept.parent_id}))[
                    dept.parent_id]
            await departments.upsert(session, code, data=org_schemas.DepartmentUpsert(
                name=dept.name, parent_code=parent, is_pilot=True))
        await repo.upsert_pilot(session, {"department_id": dept.id,
                                          "started_on": data.started_on, "note": data.note,
                                          "updated_by": actor})
        return await self.get(session, code), created

    async def get(self, session: AsyncSession, code: str) -> schemas.Pilot:
        dept = await find_department(session, code)
        pilot = await repo.get_pilot(session, dept.id)
        if pilot is None:
            raise PilotNotFound(f"Department {code} has no pilot start date")
        await session.refresh(dept)
        return schemas.Pilot(department_code=dept.code, department_name=dept.name,
                             is_pilot=dept.is_pilot, started_on=pilot.started_on,
                             note=pilot.note, updated_by=pilot.updated_by,
                             updated_at=pilot.updated_at)


PRODUCTION_FIGURES = ("defect_rate", "skill_defect_share", "efficiency")
FIGURES = (*PRODUCTION_FIGURES, "participation_rate", "front_line_participation_rate",
           "attainment_rate")


class KpiReportService:
    async def report(self, session: AsyncSession, *, scope: ReportScope, period: Period,
                     pilot_start: date | None) -> schemas.KpiReport:
        """Per month of the period: the department's own figures beside the training
        metrics of its subtree; means before and after the pilot's start."""
        assert scope.department_path is not None and scope.department_code is not None
        dept = await find_department(session, scope.department_code)
        started = pilot_start or await repo.nearest_pilot_start(session,
                                                                 scope.department_path)
        months = [repo_month(m, period) for m in period.months()]
        participation: list[Any] = []
        attainment: list[Any] = []
        kpis: dict[date, Any] = {}
        if months:  # an empty period (a reversed range) has no month to show
            pop = population(scope)
            participation = await metrics_repo.monthly_participation(
                session, pop, months=months, timezone=str(period.tz))
            attainment = await metrics_repo.monthly_attainment(session, pop, months=months)
            kpis = {k.month: k for k in await repo.kpis_between(
                session, dept.id, period.months()[0], period.months()[-1])}
        rows = []
        for first, part, att in zip(period.months(), participation, attainment, strict=True):
            kpi = kpis.get(first)
            phase = None if started is None else (
                "after" if first >= started.replace(day=1) else "before")
            rows.append(schemas.KpiMonth(
                month=first.strftime("%Y-%m"), phase=phase,
                defect_rate=kpi.defect_rate if kpi else None,
                skill_defect_share=kpi.skill_defect_share if kpi else None,
                efficiency=kpi.efficiency if kpi else None, employees=part.total,
                participation_rate=rate(part.hits, part.total),
                front_line_participation_rate=rate(part.front_line_hits,
                                                   part.front_line_total),
                attainment_rate=rate(att.hits, att.total)))
        before = _averages([r for r in rows if r.phase == "before"])
        after = _averages([r for r in rows if r.phase == "after"])
        return schemas.KpiReport(department_code=dept.code, department_name=dept.name,
                                 period=period_out(period), pilot_started_on=started,
                                 months=rows, before=before, after=after,
                                 change=_change(before, after))


def repo_month(first: date, period: Period) -> metrics_repo.Month:
    last = next_month(first) - timedelta(days=1)
    return metrics_repo.Month(key=first.strftime("%Y-%m"), last_day=last,
                              start=local_midnight(first, period.tz),
                              end=local_midnight(last + timedelta(days=1), period.tz))


def _averages(rows: list[schemas.KpiMonth]) -> schemas.PhaseAverages | None:
    """Each figure's mean over the phase's months that have it; ``months`` counts those
    with production figures posted, the months a before/after comparison rests on."""
    if not rows:
        return None
    values: dict[str, float | None] = {}
    for name in FIGURES:
        found = [float(v) for r in rows if (v := getattr(r, name)) is not None]
        values[name] = round(mean(found), 4) if found else None
    with_figures = sum(1 for r in rows if any(
        getattr(r, name) is not None for name in PRODUCTION_FIGURES))
    return schemas.PhaseAverages(months=with_figures, **values)


def _change(before: schemas.PhaseAverages | None,
            after: schemas.PhaseAverages | None) -> schemas.PhaseAverages | None:
    if before is None or after is None:
        return None
    values: dict[str, float | None] = {}
    for name in FIGURES:
        b, a = getattr(before, name), getattr(after, name)
        values[name] = None if a is None or b is None else round(a - b, 4)
    return schemas.PhaseAverages(months=after.months, **values)


kpis = KpiService()
pilots = PilotService()
kpi_report = KpiReportService()


async def _write_import(session: AsyncSession, parsed: ParsedKpis, writing: import_jobs.Writing
                        ) -> schemas.KpiImportReport:
    return await kpis.import_rows(session, parsed, dry_run=writing.dry_run,
                                  actor=writing.actor, progress=writing.progress)


KPI_IMPORT = import_jobs.ImportKind(
    kind="kpi_import", base="/training/v1/kpi-imports", parse=parse_kpi_file,
    write=_write_import)
