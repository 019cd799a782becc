"""Leaderboards by period and scope, my rank with my neighbours, and whether my
name shows on boards."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query

from services.points_api.leaderboards.errors import NotInScope, ScopeValueRequired
from services.points_api.leaderboards.schemas import (
    Leaderboard,
    MyRank,
    PeriodKind,
    Privacy,
    PrivacyUpdate,
    Scope,
)
from services.points_api.leaderboards.service import MAX_YEAR, MIN_YEAR, leaderboards
from services.points_api.ledger.errors import AccountNotFound
from shared.auth import CurrentUser
from shared.contracts.fields import day
from shared.db import DBSession, DriverDB
from shared.dependencies import CompanyTZ
from shared.errors import BadCursor, problems
from shared.identity import EmployeeNoPath, EmployeeNoQuery
from shared.pagination import Cursor, Limit
from shared.routing import APIRouter

router = APIRouter(prefix="/points/v1", tags=["leaderboards"])

PeriodQuery = Annotated[PeriodKind, Query(description="month, quarter, year or all (time)")]
AtQuery = Annotated[Annotated[date, day(MIN_YEAR, MAX_YEAR)] | None, Query(
    description="A day in the period (company time zone); today when left out",
    examples=["2026-11-15"])]
ScopeQuery = Annotated[Scope, Query(
    description="company; department (with its sub-departments); family (job role family); "
                "front_line (front-line employees only)")]
ScopeValueQuery = Annotated[str | None, Query(
    pattern=r"^[A-Za-z0-9_.\-]{1,50}$",
    description="Department code (scope=department) or role family (scope=family)")]


@router.get("/leaderboards", response_model=Leaderboard, operation_id="get_leaderboard",
            summary="A leaderboard from the top",
            responses=problems(ScopeValueRequired, BadCursor))
async def get_leaderboard(db: DriverDB, principal: CurrentUser, tz: CompanyTZ,
                          period: PeriodQuery = "month", at: AtQuery = None,
                          scope: ScopeQuery = "company", scope_value: ScopeValueQuery = None,
                          limit: Limit = 50, cursor: Cursor = None) -> Leaderboard:
    """Employees by qualifying points earned in the period (``limit=10`` is the TOP 10),
    best first, continuing with ``cursor``. Ties share a rank (standard competition
    ranking 1, 2, 2, 4) and are listed by employee number. Spending points never
    lowers anyone's place. An employee who hides their name shows as 匿名 without an
    employee number, except to themself, HR and auditors. Any signed-in user."""
    return await leaderboards.top(db, period=period, at=at, scope=scope,
                                  scope_value=scope_value, limit=limit, cursor=cursor,
                                  principal=principal, tz=tz)


@router.get("/leaderboards/me", response_model=MyRank, operation_id="get_my_rank",
            summary="An employee's rank with the k above and below",
            responses=problems(AccountNotFound, NotInScope))
async def get_my_rank(db: DriverDB, principal: CurrentUser, tz: CompanyTZ,
                      employee_no: Annotated[EmployeeNoQuery, Query(
                          description="Whose rank; the caller's own when left out")] = None,
                      k: Annotated[int, Query(ge=0, le=50, description="Rows above and below")]
                      = 3,
                      period: PeriodQuery = "month", at: AtQuery = None,
                      scope: ScopeQuery = "company",
                      scope_value: ScopeValueQuery = None) -> MyRank:
    """The employee's rank on the board and up to ``k`` neighbours on either side, in
    board order. For department and family boards ``scope_value`` defaults to the
    employee's own department or family. Same visibility as the account: the
    employee, their managers, HR and auditors."""
    return await leaderboards.around(db, employee_no or principal.sub, period=period,
                                     at=at, scope=scope, scope_value=scope_value, k=k,
                                     principal=principal, tz=tz)


@router.get("/accounts/{employee_no}/privacy", response_model=Privacy,
            operation_id="get_board_privacy", summary="Whether my name shows on boards",
            responses=problems(AccountNotFound))
async def get_board_privacy(employee_no: EmployeeNoPath, session: DBSession,
                            principal: CurrentUser) -> Privacy:
    """The employee themself or HR."""
    return await leaderboards.privacy(session, employee_no, principal=principal)


@router.put("/accounts/{employee_no}/privacy", response_model=Privacy,
            operation_id="set_board_privacy", summary="Hide or show my name on boards",
            responses=problems(AccountNotFound))
async def set_board_privacy(employee_no: EmployeeNoPath, body: PrivacyUpdate,
                            session: DBSession, principal: CurrentUser) -> Privacy:
    """``hide_name_on_boards: true`` shows the employee as 匿名 on leaderboards and the
    honour roll to everyone but themself, HR and auditors; they stay ranked. The
    employee themself or HR; idempotent."""
    return await leaderboards.set_privacy(session, employee_no,
                                          hide_name=body.hide_name_on_boards,
                                          principal=principal)
