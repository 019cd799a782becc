"""Leaderboards: top N and "me and my neighbours" by period and scope.

Ranks are standard competition ranks (1, 2, 2, 4): 1 + the number of employees
on the board with more qualifying points in the period. Qualifying points never
fall when points are spent, so redeeming never costs a place. Only employees
with points in the period are listed; one without ranks after all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api import employee_copies
from services.points_api.leaderboards import repository as repo
from services.points_api.leaderboards.errors import NotInScope, ScopeValueRequired
from services.points_api.leaderboards.schemas import (
    ANONYMOUS,
    BoardRow,
    BoardWindow,
    Leaderboard,
    MyRank,
    PeriodKind,
    Privacy,
    Scope,
)
from services.points_api.ledger.accounts import may_see
from services.points_api.ledger.errors import AccountNotFound
from services.points_api.ledger.periods import local_midnight, period_bounds, period_keys
from services.points_api.ledger.schemas import CategoryPoints
from shared.auth import Principal
from shared.contracts.fields import FIRST_YEAR, LAST_YEAR
from shared.db import DriverConnection
from shared.errors import BadCursor, FieldError, InvalidRequest
from shared.pagination import decode_cursor, encode_cursor

_KIND_INDEX = {"month": 0, "quarter": 1, "year": 2, "all": 3}
MIN_YEAR, MAX_YEAR = FIRST_YEAR, LAST_YEAR  # as every date the API takes


def period_window(kind: PeriodKind, at: date, tz: tzinfo) -> tuple[str, date | None, date | None]:
    """The period key containing day ``at`` and its first and last day."""
    key = period_keys(local_midnight(at, tz), tz)[_KIND_INDEX[kind]]
    start, end = period_bounds(key, tz)
    if start is None or end is None:
        return key, None, None
    return key, start.astimezone(tz).date(), (end.astimezone(tz) - timedelta(days=1)).date()


def sees_hidden_names(principal: Principal) -> bool:
    return principal.has("hr_admin", "auditor")


def board_row(row: Any, rank: int, *, principal: Principal, me: str | None = None) -> BoardRow:
    hidden = bool(row["hide_name"])
    no = row["employee_no"]
    shown = not hidden or no == principal.sub or sees_hidden_names(principal)
    return BoardRow(
        rank=rank, employee_no=no if shown else None,
        name=(row["name"] or no) if shown else ANONYMOUS, name_hidden=hidden,
        points=row["points"], is_me=no == me,
        by_category=CategoryPoints(participation=row["participation_points"] or 0,
                                   outcome=row["outcome_points"] or 0,
                                   growth=row["growth_points"] or 0))


class LeaderboardService:
    async def top(self, db: DriverConnection, *, period: PeriodKind, at: date | None,
                  scope: Scope, scope_value: str | None, limit: int, cursor: str | None,
                  principal: Principal, tz: tzinfo) -> Leaderboard:
        """The board from the top, ``limit`` rows a page: one statement (two for a
        department's board, whose subtree is looked up first). For department and family
        boards ``scope_value`` defaults to the caller's own department or family."""
        if scope in ("department", "family") and scope_value is None:
            copy = await repo.copy_of(db, principal.sub)
            own = None if copy is None else (
                copy["job_role_family"] if scope == "family" else copy["department_code"])
            if own is None:
                raise ScopeValueRequired(
                    f"scope={scope} needs scope_value: {principal.sub} has no {scope} of "
                    "their own", errors=[FieldError(pointer="#/query/scope_value",
                                                    detail=f"required for scope={scope}")])
            scope_value = own
        window = self._window(period, at, scope, scope_value, tz)
        board = await self._board(db, window)
        after, last_rank, position = _decode_board_cursor(cursor)
        rows = await repo.top(db, board, limit=limit + 1, after=after)
        items: list[BoardRow] = []
        previous: int | None = after[0] if after else None
        for row in rows[:limit]:
            position += 1
            last_rank = last_rank if row["points"] == previous else position
            previous = row["points"]
            items.append(board_row(row, last_rank, principal=principal))
        more = len(rows) > limit
        next_cursor = encode_cursor([rows[limit - 1]["points"], rows[limit - 1]["employee_no"],
                                     last_rank, position]) if more else None
        return Leaderboard(**window.model_dump(), items=items, next_cursor=next_cursor)

    async def around(self, db: DriverConnection, employee_no: str, *, period: PeriodKind,
                     at: date | None, scope: Scope, scope_value: str | None, k: int,
                     principal: Principal, tz: tzinfo) -> MyRank:
        """The employee's rank with up to ``k`` rows above and below. ``scope_value``
        defaults to the employee's own department or family. Where the board does not
        depend on the employee (the company, front-line and a named family's boards)
        the employee's copy comes in the same statement as the board; otherwise the
        copy is read first."""
        if scope in ("company", "front_line") or (scope == "family" and scope_value):
            window = self._window(period, at, scope, scope_value, tz)
            rows = await repo.around(db, repo.Board(window.period_key, scope, window.scope_value),
                                     employee_no=employee_no, k=k, with_copy=True)
            copy = rows[0]["copy"]
            self._check_visible(principal, employee_no, copy, has_account=rows[0]["has_account"])
            self._own_scope_value(copy, scope, scope_value)
        else:
            copy = await repo.copy_of(db, employee_no)
            self._check_visible(principal, employee_no, copy, has_account=(
                copy is None and principal.is_privileged_reader
                and await repo.has_account(db, employee_no)))
            scope_value = self._own_scope_value(copy, scope, scope_value)
            window = self._window(period, at, scope, scope_value, tz)
            rows = await repo.around(db, await self._board(db, window),
                                     employee_no=employee_no, k=k)
        shown = [r for r in rows if r["part"] == "row"]
        higher: int = sum(r["n"] for r in rows if r["part"] == "higher")
        ties: dict[int, int] = {r["points"]: r["n"] for r in rows if r["part"] == "tie"}

        def rank_of(points: int) -> int:
            return 1 + higher + sum(n for value, n in ties.items() if value > points)

        shown.sort(key=lambda r: (-r["points"], r["employee_no"]))
        items = [board_row(r, rank_of(r["points"]), principal=principal, me=employee_no)
                 for r in shown]
        mine = next(item for item in items if item.is_me)
        return MyRank(**window.model_dump(), employee_no=employee_no, rank=mine.rank,
                      points=mine.points, items=items)

    async def privacy(self, session: AsyncSession, employee_no: str, *,
                      principal: Principal) -> Privacy:
        await self._ensure_self_or_hr(session, employee_no, principal)
        row = await repo.get_privacy(session, employee_no)
        return Privacy(employee_no=employee_no, hide_name_on_boards=bool(row and row.hide_name),
                       updated_by=row.updated_by if row else None,
                       updated_at=row.updated_at if row else None)

    async def set_privacy(self, session: AsyncSession, employee_no: str, *, hide_name: bool,
                          principal: Principal) -> Privacy:
        """The employee themself or HR."""
        await self._ensure_self_or_hr(session, employee_no, principal)
        row = await repo.set_privacy(session, employee_no, hide_name=hide_name,
                                     actor=principal.sub)
        return Privacy(employee_no=employee_no, hide_name_on_boards=row.hide_name,
                       updated_by=row.updated_by, updated_at=row.updated_at)

    # -- internals -------------------------------------------------------------------------

    def _window(self, period: PeriodKind, at: date | None, scope: Scope,
                scope_value: str | None, tz: tzinfo) -> BoardWindow:
        day = at or datetime.now(UTC).astimezone(tz).date()
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise InvalidRequest(f"at: {day} is out of range", errors=[FieldError(
                pointer="#/query/at", detail=f"a day in the years {MIN_YEAR}-{MAX_YEAR}")])
        key, starts_on, ends_on = period_window(period, day, tz)
        return BoardWindow(period=period, period_key=key, starts_on=starts_on, ends_on=ends_on,
                           scope=scope, scope_value=scope_value if scope in (
                               "department", "family") else None)

    async def _board(self, db: DriverConnection, window: BoardWindow) -> repo.Board:
        if window.scope != "department":
            return repo.Board(window.period_key, window.scope, window.scope_value)
        assert window.scope_value is not None
        # a department nobody belongs to (in points_api's copy) has an empty board
        path = await repo.department_path(db, window.scope_value) or [window.scope_value]
        return repo.Board(window.period_key, "department", repo.subtree_pattern(path))

    def _check_visible(self, principal: Principal, employee_no: str,
                       copy: Mapping[str, Any] | None, *, has_account: bool) -> None:
        """The account's rules decide, and a rank not visible answers 404 as the
        account would. ``has_account`` matters only when there is no copy."""
        if not may_see(principal, employee_no, copy, has_account=has_account):
            raise AccountNotFound(f"No account of employee {employee_no!r} visible to you")

    def _own_scope_value(self, copy: Any | None, scope: Scope,
                         scope_value: str | None) -> str | None:
        if scope not in ("department", "family", "front_line"):
            return scope_value
        if copy is None:
            raise NotInScope("points_api has no copy of this employee, so it cannot tell "
                             f"which {scope} board they are on")
        if scope == "front_line":
            if not copy["is_front_line"]:
                raise NotInScope("The employee is not front-line")
            return None
        own = copy["job_role_family"] if scope == "family" else None
        if scope == "family":
            if scope_value not in (None, own):
                raise NotInScope(f"The employee's role family is {own}, not {scope_value}")
            return own
        departments = [*copy["department_path"], copy["department_code"]]
        if scope_value is None:
            own_department: str = copy["department_code"]
            return own_department
        if scope_value not in departments:
            raise NotInScope(f"The employee does not belong to department {scope_value}")
        return scope_value

    async def _ensure_self_or_hr(self, session: AsyncSession, employee_no: str,
                                 principal: Principal) -> None:
        if principal.sub != employee_no and not principal.has("hr_admin"):
            raise AccountNotFound(f"No account of employee {employee_no!r} visible to you")
        if await employee_copies.get_copy(session, employee_no) is None:
            raise AccountNotFound(f"No employee {employee_no!r} is known to points_api")


def _decode_board_cursor(cursor: str | None) -> tuple[tuple[int, str] | None, int, int]:
    """(after (points, employee_no), rank of the last row, rows before the page)."""
    values = decode_cursor(cursor, arity=4)
    if values is None:
        return None, 0, 0
    points, employee_no, rank, position = values
    if not (isinstance(points, int) and isinstance(employee_no, str) and isinstance(rank, int)
            and isinstance(position, int)) or not 0 < rank <= position < 2**31:
        raise BadCursor("The cursor does not belong to this list")
    return (points, employee_no), rank, position


leaderboards = LeaderboardService()
