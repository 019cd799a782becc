"""Accounts and ledger entries: reads, HR adjustments and reversals."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Annotated

from fastapi import Path, Query, Request, status

from services.points_api.ledger.accounts import accounts
from services.points_api.ledger.errors import (
    AccountNotFound,
    EntryAlreadyReversed,
    EntryIsReversal,
    EntryNotFound,
    FactPointsNotFound,
    InsufficientPoints,
    InvalidEntryFilter,
    SelfAdjustment,
)
from services.points_api.ledger.periods import (
    parse_bound,
    period_bounds,
)
from services.points_api.ledger.repository import EntryFilters
from services.points_api.ledger.schemas import (
    Account,
    AdjustmentCreate,
    Entry,
    EntryKind,
    FactPoints,
    ReversalCreate,
)
from services.points_api.ledger.service import ledger
from services.points_api.rules.schemas import Category
from shared.auth import CurrentUser, HRAdmin
from shared.contracts.fields import MAX_ID, DayOrTime
from shared.db import DBSession, DriverDB
from shared.dependencies import CompanyTZ
from shared.errors import BadCursor, FieldError, problems
from shared.identity import EmployeeNoPath
from shared.pagination import Cursor, Limit, Page, decode_id_cursor, encode_id_cursor
from shared.periods import PERIOD_PATTERN
from shared.routing import APIRouter
from shared.service_auth import FromRewards

router = APIRouter(prefix="/points/v1", tags=["ledger"])
internal_router = APIRouter(prefix="/points/v1/internal", tags=["internal"],
                            include_in_schema=False)
EntryIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
TimeBound = Annotated[DayOrTime | None, Query(
    description="A date (YYYY-MM-DD, in the company's time zone) or an RFC 3339 time with "
                "its offset")]


# A long poll answers within the 10 s a client may wait for any answer; it polls again.
MAX_WAIT = 8

@router.get("/accounts/{employee_no}", response_model=Account, operation_id="get_account",
            summary="An employee's balances, this month's points and rank",
            responses=problems(AccountNotFound))
async def get_account(employee_no: EmployeeNoPath, db: DriverDB, principal: CurrentUser,
                      tz: CompanyTZ) -> Account:
    """Spendable and held balance, qualifying points (all time, by category), and this
    month's points with the company rank. Employees read their own, managers those
    of their departments, HR, auditors and integrations all; others answer 404."""
    return await accounts.get(db, employee_no, principal=principal, tz=tz)


@internal_router.get("/accounts/{employee_no}", response_model=Account,
                     operation_id="get_account_for_rewards",
                     summary="An employee's balances, for rewards_api",
                     responses=problems(AccountNotFound))
async def get_account_for_rewards(employee_no: EmployeeNoPath, db: DriverDB,
                                  caller: FromRewards, tz: CompanyTZ) -> Account:
    """The account as its owner sees it: the catalogue shows spendable points beside
    each cost."""
    return await accounts.get(db, employee_no, principal=caller, tz=tz)


@router.get("/accounts/{employee_no}/entries", response_model=Page[Entry],
            operation_id="list_account_entries", summary="An employee's ledger entries",
            responses=problems(AccountNotFound, BadCursor,
                                                         InvalidEntryFilter))
async def list_account_entries(
    employee_no: EmployeeNoPath, db: DriverDB, principal: CurrentUser, tz: CompanyTZ,
    limit: Limit = 50, cursor: Cursor = None, category: Category | None = None,
    kind: EntryKind | None = None,
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN, examples=["M2026-11"],
                                        description="M2026-11, Q2026-4, Y2026 or ALL")] = None,
    from_: Annotated[TimeBound, Query(alias="from")] = None,
    to: TimeBound = None,
) -> Page[Entry]:
    """Newest first, each with its reason, rule and rule-set version, source event and
    fact, and reversal links. Filters: ``category``, ``kind``, ``period`` and
    ``from`` (inclusive) / ``to`` (exclusive; a date includes that whole day) on the
    time the points were earned. Same visibility as the account."""
    filters = _filters(category, kind, period, from_, to, tz)
    items, last = await accounts.entries(db, employee_no, filters=filters,
                                         principal=principal,
                                         before_id=decode_id_cursor(cursor), limit=limit)
    return Page(items=items, next_cursor=encode_id_cursor(last))


@router.get("/facts/{fact_id}/points", response_model=FactPoints,
            operation_id="get_fact_points", summary="The points of one training fact",
            responses=problems(FactPointsNotFound))
async def get_fact_points(
    fact_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$",
                                 description="The id of the training record")],
    request: Request, principal: CurrentUser, tz: CompanyTZ,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT, description=(
        "Seconds to wait for the fact's event to be applied before answering "
        "pending (a long poll; at most 8, so that every answer comes within 10 s)"))] = 0,
) -> FactPoints:
    """The outcome URL of a recording answered ``pending``: ``applied`` with the
    entries the fact earned and the employee's balance, month points and rank as
    they are now, or ``pending`` while points_api has not taken its event (``wait``
    holds the answer until it has, or the time is up). Same visibility as the
    account."""
    return await accounts.fact_points(request.app.state.engine, fact_id, principal=principal,
                                      tz=tz, wait=wait)


@router.get("/entries/{entry_id}", response_model=Entry, operation_id="get_entry",
            summary="One ledger entry", responses=problems(EntryNotFound))
async def get_entry(entry_id: EntryIdPath, session: DBSession,
                    principal: CurrentUser) -> Entry:
    """One entry with its reversal links; visible to whoever may read its account."""
    return await accounts.entry(session, entry_id, principal=principal)


@router.post("/accounts/{employee_no}/adjustments", response_model=Entry,
             status_code=status.HTTP_201_CREATED, operation_id="adjust_points",
             summary="Add or take away points by hand",
             responses=problems(AccountNotFound, InsufficientPoints, SelfAdjustment))
async def adjust_points(employee_no: EmployeeNoPath, body: AdjustmentCreate,
                        session: DBSession, principal: HRAdmin, tz: CompanyTZ) -> Entry:
    """HR only. An ``adjust`` entry that moves the spendable and the qualifying points
    of the category, keeping the HR user (token subject) and the mandatory reason.
    Taking away more than the spendable balance is 409 ``insufficient-points``; HR's
    own account is 403 ``self-adjustment`` (another HR administrator adjusts it).
    Send an ``Idempotency-Key`` so that a retry does not adjust twice."""
    return await ledger.adjust(session, employee_no, data=body, actor=principal.sub, tz=tz)


@router.post("/entries/{entry_id}/reverse", response_model=Entry,
             status_code=status.HTTP_201_CREATED, operation_id="reverse_entry",
             summary="Reverse an entry with a compensating entry",
             responses=problems(
                 EntryNotFound, EntryAlreadyReversed, EntryIsReversal, SelfAdjustment))
async def reverse_entry(entry_id: EntryIdPath, body: ReversalCreate, session: DBSession,
                        principal: HRAdmin, tz: CompanyTZ) -> Entry:
    """HR only. Appends a ``reverse`` entry that cancels the entry (the entry itself
    never changes). Points already spent stay spent: the reversal takes no more than
    the spendable balance and records the rest as ``details.shortfall``. An entry is
    reversed at most once (409 ``entry-already-reversed``); a reversal cannot be
    reversed (409 ``entry-is-reversal``); an entry of HR's own account is 403
    ``self-adjustment``."""
    return await ledger.reverse_entry(session, entry_id, data=body, actor=principal.sub, tz=tz)


def _filters(category: str | None, kind: str | None, period: str | None, start: str | None,
             end: str | None, tz: tzinfo) -> EntryFilters:
    filters = EntryFilters(category=category, kind=kind)
    if period is not None:
        try:
            filters.start, filters.end = period_bounds(period, tz)
        except ValueError as exc:
            raise _invalid("period", str(exc)) from exc
    lower = _parse_bound("from", start, tz)
    upper = _parse_bound("to", end, tz)
    if lower is not None:
        filters.start = max(filters.start, lower) if filters.start else lower
    if upper is not None:
        filters.end = min(filters.end, upper) if filters.end else upper
    return filters


def _parse_bound(name: str, value: str | None, tz: tzinfo) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_bound(value, tz, upper=name == "to")
    except ValueError as exc:
        raise _invalid(name, str(exc)) from exc


def _invalid(name: str, detail: str) -> InvalidEntryFilter:
    return InvalidEntryFilter(f"{name}: {detail}",
                              errors=[FieldError(pointer=f"#/query/{name}", detail=detail)])
