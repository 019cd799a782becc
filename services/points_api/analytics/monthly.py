"""Each employee's qualifying points per month and the days of their growth
milestones (promotion eligibility reached, certifications granted), for
training_api's early warning on disengagement: a falling points trend and a long
time since the last step of one's career are two of its indicators.

Answered from the monthly period totals and the milestone tables, employees in
pages by number (leavers included: the model learns from them). Internal: training_api
only, never through the gateway."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.db import employee_copy
from services.points_api.milestones.models import CertificationGrant, PositionEligibility
from services.points_api.models import PeriodTotal
from shared.contracts.base import ReadSchema
from shared.db import DBSession
from shared.dependencies import CompanyTZ
from shared.errors import BadCursor, FieldError, InvalidRequest, problems
from shared.pagination import Cursor, Page, decode_keyset, encode_cursor, text_key
from shared.periods import MONTH, keys_of_months, month_count
from shared.routing import APIRouter
from shared.service_auth import FromTraining

router = APIRouter(prefix="/points/v1/internal/analytics", tags=["internal"],
                   include_in_schema=False)
MAX_MONTHS = 120


class EmployeeMonths(ReadSchema):
    employee_no: str
    months: dict[str, int] = Field(description="YYYY-MM -> qualifying points earned that "
                                               "month (net of reversals); months without "
                                               "points are left out")
    milestones: list[date] = Field(description="Days (company calendar) a promotion "
                                               "eligibility was reached or a certification "
                                               "granted, oldest first")


def _month_keys(first: str, last: str) -> list[str]:
    for name, value in (("from", first), ("to", last)):
        if not MONTH.match(value):
            raise InvalidRequest(f"{name} {value!r} is not a month", errors=[FieldError(
                pointer=f"#/query/{name}", detail="use YYYY-MM")])
    start, end = (int(first[:4]), int(first[5:])), (int(last[:4]), int(last[5:]))
    if not 1 <= month_count(start, end) <= MAX_MONTHS:
        raise InvalidRequest(f"from..to must hold 1 to {MAX_MONTHS} months", errors=[
            FieldError(pointer="#/query/to", detail=f"1 to {MAX_MONTHS} months after from")])
    return keys_of_months(start, end)


async def monthly_points(session: AsyncSession, keys: list[str], *, after: str | None,
                         limit: int, tz: Any) -> tuple[list[EmployeeMonths], str | None]:
    """A page of employees (every status) with their months and milestone days."""
    stmt = select(employee_copy.c.employee_no).order_by(employee_copy.c.employee_no)
    if after is not None:
        stmt = stmt.where(employee_copy.c.employee_no > after)
    nos = list((await session.execute(stmt.limit(limit + 1))).scalars())
    page = nos[:limit]
    out = {no: EmployeeMonths(employee_no=no, months={}, milestones=[]) for no in page}
    t = PeriodTotal.__table__.c
    for no, key, points in (await session.execute(
            select(t.employee_no, t.period, t.points).where(
                t.period.in_(keys), t.employee_no.in_(page), t.points != 0))).all():
        out[no].months[key[1:]] = int(points)
    for column, owner in ((PositionEligibility.reached_at, PositionEligibility.employee_no),
                          (CertificationGrant.granted_at, CertificationGrant.employee_no)):
        day = func.date(func.timezone(str(tz), column))
        for no, when in (await session.execute(
                select(owner, day).where(owner.in_(page)))).all():
            out[no].milestones.append(when)
    for item in out.values():
        item.milestones.sort()
    return list(out.values()), (page[-1] if len(nos) > limit else None)


@router.get("/monthly-points", response_model=Page[EmployeeMonths],
            operation_id="get_monthly_points",
            summary="Each employee's points per month and milestone days",
            responses=problems(BadCursor))
async def get_monthly_points(
    session: DBSession, _: FromTraining, tz: CompanyTZ,
    first: Annotated[str, Query(alias="from", max_length=7, description="First month, "
                                                                       "YYYY-MM")],
    last: Annotated[str, Query(alias="to", max_length=7, description="Last month, YYYY-MM")],
    limit: Annotated[int, Query(ge=1, le=5000, description="Employees per page")] = 1000,
    cursor: Cursor = None,
) -> Page[EmployeeMonths]:
    """Every employee of this service's copy (leavers too), by employee number: the
    qualifying points they earned in each month from ``from`` to ``to`` (at most 120
    months; net of reversals, from the period totals) and the days they reached a
    promotion eligibility or were granted a certification. Called by training_api for
    its attrition-risk indicators."""
    keys = _month_keys(first, last)
    after = decode_keyset(cursor, text_key)
    items, last_no = await monthly_points(session, keys, after=after[0] if after else None,
                                          limit=limit, tz=tz)
    return Page(items=items, next_cursor=encode_cursor([last_no]) if last_no else None)
