"""Training plans: HR assigns required courses with a due date; completion and who is
behind, as JSON or CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query, Request, Response

from services.training_api.courses.errors import UnknownCourse
from services.training_api.org.errors import DepartmentNotFound, UnknownDepartment, UnknownJobRole
from services.training_api.org.schemas import CODE_PATTERN
from services.training_api.plans import csv_tables, schemas
from services.training_api.plans.errors import PlanNotFound, StartsAfterDue, UnknownEmployees
from services.training_api.plans.service import plans
from services.training_api.reports.errors import (
    DepartmentRequired,
    InvalidPeriod,
    NotYourDepartment,
)
from services.training_api.reports.params import ReportReader, Scope, YearPeriod
from shared.auth import HRAdmin
from shared.db import DBSession
from shared.dependencies import CompanyToday, CompanyTZ
from shared.errors import BadCursor, problems
from shared.export import CSV_RESPONSE, Format, csv_response, wants_csv
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    decode_keyset,
    encode_cursor,
    text_key,
)
from shared.routing import APIRouter, created_or_ok, upsert_responses

router = APIRouter(prefix="/training/v1", tags=["training plans"])
PlanCode = Annotated[str, Path(pattern=CODE_PATTERN, description="The plan's code")]
SCOPE_PROBLEMS = (DepartmentRequired, NotYourDepartment, DepartmentNotFound)


@router.put("/training-plans/{code}", response_model=schemas.TrainingPlan,
            operation_id="upsert_training_plan", summary="Create or replace a training plan",
            responses=upsert_responses(schemas.TrainingPlan, UnknownCourse, UnknownJobRole,
                                       UnknownDepartment, UnknownEmployees, StartsAfterDue))
async def upsert_training_plan(code: PlanCode, body: schemas.TrainingPlanUpsert,
                               session: DBSession, principal: HRAdmin,
                               response: Response) -> schemas.TrainingPlan:
    """HR assigns required courses (``course_codes``) with a due date (``due_on``) to
    everyone in a job role and/or a department with its sub-departments, or to a list of
    employees (``employee_nos``). Idempotent by code: 201 when created, 200 when
    replaced. An employee completes the plan with a standing completion of every course
    on or after ``starts_on`` (any time when absent)."""
    plan, created = await plans.upsert(session, code, data=body, actor=principal.sub)
    created_or_ok(response, created)
    return plan


@router.get("/training-plans/{code}", response_model=schemas.TrainingPlan,
            operation_id="get_training_plan", summary="Get a training plan",
            responses=problems(PlanNotFound))
async def get_training_plan(code: PlanCode, session: DBSession,
                            _: ReportReader) -> schemas.TrainingPlan:
    """One plan with its courses and target. HR, auditors and managers read plans."""
    return await plans.get(session, code)


@router.get("/training-plans", response_model=Page[schemas.TrainingPlan],
            operation_id="list_training_plans", summary="List training plans",
            responses=problems(BadCursor))
async def list_training_plans(
    session: DBSession, _: ReportReader, limit: Limit = 50, cursor: Cursor = None,
    due_from: Annotated[date | None, Query(description="Due on or after this day")] = None,
    due_to: Annotated[date | None, Query(description="Due on or before this day")] = None,
) -> Page[schemas.TrainingPlan]:
    """Plans ordered by code, optionally by due date. HR, auditors and managers."""
    after = decode_keyset(cursor, text_key)
    items, last = await plans.list(session, after=after[0] if after else None, limit=limit,
                                   due_from=due_from, due_to=due_to)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)


@router.get("/reports/training-plans", response_model=schemas.PlansReport,
            operation_id="report_training_plans", summary="Training plan completion rate",
            responses={**CSV_RESPONSE, **problems(InvalidPeriod, *SCOPE_PROBLEMS)},
            tags=["reports"])
async def report_training_plans(request: Request, session: DBSession, scope: Scope,
                                period: YearPeriod, today: CompanyToday,
                                format: Format = None) -> schemas.PlansReport | Response:  # noqa: A002
    """Plans due in the period (default: the current year). Completion rate (计划完成率) =
    assignments (employee x plan) completed / assignments, where a plan applies to the
    active employees of its target hired by its due date, within the report's scope;
    ``on_time_rate`` counts completions by the end of the due date. Per plan, per course.
    Readable by HR and auditors for any scope, by managers for their departments."""
    report = await plans.report(session, scope=scope, period=period, today=today)
    return csv_response(csv_tables.report(report)) if wants_csv(request, format) else report


@router.get("/training-plans/{code}/behind", response_model=Page[schemas.BehindEmployee],
            operation_id="list_training_plan_behind", summary="Who is behind on a plan",
            responses={**CSV_RESPONSE, **problems(PlanNotFound, BadCursor, *SCOPE_PROBLEMS)})
async def list_training_plan_behind(
    request: Request, code: PlanCode, session: DBSession, scope: Scope, tz: CompanyTZ,
    today: CompanyToday, limit: Limit = 50, cursor: Cursor = None,
    format: Format = None,  # noqa: A002
) -> Page[schemas.BehindEmployee] | Response:
    """Employees the plan applies to (within the scope) who have not completed every
    course, by employee number, with the missing courses and whether the due date has
    passed. Paginated; the CSV holds every row. Readable by HR and auditors, and by
    managers for their departments."""
    if wants_csv(request, format):
        everyone, after = [], None
        while True:
            items, after = await plans.behind(session, code, scope=scope, tz=tz,
                                              today=today, after=after, limit=5000)
            everyone.extend(items)
            if after is None:
                return csv_response(csv_tables.behind(code, everyone))
    after_values = decode_keyset(cursor, text_key)
    items, last = await plans.behind(session, code, scope=scope, tz=tz, today=today,
                                     after=after_values[0] if after_values else None,
                                     limit=limit)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)
