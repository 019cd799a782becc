"""Training metrics for HR, auditors and managers (their departments), as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response

from services.training_api.clients.points_analytics import PointsAnalytics
from services.training_api.org.errors import DepartmentNotFound
from services.training_api.org.schemas import CODE_PATTERN
from services.training_api.recommendations.schemas import UptakeReport
from services.training_api.recommendations.service import current_settings
from services.training_api.recommendations.uptake import uptake
from services.training_api.reports import csv_tables, schemas
from services.training_api.reports.errors import (
    DepartmentRequired,
    InvalidPeriod,
    NotYourDepartment,
)
from services.training_api.reports.params import (
    AllTimePeriod,
    Last12Months,
    MonthPeriod,
    Scope,
    YearPeriod,
)
from services.training_api.reports.pilots import pilot_comparison
from services.training_api.reports.scope import GroupBy
from services.training_api.reports.service import metrics
from shared.db import DBSession
from shared.errors import BadCursor, DependencyUnavailable, problems
from shared.export import CSV_RESPONSE, Format, csv_response, wants_csv
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    decode_keyset,
    encode_cursor,
    text_key,
)
from shared.routing import APIRouter

router = APIRouter(prefix="/training/v1/reports", tags=["reports"])
REPORT_PROBLEMS = (InvalidPeriod, DepartmentRequired, NotYourDepartment, DepartmentNotFound)
GroupByQuery = Annotated[GroupBy | None, Query(
    description="One row per sub-department of the scope (department), role family, job "
                "role, front-line flag, or pilot against the rest")]


def report_responses(*extra: Any) -> dict[int | str, dict[str, Any]]:
    return {**CSV_RESPONSE, **problems(*REPORT_PROBLEMS, *extra)}


@router.get("/participation", response_model=schemas.ParticipationReport,
            operation_id="report_participation", summary="Training participation rate",
            responses=report_responses())
async def participation(request: Request, session: DBSession, scope: Scope,
                        period: MonthPeriod, group_by: GroupByQuery = None,
                        format: Format = None) -> schemas.ParticipationReport | Response:  # noqa: A002
    """Participation rate (参与率) = employees with at least one standing (not voided)
    training record of any kind in the period / active employees hired by the period's
    last day; for everyone and for front-line employees. Default period: the current
    month.
    Readable by HR and auditors for any scope, by managers for their departments."""
    report = await metrics.participation(session, scope=scope, period=period,
                                         group_by=group_by)
    return csv_response(csv_tables.participation(report)) if wants_csv(request, format) else report


@router.get("/skill-attainment", response_model=schemas.AttainmentReport,
            operation_id="report_skill_attainment", summary="Skill attainment rate",
            responses=report_responses())
async def skill_attainment(request: Request, session: DBSession, scope: Scope,
                           period: MonthPeriod, group_by: GroupByQuery = None,
                           format: Format = None) -> schemas.AttainmentReport | Response:  # noqa: A002
    """Skill attainment rate (岗位技能达标率) = employees holding every skill their role's
    competency model requires (proven by a standing passed exam or practical assessment
    by the period's last day) / active employees whose role requires skills. Per skill:
    employees needing it, holding it, lacking it. Default: as of the end of the current
    month.
    Readable by HR and auditors for any scope, by managers for their departments."""
    report = await metrics.attainment(session, scope=scope, period=period, group_by=group_by)
    return csv_response(csv_tables.attainment(report)) if wants_csv(request, format) else report


@router.get("/skill-gaps", response_model=Page[schemas.LackingEmployee],
            operation_id="report_skill_gaps", summary="Who lacks which required skill",
            responses=report_responses(BadCursor))
async def skill_gaps(request: Request, session: DBSession, scope: Scope, period: MonthPeriod,
                     skill: Annotated[str | None, Query(
                         pattern=CODE_PATTERN, description="Only employees lacking this "
                                                           "skill")] = None,
                     limit: Limit = 50, cursor: Cursor = None,
                     format: Format = None) -> Page[schemas.LackingEmployee] | Response:  # noqa: A002
    """Employees whose role requires skills they do not hold at the period's end, by
    employee number, with the missing skills. Paginated; the CSV holds every row (limit
    and cursor do not apply).
    Readable by HR and auditors for any scope, by managers for their departments."""
    if wants_csv(request, format):
        everyone = await _all_lacking(session, scope, period, skill)
        return csv_response(csv_tables.lacking(everyone, skill))
    after = decode_keyset(cursor, text_key)
    items, last = await metrics.lacking(session, scope=scope, period=period, skill_code=skill,
                                        after=after[0] if after else None, limit=limit)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)


async def _all_lacking(session: DBSession, scope: Any, period: Any,
                       skill: str | None) -> list[schemas.LackingEmployee]:
    out: list[schemas.LackingEmployee] = []
    after = None
    while True:
        items, after = await metrics.lacking(session, scope=scope, period=period,
                                             skill_code=skill, after=after, limit=5000)
        out.extend(items)
        if after is None:
            return out


@router.get("/time-to-competency", response_model=schemas.TimeToCompetencyReport,
            operation_id="report_time_to_competency", summary="Time to competency of new hires",
            responses=report_responses())
async def time_to_competency(request: Request, session: DBSession, scope: Scope,
                             period: Last12Months,
                             format: Format = None) -> schemas.TimeToCompetencyReport | Response:  # noqa: A002
    """New hires (hired_on in the period) per hiring month: how many now hold every skill
    their role requires, the median days from hired_on to the day the last of them was
    first proven (company calendar; skills proven before hiring count as day 0) and the
    distribution of those days. Hires whose role requires nothing are not counted.
    Default period: the current month and the 11 before it.
    Readable by HR and auditors for any scope, by managers for their departments."""
    report = await metrics.time_to_competency(session, scope=scope, period=period)
    if wants_csv(request, format):
        return csv_response(csv_tables.time_to_competency(report))
    return report


@router.get("/effectiveness", response_model=schemas.EffectivenessReport,
            operation_id="report_effectiveness",
            summary="Skill attainment of the top 20% by points against the bottom 20%",
            responses=report_responses(DependencyUnavailable))
async def effectiveness(request: Request, session: DBSession, scope: Scope,
                        period: AllTimePeriod, points_api: PointsAnalytics,
                        fraction: Annotated[float, Query(
                            gt=0, le=0.5, description="Size of each set (default 0.2)")] = 0.2,
                        format: Format = None) -> schemas.EffectivenessReport | Response:  # noqa: A002
    """points_api ranks the scope's active employees hired by the period's last day by
    the qualifying points they earned in the period (ties by employee number) and names
    the top and bottom ``fraction`` (floor(employees x fraction), at least one each from
    two employees on); this report
    measures each set's skill attainment at the period's end. ``difference`` = top rate
    - bottom rate; ``relative_difference`` = top rate / bottom rate - 1. Points are
    totalled per month, so a custom range is widened to the whole months it touches (the
    answer's ``period`` says which); default ALL. 503 with Retry-After when points_api
    cannot answer.
    Readable by HR and auditors for any scope, by managers for their departments."""
    report = await metrics.effectiveness(session, scope=scope, period=period,
                                         fraction=fraction, points=points_api)
    return csv_response(csv_tables.effectiveness(report)) if wants_csv(request, format) else report


@router.get("/pilot-comparison", response_model=schemas.PilotComparison,
            operation_id="report_pilot_comparison", summary="Pilot departments against the rest",
            responses=report_responses(DependencyUnavailable))
async def report_pilot_comparison(request: Request, session: DBSession, scope: Scope,
                                  period: YearPeriod, points_api: PointsAnalytics,
                                  format: Format = None) -> schemas.PilotComparison | Response:  # noqa: A002
    """Employees of pilot departments (试点, with their sub-departments) against the rest
    of the scope: participation rate, front-line participation rate, completion rate of
    the training plans due in the period, skill attainment at the period's end, and
    qualifying points per head earned in the period (from points_api, over the group's
    ``employees``; null when the period is not whole months). Default period: the
    current year. 503 with Retry-After when points_api cannot answer.
    Readable by HR and auditors for any scope, by managers for their departments."""
    report = await pilot_comparison.compare(session, scope=scope, period=period,
                                            points=points_api)
    if wants_csv(request, format):
        return csv_response(csv_tables.pilot_comparison(report))
    return report


@router.get("/recommendation-uptake", response_model=UptakeReport,
            operation_id="report_recommendation_uptake",
            summary="Recommendations shown and taken, and participation of those who took one",
            responses=report_responses())
async def recommendation_uptake(request: Request, session: DBSession, scope: Scope,
                                period: MonthPeriod, group_by: GroupByQuery = None,
                                format: Format = None) -> UptakeReport | Response:  # noqa: A002
    """Recommendations (employee x course) first shown to the employee themself in the
    period, how many were taken (a standing completion between being shown and HR's
    ``taken_within_days`` after the last showing) and the taken rate, per group and
    per reason; and the participation of the employees who took one, who were shown
    some and took none, and who were shown none (records per head with and without
    the completions that took a recommendation). Default period: the current month.
    Readable by HR and auditors for any scope, by managers for their departments."""
    settings = await current_settings(session)
    report = await uptake(session, scope=scope, period=period, group_by=group_by,
                          taken_within_days=settings.taken_within_days)
    return csv_response(csv_tables.uptake(report)) if wants_csv(request, format) else report

