"""The points mix report and the target mix HR sets for it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from services.points_api.mix import csv_tables
from services.points_api.mix.errors import DepartmentNotFound, InvalidPeriod, InvalidTargets
from services.points_api.mix.repository import MixScope
from services.points_api.mix.schemas import PointsMixReport, Targets, TargetsUpdate
from services.points_api.mix.service import points_mix
from shared.auth import AuditReader, HRAdmin
from shared.db import DBSession
from shared.dependencies import CompanyTZ
from shared.errors import BadCursor, problems
from shared.export import CSV_RESPONSE, Format, csv_response, wants_csv
from shared.pagination import Cursor, Limit, Page, decode_id_cursor, encode_id_cursor
from shared.periods import PERIOD_PATTERN
from shared.routing import APIRouter

router = APIRouter(prefix="/points/v1", tags=["points mix"])


@router.get("/reports/points-mix", response_model=PointsMixReport,
            operation_id="report_points_mix", summary="Points by category and source "
                                                      "against the target mix",
            responses={**CSV_RESPONSE, **problems(InvalidPeriod, DepartmentNotFound)})
async def report_points_mix(
    request: Request, session: DBSession, _: AuditReader, tz: CompanyTZ,
    period: Annotated[str | None, Query(
        pattern=PERIOD_PATTERN, examples=["M2026-11"],
        description="M2026-11, Q2026-4, Y2026 or ALL (default: the current month, "
                    "company calendar)")] = None,
    department: Annotated[str | None, Query(
        pattern=r"^[A-Za-z0-9_.\-]{1,50}$",
        description="Department code; its sub-departments are included")] = None,
    family: Annotated[str | None, Query(
        pattern=r"^[a-z_]{1,20}$", description="Only this role family (production, ...)")]
    = None,
    front_line: Annotated[bool | None, Query(
        description="Only front-line (true) or other (false) employees")] = None,
    format: Format = None,  # noqa: A002
) -> PointsMixReport | Response:
    """The qualifying points the rules paid in the period, net of reversals: per
    category (参与度/成果/成长) with its share, target, band and status (ok, below,
    above); per source (the rule that paid them, with its name, points, share, entries
    and reversals); per named source target (e.g. 实操任务) its share and status; and
    an alert with a suggestion for each category or named source outside its band.
    HR's adjustments are reported beside the mix and not counted in its shares. With
    nothing earned the shares and statuses are null and nothing alerts.

    Scope: employees by their current department (sub-departments included), role
    family and front-line flag as points_api's copy knows them; an unknown department
    is 404. CSV with ``format=csv`` or ``Accept: text/csv``. HR and auditors."""
    report = await points_mix.report(
        session, period=period, tz=tz,
        scope=MixScope(department=department, family=family, front_line=front_line))
    return csv_response(csv_tables.points_mix(report)) if wants_csv(request, format) else report


@router.get("/points-mix/targets", response_model=Targets,
            operation_id="get_points_mix_targets", summary="The target mix in force")
async def get_points_mix_targets(session: DBSession, _: AuditReader) -> Targets:
    """Each category's target share of the points and its tolerance, and the named
    sources with their least and/or most share; who set them and when
    (``is_default: true`` while HR has set nothing: 40/50/10 with 5 points of
    tolerance, 实操任务 at least 20%). HR and auditors."""
    return await points_mix.targets(session)


@router.put("/points-mix/targets", response_model=Targets,
            operation_id="set_points_mix_targets", summary="Set the target mix",
            responses=problems(InvalidTargets))
async def set_points_mix_targets(body: TargetsUpdate, session: DBSession,
                                 principal: HRAdmin) -> Targets:
    """HR only. Replaces the targets with a new version that records who set it and
    when (the versions before stay readable in the history); sending the targets in
    force changes nothing. The category targets must add up to 100; a named source
    needs ``min_percent``, ``max_percent`` or both, and a label of its own (422
    ``invalid-targets``, one pointer per problem)."""
    return await points_mix.set_targets(session, data=body, actor=principal.sub)


@router.get("/points-mix/targets/history", response_model=Page[Targets],
            operation_id="list_points_mix_targets", summary="Every version of the target mix",
            responses=problems(BadCursor))
async def list_points_mix_targets(session: DBSession, _: AuditReader, limit: Limit = 50,
                                  cursor: Cursor = None) -> Page[Targets]:
    """Newest first, each with who set it, when and why. HR and auditors."""
    items, last = await points_mix.history(session, before=decode_id_cursor(cursor),
                                           limit=limit)
    return Page(items=items, next_cursor=encode_id_cursor(last))
