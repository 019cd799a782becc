"""Training demand: changes HR knows are coming and their forecasts, the draft boost
they propose, and the monthly demand forecast of courses and skills."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Path, Query, Request, Response, status

from services.training_api.changes import schemas
from services.training_api.changes.demand_report import demand_report
from services.training_api.changes.errors import (
    ChangeNotFound,
    NothingToBoost,
    PlannedHireNotFound,
    UnknownReference,
)
from services.training_api.changes.forecast import forecast, needing_page
from services.training_api.changes.hires import planned
from services.training_api.changes.incentive import propose_draft
from services.training_api.changes.service import changes
from services.training_api.clients.points_rules import DraftRefused, RuleSets
from services.training_api.org.errors import DepartmentNotFound
from services.training_api.org.schemas import CODE_PATTERN
from services.training_api.reports.errors import DepartmentRequired, NotYourDepartment
from services.training_api.reports.params import DepartmentScope
from shared.auth import HRAdmin, OrgWriter, Principal, require_roles
from shared.db import DBSession
from shared.dependencies import company_today
from shared.errors import BadCursor, DependencyUnavailable, problems
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    decode_keyset,
    encode_cursor,
    text_key,
)
from shared.routing import APIRouter, created_or_ok, upsert_responses

router = APIRouter(prefix="/training/v1", tags=["training demand"])
ChangeCode = Annotated[str, Path(pattern=CODE_PATTERN, description="The change's code")]
HireCode = Annotated[str, Path(pattern=CODE_PATTERN, description=(
    "The planned hire's code in the HR suite (its requisition)"))]
Reader = Annotated[Principal, Depends(require_roles("hr_admin", "auditor", "integration"))]
Planner = Annotated[Principal, Depends(require_roles("hr_admin", "auditor"))]


def _cursor(cursor: str | None) -> str | None:
    values = decode_keyset(cursor, text_key)
    return values[0] if values else None


@router.put("/changes/{code}", response_model=schemas.Change, operation_id="upsert_change",
            summary="Record a change that is coming (new equipment, process, product line)",
            responses=upsert_responses(schemas.Change, UnknownReference))
async def upsert_change(code: ChangeCode, body: schemas.ChangeUpsert, session: DBSession,
                        principal: OrgWriter, response: Response) -> schemas.Change:
    """Idempotent upsert by code (201 created, 200 replaced): its name, kind, go-live
    day, the skills and levels it requires, the departments (sub-departments included)
    and job roles it affects (empty: all), and the share of them that must be ready at
    go-live (default 0.9). Every skill, department and role must exist (409
    ``unknown-reference``, one pointer each)."""
    change, created = await changes.upsert(session, code, body, actor=principal.sub)
    created_or_ok(response, created)
    return change


@router.get("/changes/{code}", response_model=schemas.Change, operation_id="get_change",
            summary="A change", responses=problems(ChangeNotFound))
async def get_change(code: ChangeCode, session: DBSession, _: Reader) -> schemas.Change:
    """HR, auditors and integrations."""
    return await changes.get(session, code)


@router.get("/changes", response_model=Page[schemas.Change], operation_id="list_changes",
            summary="Changes, by code", responses=problems(BadCursor))
async def list_changes(session: DBSession, _: Reader, limit: Limit = 50,
                       cursor: Cursor = None) -> Page[schemas.Change]:
    """HR, auditors and integrations; paginated by code."""
    items, last = await changes.list(session, after=_cursor(cursor), limit=limit)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)


@router.get("/changes/{code}/forecast", response_model=schemas.Forecast,
            operation_id="get_change_forecast", summary="Who needs what by the go-live",
            responses=problems(ChangeNotFound))
async def get_change_forecast(
    code: ChangeCode, request: Request, session: DBSession, _: Planner,
    class_size: Annotated[int, Query(ge=1, le=500, description=(
        "Seats of one class of a course taught in classes (offline, practical, live)"))] = 20,
) -> schemas.Forecast:
    """HR and auditors. The active employees in the change's scope below a required
    level (skill records' current levels); per skill the courses teaching it at the
    level; per course the seats still to fill, seats and sessions a week to fill them
    before go-live; the readiness curve week by week, projected from the plant's own
    history (Kaplan-Meier time from the first course teaching a skill to proving it at
    the level, for the role, else the skill, else every required skill); a warning
    with the gap below the target share; and the proposed time-boxed boost."""
    return await forecast(session, code, today=company_today(request),
                          tz=request.app.state.settings.tz, class_size=class_size)


@router.get("/changes/{code}/forecast/employees", response_model=Page[schemas.NeedingEmployee],
            operation_id="list_change_needs", summary="Who needs which skill for a change",
            responses=problems(ChangeNotFound, BadCursor))
async def list_change_needs(code: ChangeCode, session: DBSession, _: Planner,
                            limit: Limit = 50, cursor: Cursor = None
                            ) -> Page[schemas.NeedingEmployee]:
    """HR and auditors: the affected employees below a required level, by employee
    number, each with the skills, the level required and their current level."""
    items, last = await needing_page(session, code, after=_cursor(cursor), limit=limit)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)


@router.post("/changes/{code}/incentive-draft", response_model=schemas.IncentiveDraft,
             status_code=status.HTTP_201_CREATED, operation_id="draft_change_incentive",
             summary="Put the proposed boost in a draft rule-set version",
             responses=problems(ChangeNotFound, NothingToBoost, DraftRefused,
                                DependencyUnavailable))
async def draft_change_incentive(code: ChangeCode, body: schemas.IncentiveDraftCreate,
                                 request: Request, session: DBSession, _: HRAdmin,
                                 rule_sets: RuleSets) -> schemas.IncentiveDraft:
    """HR only. A new draft version of points_api's rule set, created with your own
    token: the rules in force plus a multiplier (``factor``, default 1.5) of the
    participation points of the courses that close the gap, from tomorrow to the end of
    the go-live day. Nothing is published: try it with
    ``POST /points/v1/rule-sets/{version}/simulations`` and publish it there if you
    will. 409 ``nothing-to-boost`` when no course in the catalogue closes the gap."""
    return await propose_draft(
        session, code, factor=body.factor, today=company_today(request),
        tz=request.app.state.settings.tz,
        authorization=request.headers.get("authorization", ""), rule_sets=rule_sets)


@router.get("/reports/training-demand", response_model=schemas.DemandReport,
            operation_id="report_training_demand",
            summary="Monthly completions forecast, with the backtest beside",
            responses=problems(DepartmentRequired, NotYourDepartment, DepartmentNotFound))
async def report_training_demand(
    request: Request, session: DBSession, scope: DepartmentScope,
    by: Annotated[Literal["course", "skill"], Query(description="Per course or per skill")]
    = "course",
    horizon: Annotated[int, Query(ge=1, le=12, description="Months to forecast")] = 3,
) -> schemas.DemandReport:
    """Standing completions per month (of the scope's current employees when a
    department is given) over the complete months of up to three years, the forecast of
    the current month and the next, per series by the method with the smaller rolling
    backtest error among exponential smoothing (statsmodels), naive and seasonal naive
    (the method of the history's length when it is too short to backtest), and per
    series each candidate's backtest MAPE and MASE, the chosen one's beside the naive
    forecast's. HR and auditors, managers for their departments."""
    return await demand_report(session, by=by, scope=scope, horizon=horizon,
                               today=company_today(request), tz=request.app.state.settings.tz)



@router.put("/planned-hires/{code}", response_model=schemas.PlannedHire,
            operation_id="upsert_planned_hire",
            summary="Record hires the HR suite plans (a requisition)",
            responses=upsert_responses(schemas.PlannedHire, UnknownReference))
async def upsert_planned_hire(code: HireCode, body: schemas.PlannedHireUpsert,
                              session: DBSession, principal: OrgWriter,
                              response: Response) -> schemas.PlannedHire:
    """Idempotent upsert by code (201 created, 200 replaced): how many of a job role
    start in a department in a month. HR and integrations. The department and the role
    must exist (409 ``unknown-reference``). Their onboarding (every skill of the role's
    competency model) is counted in the training-demand report's forecast months."""
    hire, created = await planned.upsert(session, code, body, actor=principal.sub)
    created_or_ok(response, created)
    return hire


@router.get("/planned-hires/{code}", response_model=schemas.PlannedHire,
            operation_id="get_planned_hire", summary="A planned hire",
            responses=problems(PlannedHireNotFound))
async def get_planned_hire(code: HireCode, session: DBSession, _: Reader) -> schemas.PlannedHire:
    """HR, auditors and integrations."""
    return await planned.get(session, code)


@router.delete("/planned-hires/{code}", status_code=status.HTTP_204_NO_CONTENT,
               operation_id="delete_planned_hire", summary="Withdraw a planned hire",
               responses=problems(PlannedHireNotFound))
async def delete_planned_hire(code: HireCode, session: DBSession, _: OrgWriter) -> Response:
    """A requisition withdrawn in the HR suite (or send it with ``headcount`` 0). HR and
    integrations; an unknown code is 404."""
    await planned.delete(session, code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/planned-hires", response_model=Page[schemas.PlannedHire],
            operation_id="list_planned_hires", summary="Planned hires, by code",
            responses=problems(BadCursor))
async def list_planned_hires(
    session: DBSession, _: Reader, limit: Limit = 50, cursor: Cursor = None,
    department_code: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    job_role_code: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    since: Annotated[str | None, Query(pattern=schemas.HIRE_MONTH_PATTERN, description=(
        "Only those starting in this month (YYYY-MM) or later"))] = None,
) -> Page[schemas.PlannedHire]:
    """HR, auditors and integrations; paginated by code."""
    items, last = await planned.list(session, after=_cursor(cursor), limit=limit,
                                      department_code=department_code,
                                      job_role_code=job_role_code, since=since)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)
