"""Planned hires the HR suite sends (a requisition: a job role's head count starting in
a department in a month), and the onboarding demand they bring: each new hire needs
every skill of their role's competency model, through the course the change
forecast would propose for it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.changes import repository as repo
from services.training_api.changes import schemas
from services.training_api.changes.errors import PlannedHireNotFound, UnknownReference
from services.training_api.changes.models import PlannedHire
from services.training_api.models import Department, JobRole
from services.training_api.reports.period import parse_month
from shared.errors import FieldError


def _out(hire: PlannedHire) -> schemas.PlannedHire:
    return schemas.PlannedHire(
        code=hire.code, department_code=hire.department_code,
        job_role_code=hire.job_role_code, month=f"{hire.month_on:%Y-%m}",
        headcount=hire.headcount, updated_by=hire.updated_by, created_at=hire.created_at,
        updated_at=hire.updated_at)


class PlannedHireService:
    async def upsert(self, session: AsyncSession, code: str, data: schemas.PlannedHireUpsert,
                     *, actor: str) -> tuple[schemas.PlannedHire, bool]:
        """Create or replace; the department and the role must exist (409)."""
        errors = [FieldError(pointer=f"#/{field}", detail=f"unknown code {value!r}")
                  for field, model, value in (("department_code", Department,
                                               data.department_code),
                                              ("job_role_code", JobRole, data.job_role_code))
                  if await repo.missing_codes(session, model, [value])]
        if errors:
            raise UnknownReference("The planned hire names a department or a job role that "
                                   "does not exist", errors=errors)
        hire, created = await repo.upsert_hire(session, code, {
            "department_code": data.department_code, "job_role_code": data.job_role_code,
            "month_on": parse_month(data.month), "headcount": data.headcount,
            "updated_by": actor})
        return _out(hire), created

    async def get(self, session: AsyncSession, code: str) -> schemas.PlannedHire:
        hire = await repo.get_hire(session, code)
        if hire is None:
            raise PlannedHireNotFound(f"No planned hire with code {code!r}")
        return _out(hire)

    async def delete(self, session: AsyncSession, code: str) -> None:
        if not await repo.delete_hire(session, code):
            raise PlannedHireNotFound(f"No planned hire with code {code!r}")

    async def list(self, session: AsyncSession, *, after: str | None, limit: int,
                   department_code: str | None, job_role_code: str | None,
                   since: str | None) -> tuple[list[schemas.PlannedHire], str | None]:
        rows = await repo.hires_page(session, after=after, limit=limit + 1,
                                     department_code=department_code,
                                     job_role_code=job_role_code,
                                     since=parse_month(since) if since else None)
        page = rows[:limit]
        return [_out(h) for h in page], (page[-1].code if len(rows) > limit else None)


planned = PlannedHireService()


async def onboarding(session: AsyncSession, *, by: str, months: list[date],
                     department_path: str | None
                     ) -> tuple[dict[str, dict[str, int]], dict[str, str], int]:
    """Per skill (or course) and month ("YYYY-MM"), the planned hires starting that month
    in the scope who will need it; the series' names; and the hires counted. A hire
    needs each skill of their role once, and each course once however many of the
    role's skills it is the first choice for."""
    hires = await repo.planned_hires(session, first=months[0], last=months[-1],
                                     department_path=department_path)
    needs: dict[str, list[tuple[str, str]]] = defaultdict(list)  # role -> [(code, name)]
    for role, skill, name, level in await repo.role_skills(
            session, sorted({role for _, _, role in hires})):
        if by == "skill":
            needs[role].append((skill, name))
            continue
        courses = await repo.teaching(session, skill, level)
        if courses and courses[0][0] not in {c for c, _ in needs[role]}:
            needs[role].append((courses[0][0], courses[0][1]))
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[str, str] = {}
    for month, headcount, role in hires:
        for code, name in needs.get(role, []):
            out[code][f"{month:%Y-%m}"] += headcount
            names[code] = name
    return ({code: dict(by_month) for code, by_month in out.items()}, names,
            sum(n for _, n, _ in hires))
