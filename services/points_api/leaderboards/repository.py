"""Queries of the boards, all on ``period_total`` and its indexes.

Company boards range over ``(period, points DESC, employee_no)``; family and
front-line boards over their own indexes of the same shape; a department board
over the subtree's range of ``(period, department_key)``. Nothing sums the
ledger. Ranks are ``1 + the number of rows with more points`` in the board.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import String, TextClause, bindparam, select, text
from sqlalchemy.dialects.postgresql import array, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.db import employee_copy
from services.points_api.leaderboards.models import BoardPrivacy
from shared.db import DriverConnection, Prebuilt, prebuild

_ROW = "t.employee_no, t.points, t.participation_points, t.outcome_points, t.growth_points"
_FILTERS = {
    "company": "",
    "department": " AND t.department_key LIKE :scope_value",
    "family": " AND t.job_role_family = :scope_value",
    "front_line": " AND t.is_front_line",
}


@dataclass(frozen=True)
class Board:
    """Which rows count: the period key, the scope, and its value (a LIKE pattern of
    the department subtree, or the family)."""

    period: str
    scope: str
    scope_value: str | None = None

    def params(self) -> dict[str, Any]:
        return {"period": self.period, "scope_value": self.scope_value}

    def sql(self, template: str) -> TextClause:
        return text(template.replace("{scope}", _FILTERS[self.scope]).replace("{row}", _ROW))

    def prebuilt(self, template: str) -> Prebuilt:
        """The template for this scope, compiled once per process."""
        key = (template, self.scope)
        found = _PREBUILT.get(key)
        if found is None:
            found = _PREBUILT[key] = prebuild(self.sql(template))
        return found


_PREBUILT: dict[tuple[str, str], Prebuilt] = {}


_TOP = """
SELECT t.*, c.name, coalesce(p.hide_name, false) AS hide_name
FROM (SELECT {row} FROM period_total t
      WHERE t.period = :period AND t.points > 0{scope}
        AND (CAST(:after_points AS bigint) IS NULL OR t.points < :after_points
             OR (t.points = :after_points AND t.employee_no > :after_employee))
      ORDER BY t.points DESC, t.employee_no LIMIT :limit) t
LEFT JOIN employee_copy c ON c.employee_no = t.employee_no
LEFT JOIN board_privacy p ON p.employee_no = t.employee_no
ORDER BY t.points DESC, t.employee_no
"""


async def top(db: DriverConnection, board: Board, *, limit: int,
              after: tuple[int, str] | None = None) -> list[asyncpg.Record]:
    """The board from the top (or after ``(points, employee_no)``), best first."""
    return await db.all(board.prebuilt(_TOP), **board.params(), limit=limit,
                        after_points=after[0] if after else None,
                        after_employee=after[1] if after else None)


# One statement: the employee's points, up to k rows either side (each side is two
# index ranges: the rest of the employee's tie, then the next points values), and
# the counts that rank them: rows above the highest of them, and rows per points
# value between the lowest and the highest.
_AROUND = """
WITH me AS (
    SELECT coalesce((SELECT t.points FROM period_total t
                     WHERE t.period = :period AND t.employee_no = :employee_no), 0) AS points
), above AS (
    SELECT * FROM (
        (SELECT {row} FROM period_total t
         WHERE t.period = :period AND t.points = (SELECT points FROM me) AND t.points > 0
           AND t.employee_no < :employee_no{scope}
         ORDER BY t.employee_no DESC LIMIT :k)
        UNION ALL
        (SELECT {row} FROM period_total t
         WHERE t.period = :period AND t.points > (SELECT points FROM me){scope}
         ORDER BY t.points, t.employee_no DESC LIMIT :k)
    ) a ORDER BY points, employee_no DESC LIMIT :k
), below AS (
    SELECT * FROM (
        (SELECT {row} FROM period_total t
         WHERE t.period = :period AND t.points = (SELECT points FROM me) AND t.points > 0
           AND t.employee_no > :employee_no{scope}
         ORDER BY t.employee_no LIMIT :k)
        UNION ALL
        (SELECT {row} FROM period_total t
         WHERE t.period = :period AND t.points < (SELECT points FROM me) AND t.points > 0{scope}
         ORDER BY t.points DESC, t.employee_no LIMIT :k)
    ) b ORDER BY points DESC, employee_no LIMIT :k
), mine AS (
    SELECT :employee_no AS employee_no, me.points,
           coalesce(t.participation_points, 0) AS participation_points,
           coalesce(t.outcome_points, 0) AS outcome_points,
           coalesce(t.growth_points, 0) AS growth_points
    FROM me LEFT JOIN period_total t ON t.period = :period AND t.employee_no = :employee_no
), shown AS (
    SELECT * FROM above UNION ALL SELECT * FROM mine UNION ALL SELECT * FROM below
), bounds AS (
    SELECT max(points) AS hi, min(points) AS lo FROM shown
)
SELECT 'row' AS part, s.*, c.name, coalesce(p.hide_name, false) AS hide_name, NULL AS n
FROM shown s
LEFT JOIN employee_copy c ON c.employee_no = s.employee_no
LEFT JOIN board_privacy p ON p.employee_no = s.employee_no
UNION ALL
SELECT 'higher', NULL, NULL, NULL, NULL, NULL, NULL, NULL, count(*)
FROM period_total t WHERE t.period = :period AND t.points > (SELECT hi FROM bounds){scope}
UNION ALL
SELECT 'tie', NULL, t.points, NULL, NULL, NULL, NULL, NULL, count(*)
FROM period_total t
WHERE t.period = :period AND t.points > (SELECT lo FROM bounds)
  AND t.points <= (SELECT hi FROM bounds){scope}
GROUP BY t.points
"""


# _AROUND with, on every row, the employee's copy (NULL when points_api has none) and
# whether they have an account: what decides who may see the rank, in the same round
# trip.
_AROUND_WITH_COPY = f"""
SELECT a.*,
       (SELECT to_jsonb(c) FROM employee_copy c WHERE c.employee_no = :employee_no) AS copy,
       EXISTS (SELECT 1 FROM account WHERE employee_no = :employee_no) AS has_account
FROM ({_AROUND}) AS a
"""


async def around(db: DriverConnection, board: Board, *, employee_no: str, k: int,
                 with_copy: bool = False) -> list[asyncpg.Record]:
    """Rows ``part`` = 'row' (the shown employees), 'higher' (``n`` rows above the
    highest shown points) and 'tie' (``n`` rows per points value within the shown
    range); ``with_copy`` adds the columns ``copy`` and ``has_account``."""
    return await db.all(board.prebuilt(_AROUND_WITH_COPY if with_copy else _AROUND),
                        **board.params(), employee_no=employee_no, k=k)


def around_statement(board: Board, *, employee_no: str,
                     k: int) -> tuple[TextClause, dict[str, Any]]:
    """The rank query and its parameters (for the benchmark's timings and plans)."""
    return board.sql(_AROUND), {**board.params(), "employee_no": employee_no, "k": k}


def top_statement(board: Board, *, limit: int) -> tuple[TextClause, dict[str, Any]]:
    """The top-N query of a first page and its parameters."""
    return board.sql(_TOP), {**board.params(), "limit": limit, "after_points": None,
                             "after_employee": None}


_DEPARTMENT = (
    select(employee_copy.c.department_path, employee_copy.c.department_code)
    .where(employee_copy.c.department_path.contains(
        array([bindparam("code", type_=String(50))], type_=String(50)))
           | (employee_copy.c.department_code == bindparam("code"))).limit(1))
_DEPARTMENT_SQL = prebuild(_DEPARTMENT)


async def department_path(db: DriverConnection | AsyncSession, code: str) -> list[str] | None:
    """The path from the root down to department ``code``, as some employee's copy
    knows it; None when no employee belongs to it or below it."""
    if isinstance(db, DriverConnection):
        row = await db.first(_DEPARTMENT_SQL, code=code)
    else:
        row = (await db.execute(_DEPARTMENT, {"code": code})).mappings().one_or_none()
    if row is None:
        return None
    path = list(row["department_path"])
    if not path or path[-1] != row["department_code"]:
        path.append(row["department_code"])
    return path[:path.index(code) + 1] if code in path else None


_COPY = prebuild(select(employee_copy).where(
    employee_copy.c.employee_no == bindparam("employee_no")))


async def copy_of(db: DriverConnection, employee_no: str) -> asyncpg.Record | None:
    """points_api's copy of the employee, or None."""
    return await db.first(_COPY, employee_no=employee_no)


_HAS_ACCOUNT = prebuild(text("SELECT EXISTS (SELECT 1 FROM account "
                             "WHERE employee_no = :employee_no) AS found"))


async def has_account(db: DriverConnection, employee_no: str) -> bool:
    row = await db.first(_HAS_ACCOUNT, employee_no=employee_no)
    return bool(row and row["found"])


def subtree_pattern(path: list[str]) -> str:
    """The LIKE pattern of ``department_key`` that matches the department at the end
    of ``path`` and every department below it."""
    key = "/" + "/".join(path) + "/"
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# -- privacy ---------------------------------------------------------------------------------


async def get_privacy(session: AsyncSession, employee_no: str) -> BoardPrivacy | None:
    return await session.get(BoardPrivacy, employee_no)


async def set_privacy(session: AsyncSession, employee_no: str, *, hide_name: bool,
                      actor: str) -> BoardPrivacy:
    stmt = insert(BoardPrivacy).values(employee_no=employee_no, hide_name=hide_name,
                                       updated_by=actor)
    upsert = stmt.on_conflict_do_update(
        index_elements=[BoardPrivacy.employee_no],
        set_={"hide_name": hide_name, "updated_by": actor, "updated_at": text("now()")},
    ).returning(BoardPrivacy)
    # populate_existing: an instance already in the session takes the row just written
    return (await session.scalars(upsert, execution_options={"populate_existing": True})).one()
