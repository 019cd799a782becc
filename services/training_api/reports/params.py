"""Query parameters the reports share: the period, the scope and the grouping.

No postponed annotations here: FastAPI reads the parameters of the dependency that
:func:`period_param` makes at runtime, and they refer to its arguments."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request

from services.training_api.org.schemas import CODE_PATTERN, RoleFamily
from services.training_api.reports import period as periods
from services.training_api.reports.errors import InvalidPeriod
from services.training_api.reports.repository import give_report_memory
from services.training_api.reports.scope import REPORT_READERS, ReportScope, resolve_scope
from shared.auth import Principal, require_roles
from shared.contracts.fields import Day
from shared.db import DBSession
from shared.dependencies import company_today
from shared.errors import FieldError
from shared.periods import PERIOD_PATTERN

ReportReader = Annotated[Principal, Depends(require_roles(*REPORT_READERS))]
DepartmentQuery = Annotated[str | None, Query(
    pattern=CODE_PATTERN, description="Department code; its sub-departments are included. "
                                      "Managers must stay within their departments.")]


def period_param(default: periods.DefaultPeriod) -> Callable[..., Awaitable[periods.Period]]:
    """A dependency reading ``period`` or ``from``/``to``; without them, ``default``."""

    async def dependency(
        request: Request,
        period: Annotated[str | None, Query(
            pattern=PERIOD_PATTERN, examples=["M2026-03"],
            description=f"M2026-03, Q2026-1, Y2026 or ALL (default: {default.value})")] = None,
        first_day: Annotated[Day | None, Query(
            alias="from", description="First day (YYYY-MM-DD, company calendar), "
                                      "instead of period")] = None,
        last_day: Annotated[Day | None, Query(
            alias="to", description="Last day, included (default: today)")] = None,
    ) -> periods.Period:
        try:
            return periods.resolve(period, first_day, last_day, request.app.state.settings.tz,
                                   today=company_today(request), default=default)
        except ValueError as exc:
            raise InvalidPeriod(str(exc), errors=[FieldError(pointer="#/query/period",
                                                             detail=str(exc))]) from exc

    return dependency


async def report_scope(
    session: DBSession, principal: ReportReader, department: DepartmentQuery = None,
    family: Annotated[RoleFamily | None, Query(description="Only this role family")] = None,
    front_line: Annotated[bool | None, Query(
        description="Only front-line (true) or other (false) employees")] = None,
) -> ReportScope:
    await give_report_memory(session)
    return await resolve_scope(session, principal, department=department, family=family,
                               front_line=front_line)


Scope = Annotated[ReportScope, Depends(report_scope)]
MonthPeriod = Annotated[periods.Period, Depends(period_param(periods.DefaultPeriod.MONTH))]
YearPeriod = Annotated[periods.Period, Depends(period_param(periods.DefaultPeriod.YEAR))]
AllTimePeriod = Annotated[periods.Period, Depends(period_param(periods.DefaultPeriod.ALL))]
Last12Months = Annotated[periods.Period,
                         Depends(period_param(periods.DefaultPeriod.LAST_12_MONTHS))]


async def department_scope(session: DBSession, principal: ReportReader,
                           department: DepartmentQuery = None) -> ReportScope:
    await give_report_memory(session)
    return await resolve_scope(session, principal, department=department, family=None,
                               front_line=None)


DepartmentScope = Annotated[ReportScope, Depends(department_scope)]
