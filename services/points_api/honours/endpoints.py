"""Honours: HR's settings, runs for a closed period (dry or applied), the runs so
far, and the honour roll."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from services.points_api.honours.errors import InvalidBands, PeriodNotClosed
from services.points_api.honours.schemas import (
    HonourEntry,
    HonourKind,
    HonourRun,
    HonourRunCreate,
    HonourRunResult,
    HonourSettings,
)
from services.points_api.honours.service import honours
from shared.auth import AuditReader, CurrentUser, HRAdmin
from shared.db import DBSession
from shared.dependencies import CompanyTZ
from shared.errors import BadCursor, problems
from shared.identity import EmployeeNoQuery
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    decode_id_cursor,
    decode_keyset,
    encode_cursor,
    encode_id_cursor,
    int_key,
)
from shared.routing import APIRouter

router = APIRouter(prefix="/points/v1", tags=["honours"])


@router.get("/honours/settings", response_model=HonourSettings,
            operation_id="get_honour_settings", summary="How honours are awarded")
async def get_honour_settings(session: DBSession, _: AuditReader) -> HonourSettings:
    """The monthly TOP N (rank bands and their bonus points, department boards) and
    the yearly top percent (title, bonus). Defaults until HR changes them: rank 1
    100 points, 2-3 60, 4-10 30; top 10% 年度优秀员工."""
    return await honours.settings(session)


@router.put("/honours/settings", response_model=HonourSettings,
            operation_id="put_honour_settings", summary="Change how honours are awarded",
            responses=problems(InvalidBands))
async def put_honour_settings(body: HonourSettings, session: DBSession,
                              principal: HRAdmin) -> HonourSettings:
    """HR only. Applies to runs from now on; honours already awarded stay. Bands that
    end before they start or overlap are 409 ``invalid-bands``."""
    return await honours.save_settings(session, body, actor=principal.sub)


@router.post("/honours/runs", response_model=HonourRunResult,
             operation_id="run_honours", summary="Award (or preview) a closed period's honours",
             responses=problems(PeriodNotClosed))
async def run_honours(body: HonourRunCreate, session: DBSession, principal: HRAdmin,
                      tz: CompanyTZ) -> HonourRunResult:
    """HR only. For a closed month (``2026-10``) or year (``2026``): the winners with
    their rank, points and bonus, each ``new`` or ``already_awarded``. With
    ``dry_run`` nothing changes. Otherwise new winners get their roll entry, bonus
    (growth points), notification and ``honour.awarded`` webhook; a monthly run also
    records streak qualification for the month after. Running again, or on two
    replicas at once, awards nothing twice. The job also runs by itself for the
    month and year that closed last. 409 ``period-not-closed`` before the end."""
    result = await honours.run(session, kind=body.kind, label=body.period,
                               dry_run=body.dry_run, actor=principal.sub, tz=tz)
    assert result is not None
    return result


@router.get("/honours/runs", response_model=Page[HonourRun], operation_id="list_honour_runs",
            summary="Runs of the honours job", responses=problems(BadCursor))
async def list_honour_runs(session: DBSession, _: AuditReader, limit: Limit = 50,
                           cursor: Cursor = None) -> Page[HonourRun]:
    """Newest first, by HR (their subject) or by the job itself (``system:honours``)."""
    items, last = await honours.runs(session, before_id=decode_id_cursor(cursor), limit=limit)
    return Page(items=items, next_cursor=encode_id_cursor(last))


@router.get("/honours", response_model=Page[HonourEntry], operation_id="list_honours",
            summary="The honour roll", responses=problems(BadCursor))
async def list_honours(
    session: DBSession, principal: CurrentUser, limit: Limit = 50, cursor: Cursor = None,
    kind: HonourKind | None = None,
    period: Annotated[str | None, Query(pattern=r"^\d{4}(-(0[1-9]|1[0-2]))?$",
                                        description="2026-10 (a month) or 2026 (a year)")]
    = None,
    employee_no: EmployeeNoQuery = None,
) -> Page[HonourEntry]:
    """Newest period first, then by board and rank. Any signed-in user; an employee
    who hides their name shows as 匿名 to others."""
    offset = _offset(cursor)
    items = await honours.roll(session, kind=kind, label=period, employee_no=employee_no,
                               offset=offset, limit=limit + 1, principal=principal)
    more = len(items) > limit
    return Page(items=items[:limit], next_cursor=encode_cursor([offset + limit]) if more else None)


def _offset(cursor: str | None) -> int:
    values = decode_keyset(cursor, int_key)
    if values is None:
        return 0
    if not 0 < values[0] < 2**31:
        raise BadCursor("The cursor does not belong to this list")
    return values[0]
