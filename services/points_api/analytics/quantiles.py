"""How qualifying points are spread over a scope of employees, for training_api's
dashboard: the scope's head count and points (so points per head), and the
employees in its top and bottom fraction by points (effectiveness: do the top 20%
hold their role's skills more often than the bottom 20%?).

Answered from the period totals and the employee read copy, so the ledger never
leaves this service and is never summed on request. Internal: training_api only,
never through the gateway."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Query
from pydantic import Field
from sqlalchemy import (
    BigInteger,
    Select,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.db import employee_copy
from services.points_api.models import PeriodTotal
from shared.contracts.base import ReadSchema
from shared.contracts.events import EmployeeStatus
from shared.db import DBSession
from shared.errors import FieldError, InvalidRequest
from shared.periods import PERIOD_PATTERN
from shared.routing import APIRouter
from shared.service_auth import FromTraining

router = APIRouter(prefix="/points/v1/internal/analytics", tags=["internal"],
                   include_in_schema=False)
CODE_PATTERN = r"^[A-Za-z0-9_.\-]{1,50}$"
_period = PeriodTotal.__table__
_copy = employee_copy


class PointsSet(ReadSchema):
    employee_nos: list[str] = Field(description="By points, highest first; ties by number")
    min_points: int | None
    max_points: int | None


class ScopeQuantiles(ReadSchema):
    periods: list[str]
    employees: int = Field(description="Active employees in the scope (this service's copy), "
                                       "hired by ``hired_by`` when given")
    total_points: int = Field(description="Qualifying points they earned in the periods")
    participation_points: int
    outcome_points: int
    growth_points: int
    fraction: float
    top: PointsSet
    bottom: PointsSet


def _totals(periods: list[str]) -> Subquery:
    """Per employee, the points of the periods (a period key has one row per employee,
    so a single key needs no adding up)."""
    t = _period.c
    if len(periods) == 1:
        return (select(t.employee_no, t.points, t.participation_points.label("participation"),
                       t.outcome_points.label("outcome"), t.growth_points.label("growth"))
                .where(t.period == periods[0]).subquery())
    sums = [cast(func.sum(col), BigInteger).label(name) for col, name in (
        (t.points, "points"), (t.participation_points, "participation"),
        (t.outcome_points, "outcome"), (t.growth_points, "growth"))]
    return (select(t.employee_no, *sums).where(t.period.in_(periods))
            .group_by(t.employee_no).subquery())


def _scoped(periods: list[str], *, department: str | None, family: str | None,
            is_front_line: bool | None, is_pilot: bool | None,
            hired_by: date | None = None) -> Select[Any]:
    totals = _totals(periods)
    stmt = (select(_copy.c.employee_no,
                   func.coalesce(totals.c.points, 0).label("points"),
                   func.coalesce(totals.c.participation, 0).label("participation"),
                   func.coalesce(totals.c.outcome, 0).label("outcome"),
                   func.coalesce(totals.c.growth, 0).label("growth"))
            .select_from(_copy.outerjoin(totals, totals.c.employee_no == _copy.c.employee_no))
            .where(_copy.c.status == EmployeeStatus.ACTIVE))
    if department is not None:
        stmt = stmt.where(_copy.c.department_path.contains([department]))
    if family is not None:
        stmt = stmt.where(_copy.c.job_role_family == family)
    if is_front_line is not None:
        stmt = stmt.where(_copy.c.is_front_line.is_(is_front_line))
    if is_pilot is not None:
        stmt = stmt.where(_copy.c.is_pilot.is_(is_pilot))
    if hired_by is not None:  # someone hired after the period is not of its head count
        stmt = stmt.where(or_(_copy.c.hired_on.is_(None), _copy.c.hired_on <= hired_by))
    return stmt


async def scope_quantiles(session: AsyncSession, periods: list[str], *, fraction: float,
                          **scope: Any) -> ScopeQuantiles:
    """One pass over the scope: every employee ranked by points, the totals, and the two
    sets as arrays (one result row, whatever the size of the scope)."""
    # one row per employee is sorted: more memory than the default keeps it off the disk
    await session.execute(text("SET LOCAL work_mem = '64MB'"))
    c = _scoped(periods, **scope).subquery().c
    ranked = select(
        c.employee_no, c.points, c.participation, c.outcome, c.growth,
        func.row_number().over(order_by=(c.points.desc(), c.employee_no)).label("rn"),
        func.count().over().label("n")).subquery()
    r = ranked.c
    # each set: floor(employees x fraction), at least one each from two employees on
    k = case((and_(r.n >= 2, literal(fraction) > 0),
              func.greatest(1, func.floor(r.n * literal(fraction) + 1e-9))), else_=0)
    in_top, in_bottom = r.rn <= k, r.rn > r.n - k
    row = (await session.execute(select(
        func.count(), *[func.coalesce(cast(func.sum(col), BigInteger), 0)
                        for col in (r.points, r.participation, r.outcome, r.growth)],
        func.array_agg(aggregate_order_by(r.employee_no, r.rn)).filter(in_top),
        func.min(r.points).filter(in_top), func.max(r.points).filter(in_top),
        func.array_agg(aggregate_order_by(r.employee_no, r.rn)).filter(in_bottom),
        func.min(r.points).filter(in_bottom), func.max(r.points).filter(in_bottom)))).one()
    employees, total, participation, outcome, growth = (int(v) for v in row[:5])
    return ScopeQuantiles(
        periods=periods, employees=employees, total_points=total,
        participation_points=participation, outcome_points=outcome, growth_points=growth,
        fraction=fraction, top=_set(*row[5:8]), bottom=_set(*row[8:11]))


def _set(nos: Any, low: Any, high: Any) -> PointsSet:
    """The employees of one end of the ranking (an array, or NULL when nobody) and
    their lowest and highest points."""
    return PointsSet(employee_nos=list(nos or []),
                     min_points=None if low is None else int(low),
                     max_points=None if high is None else int(high))


@router.get("/quantiles", response_model=ScopeQuantiles, operation_id="get_scope_quantiles",
            summary="Points of a scope of employees and its top and bottom fraction")
async def get_scope_quantiles(
    session: DBSession, _: FromTraining,
    period: Annotated[list[str], Query(
        min_length=1, max_length=240, description="Period keys whose totals are added up "
        "(M2026-03, Q2026-1, Y2026 or ALL); repeat for several months")] = ["ALL"],  # noqa: B006
    department: Annotated[str | None, Query(
        pattern=CODE_PATTERN, description="Department code, sub-departments included")] = None,
    family: Annotated[str | None, Query(max_length=20, description="Role family")] = None,
    is_front_line: bool | None = None,
    is_pilot: Annotated[bool | None, Query(
        description="Only employees of pilot departments (true) or of the others (false)")] = None,
    hired_by: Annotated[date | None, Query(
        description="Only employees hired by this day (or without a hire date): a report's "
                    "last day, so that later hires are not ranked with 0 points")] = None,
    fraction: Annotated[float, Query(ge=0, le=0.5, description=(
        "Size of the top and bottom sets: floor(employees x fraction), at least 1 each "
        "from 2 employees on; 0 for none"))] = 0.2,
) -> ScopeQuantiles:
    """Active employees in the scope (as this service's copy knows them), the qualifying
    points they earned in the periods (net of reversals, from the period totals), and
    the employee numbers of the top and bottom ``fraction`` by those points (ties
    broken by employee number; employees without points count 0). With ``hired_by``
    only employees hired by that day count, as in training_api's head counts. Called by
    training_api for its effectiveness and pilot reports."""
    for key in period:
        _check_period(key)
    return await scope_quantiles(session, list(dict.fromkeys(period)), fraction=fraction,
                                 department=department, family=family,
                                 is_front_line=is_front_line, is_pilot=is_pilot,
                                 hired_by=hired_by)


def _check_period(key: str) -> None:
    if not re.match(PERIOD_PATTERN, key):
        raise InvalidRequest(f"{key!r} is not a period key",
                             errors=[FieldError(pointer="#/query/period",
                                                detail="use M2026-03, Q2026-1, Y2026 or ALL")])
