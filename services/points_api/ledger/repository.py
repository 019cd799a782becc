"""Queries on accounts, ledger entries, period totals and voided facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    any_,
    bindparam,
    exists,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.points_api.models import Account, LedgerEntry, PeriodTotal, VoidedFact
from services.points_api.rules.engine import CapWindowNeed
from services.points_api.rules.schemas import CapUsage
from shared.db import prebuild

CATEGORY_COLUMNS = ("participation_points", "outcome_points", "growth_points")
_account = Account.__table__
_entry = LedgerEntry.__table__
_period = PeriodTotal.__table__
_reversal = aliased(LedgerEntry, name="reversal")


@dataclass
class EntryFilters:
    category: str | None = None
    kind: str | None = None
    start: datetime | None = None  # inclusive, on occurred_at
    end: datetime | None = None    # exclusive


# -- accounts --------------------------------------------------------------------------------


# Accounts change through plain UPDATE statements, which leave an account the session
# already holds as it was: every read of one loads it anew.
_FRESH = {"populate_existing": True}


async def lock_account(session: AsyncSession, employee_no: str) -> Account:
    """The employee's account, created when missing, locked until the transaction
    ends: every change to one employee's points runs one after the other."""
    locking = select(Account).where(Account.employee_no == employee_no).with_for_update()
    account = (await session.scalars(locking, execution_options=_FRESH)).one_or_none()
    if account is None:
        await session.execute(insert(_account).values(employee_no=employee_no)
                              .on_conflict_do_nothing(index_elements=[_account.c.employee_no]))
        account = (await session.scalars(locking, execution_options=_FRESH)).one()
    return account


async def lock_accounts(session: AsyncSession, employee_nos: list[str]) -> dict[str, Account]:
    """Many accounts (created when missing), locked in employee number order, so that
    two such bulk changes cannot deadlock each other (one account at a time, as earning
    does, never can)."""
    nos = sorted(set(employee_nos))
    await session.execute(
        insert(_account).from_select(["employee_no"], select(
            func.unnest(literal(nos, ARRAY(String))).column_valued()))
        .on_conflict_do_nothing(index_elements=[_account.c.employee_no]))
    accounts = await session.scalars(select(Account).where(
        Account.employee_no == any_(literal(nos, ARRAY(String))))
        .order_by(Account.employee_no).with_for_update(), execution_options=_FRESH)
    return {account.employee_no: account for account in accounts.all()}


_BULK_DELTAS = (
    update(_account).where(_account.c.employee_no == bindparam("no"))
    .values(balance=_account.c.balance + bindparam("d_balance"),
            qualifying=_account.c.qualifying + bindparam("d_qualifying"),
            updated_at=func.now(),
            **{col: _account.c[col] + bindparam(f"d_{col}") for col in CATEGORY_COLUMNS}))


async def apply_many_deltas(session: AsyncSession, deltas: list[dict[str, Any]]) -> None:
    """``apply_deltas`` for many accounts in one round of statements: each item holds
    ``no``, ``d_balance``, ``d_qualifying`` and ``d_<category>_points``."""
    if deltas:
        await session.execute(_BULK_DELTAS, deltas)


async def get_account(session: AsyncSession, employee_no: str) -> Account | None:
    return (await session.scalars(select(Account).where(Account.employee_no == employee_no),
                                  execution_options=_FRESH)).one_or_none()


async def apply_deltas(session: AsyncSession, employee_no: str, *, balance: int,
                       qualifying: int, by_category: dict[str, int]) -> Account:
    """Move the account's balances; the CHECK constraints refuse a negative result."""
    c = _account.c
    values: dict[str, Any] = {"balance": c.balance + balance,
                              "qualifying": c.qualifying + qualifying, "updated_at": func.now()}
    for category, delta in by_category.items():
        column = f"{category}_points"
        values[column] = c[column] + delta
    stmt = (update(Account).where(Account.employee_no == employee_no).values(**values)
            .returning(Account))
    # the returned row refreshes the account the session holds; nothing else to synchronise
    return (await session.scalars(stmt, execution_options={
        **_FRESH, "synchronize_session": False})).one()


# -- entries ---------------------------------------------------------------------------------


async def insert_entries(session: AsyncSession, rows: list[dict[str, Any]], *,
                         returning: bool = True) -> list[Any]:
    if not returning:
        await session.execute(insert(_entry), rows)
        return []
    result = await session.execute(insert(_entry).returning(*_entry.c), rows)
    return sorted(result.all(), key=lambda row: row.id)


def _with_reversal() -> Select[LedgerEntry, int]:
    """Entries with the id of the entry that reverses each (null when none does)."""
    return (select(LedgerEntry, _reversal.id.label("reversed_by_entry_id"))
            .outerjoin(_reversal, _reversal.reverses_entry_id == LedgerEntry.id))


async def get_entry(session: AsyncSession, entry_id: int) -> Row[LedgerEntry, int] | None:
    """(entry, reversed_by_entry_id) or None."""
    return (await session.execute(_with_reversal().where(LedgerEntry.id == entry_id))
            ).one_or_none()


async def list_entries(session: AsyncSession, employee_no: str, f: EntryFilters, *,
                       before_id: int | None, limit: int) -> list[Row[LedgerEntry, int]]:
    """Newest first: (entry, reversed_by_entry_id) rows."""
    stmt = (_with_reversal().where(LedgerEntry.employee_no == employee_no)
            .order_by(LedgerEntry.id.desc()).limit(limit))
    if before_id is not None:
        stmt = stmt.where(LedgerEntry.id < before_id)
    if f.category is not None:
        stmt = stmt.where(LedgerEntry.category == f.category)
    if f.kind is not None:
        stmt = stmt.where(LedgerEntry.kind == f.kind)
    if f.start is not None:
        stmt = stmt.where(LedgerEntry.occurred_at >= f.start)
    if f.end is not None:
        stmt = stmt.where(LedgerEntry.occurred_at < f.end)
    return list((await session.execute(stmt)).all())


def _not_reversed() -> ColumnElement[bool]:
    return ~exists().where(_reversal.reverses_entry_id == LedgerEntry.id)


async def is_reversed(session: AsyncSession, entry_id: int) -> bool:
    return bool((await session.execute(select(
        exists().where(_reversal.reverses_entry_id == entry_id)))).scalar())


async def unreversed_entries_of_fact(session: AsyncSession, employee_no: str,
                                     fact_id: str) -> list[LedgerEntry]:
    """The fact's entries that no reversal compensates yet, oldest first."""
    stmt = (select(LedgerEntry).where(LedgerEntry.employee_no == employee_no,
                                 LedgerEntry.source_fact_id == fact_id,
                                 LedgerEntry.kind != "reverse", _not_reversed())
            .order_by(LedgerEntry.id))
    return list((await session.scalars(stmt)).all())


async def rules_paid_for_fact(session: AsyncSession, employee_no: str, fact_id: str) -> set[str]:
    """Rules that already paid this fact (through another event) and were not reversed."""
    stmt = select(LedgerEntry.rule_id).distinct().where(
        LedgerEntry.employee_no == employee_no, LedgerEntry.source_fact_id == fact_id,
        LedgerEntry.kind == "earn", _not_reversed())
    return {rule_id for rule_id in (await session.execute(stmt)).scalars() if rule_id}


async def cap_usage(session: AsyncSession, employee_no: str, window: CapWindowNeed) -> CapUsage:
    """Count and points of the window's rules' earnings that still stand."""
    stmt = select(func.count(), func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.employee_no == employee_no, LedgerEntry.kind == "earn",
        LedgerEntry.rule_id.in_(window.rule_ids), LedgerEntry.occurred_at >= window.start,
        LedgerEntry.occurred_at < window.end, _not_reversed())
    count, points = (await session.execute(stmt)).one()
    return CapUsage(int(count), int(points))


async def paid_for_keys(session: AsyncSession, employee_no: str,
                        keys: tuple[str, ...]) -> dict[str, int]:
    """Net qualifying points paid per dedupe key (reversals included)."""
    if not keys:
        return {}
    stmt = (select(LedgerEntry.dedupe_key, func.sum(LedgerEntry.qualifying_amount))
            .where(LedgerEntry.employee_no == employee_no, LedgerEntry.dedupe_key.in_(keys))
            .group_by(LedgerEntry.dedupe_key))
    return {key: int(total) for key, total in (await session.execute(stmt)).all()
            if key is not None}  # never None: the keys asked for


# -- period totals ---------------------------------------------------------------------------


# the period totals of many employees and periods in one statement; the scope keys the
# boards filter on come from the employee's copy in the same statement (a new row
# takes them; the copy's own trigger keeps existing rows current)
_PERIODS = text(f"""
INSERT INTO period_total (period, employee_no, points, {", ".join(CATEGORY_COLUMNS)},
                          department_key, job_role_family, is_front_line)
SELECT v.period, v.employee_no, v.points, {", ".join(f"v.{c}" for c in CATEGORY_COLUMNS)},
       coalesce(department_key(c.department_path, c.department_code), ''),
       c.job_role_family, coalesce(c.is_front_line, false)
FROM unnest(CAST(:periods AS varchar[]), CAST(:nos AS varchar[]), CAST(:points AS bigint[]),
            {", ".join(f"CAST(:{c} AS bigint[])" for c in CATEGORY_COLUMNS)})
     AS v(period, employee_no, points, {", ".join(CATEGORY_COLUMNS)})
LEFT JOIN employee_copy c ON c.employee_no = v.employee_no
ON CONFLICT (period, employee_no) DO UPDATE SET
    points = period_total.points + excluded.points,
    {", ".join(f"{c} = period_total.{c} + excluded.{c}" for c in CATEGORY_COLUMNS)},
    updated_at = now()
""")


# the accounts' deltas as arrays (``a_nos``, ``a_balance``, ...) moving the accounts: a CTE
_MOVED = f"""moved AS (
    UPDATE account a SET balance = a.balance + d.balance,
           qualifying = a.qualifying + d.qualifying, updated_at = now(),
           {", ".join(f"{c} = a.{c} + d.{c}" for c in CATEGORY_COLUMNS)}
    FROM unnest(CAST(:a_nos AS varchar[]), CAST(:a_balance AS bigint[]),
                CAST(:a_qualifying AS bigint[]),
                {", ".join(f"CAST(:a_{c} AS bigint[])" for c in CATEGORY_COLUMNS)})
         AS d(employee_no, balance, qualifying, {", ".join(CATEGORY_COLUMNS)})
    WHERE a.employee_no = d.employee_no)"""
# the accounts moved and the period totals added together (one statement), then as the
# CTEs ``moved`` and ``periods`` of a larger one (the parameters of move_params)
_MOVE_AND_ADD = text(f"WITH {_MOVED}\n{_PERIODS.text}")
MOVE_AND_ADD_CTES = f"{_MOVED},\nperiods AS ({_PERIODS.text})"


async def move_accounts_and_periods(session: AsyncSession, deltas: list[dict[str, Any]],
                                    periods: dict[str, dict[str, dict[str, int]]]) -> None:
    """:func:`apply_many_deltas` and :func:`add_many_period_totals` in one statement
    (each account once in ``deltas``)."""
    if _period_params(periods) is None:
        await apply_many_deltas(session, deltas)
        return
    await session.execute(_MOVE_AND_ADD, move_params(deltas, periods))


def move_params(deltas: list[dict[str, Any]],
                periods: dict[str, dict[str, dict[str, int]]]) -> dict[str, Any]:
    """The parameters of :data:`MOVE_AND_ADD_CTES` (and of _MOVE_AND_ADD): each account
    once in ``deltas`` as :func:`apply_many_deltas` takes them, the period totals as
    :func:`add_many_period_totals` does; nothing to move is empty arrays."""
    params = _period_params(periods) or {
        "periods": [], "nos": [], "points": [], **{c: [] for c in CATEGORY_COLUMNS}}
    params.update({"a_nos": [d["no"] for d in deltas],
                   "a_balance": [d["d_balance"] for d in deltas],
                   "a_qualifying": [d["d_qualifying"] for d in deltas]})
    params.update({f"a_{c}": [d[f"d_{c}"] for d in deltas] for c in CATEGORY_COLUMNS})
    return params


async def add_period_totals(session: AsyncSession, employee_no: str,
                            deltas: dict[str, dict[str, int]]) -> None:
    """Add ``{period: {"points": n, "<category>_points": n}}`` to the period totals."""
    await add_many_period_totals(session, {employee_no: deltas})


async def add_many_period_totals(session: AsyncSession,
                                 deltas: dict[str, dict[str, dict[str, int]]]) -> None:
    """``add_period_totals`` for many employees, ``{employee_no: {period: {...}}}``, in
    one statement (each (period, employee) once: ON CONFLICT takes a row once)."""
    params = _period_params(deltas)
    if params is not None:
        await session.execute(_PERIODS, params)


def _period_params(deltas: dict[str, dict[str, dict[str, int]]]) -> dict[str, Any] | None:
    """The parameters of _PERIODS, None when there is nothing to add."""
    rows = [(period, no, d) for no, by_period in deltas.items() for period, d in by_period.items()]
    if not rows:
        return None
    params: dict[str, Any] = {"periods": [p for p, _, _ in rows], "nos": [n for _, n, _ in rows],
                              "points": [d.get("points", 0) for _, _, d in rows]}
    params.update({c: [d.get(c, 0) for _, _, d in rows] for c in CATEGORY_COLUMNS})
    return params


# -- the reads of one statement (shared.db.DriverConnection) ------------------------------------

# The account, this month's total and rank, and the employee copy that decides who
# sees them: one row whatever exists (columns NULL for what does not).
ACCOUNT_VIEW = prebuild(text("""
SELECT c.employee_no AS copy_no, c.department_path, c.department_code,
       a.balance, a.held, a.qualifying, a.participation_points, a.outcome_points,
       a.growth_points, a.updated_at,
       t.points AS month_points, t.participation_points AS month_participation,
       t.outcome_points AS month_outcome, t.growth_points AS month_growth,
       (SELECT count(*) FROM period_total r
        WHERE r.period = :month AND r.employee_no <> :employee_no
          AND r.points > coalesce(t.points, 0)) AS higher
FROM (SELECT 1) AS one
LEFT JOIN employee_copy c ON c.employee_no = :employee_no
LEFT JOIN account a ON a.employee_no = :employee_no
LEFT JOIN period_total t ON t.period = :month AND t.employee_no = :employee_no
"""))

# A page of entries, newest first, each with the entry reversing it, after one row of
# the employee copy and whether an account exists (the entry columns NULL when the
# page is empty). Unused filters are NULL.
ENTRIES_PAGE = prebuild(text("""
SELECT v.copy_no, v.department_path, v.department_code, v.has_account,
       e.*, r.id AS reversed_by_entry_id
FROM (SELECT c.employee_no AS copy_no, c.department_path, c.department_code,
             EXISTS (SELECT 1 FROM account a WHERE a.employee_no = :employee_no)
                 AS has_account
      FROM (SELECT 1) AS one
      LEFT JOIN employee_copy c ON c.employee_no = :employee_no) AS v
LEFT JOIN LATERAL (
    SELECT * FROM ledger_entry e
    WHERE e.employee_no = :employee_no
      AND (CAST(:before_id AS bigint) IS NULL OR e.id < :before_id)
      AND (CAST(:category AS varchar) IS NULL OR e.category = :category)
      AND (CAST(:kind AS varchar) IS NULL OR e.kind = :kind)
      AND (CAST(:start AS timestamptz) IS NULL OR e.occurred_at >= :start)
      AND (CAST(:end AS timestamptz) IS NULL OR e.occurred_at < :end)
    ORDER BY e.id DESC LIMIT :limit) AS e ON true
LEFT JOIN ledger_entry r ON r.reverses_entry_id = e.id
ORDER BY e.id DESC
"""))


# The points of one training fact, once its event was applied: the employee, the copy
# that decides who sees them, the fact's earned entries and what reversals took back
# since, the account and this month's total and rank as they are now. No row while
# the event has not been applied.
FACT_POINTS = prebuild(text("""
SELECT l.employee_no, c.employee_no AS copy_no, c.department_path, c.department_code,
       a.balance, a.held, a.qualifying, t.points AS month_points,
       (SELECT count(*) FROM period_total r
        WHERE r.period = :month AND r.employee_no <> l.employee_no
          AND r.points > coalesce(t.points, 0)) AS higher,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'entry_id', e.id, 'rule_id', e.rule_id,
                   'rule_set_version', e.rule_set_version, 'points', e.amount,
                   'category', coalesce(e.category, ''), 'reason', e.reason) ORDER BY e.id),
               '[]')
        FROM ledger_entry e WHERE e.source_fact_id = :fact_id AND e.kind = 'earn') AS awarded,
       (SELECT coalesce(sum(r.amount), 0) FROM ledger_entry e
        JOIN ledger_entry r ON r.reverses_entry_id = e.id
        WHERE e.source_fact_id = :fact_id AND e.kind = 'earn') AS reversed
FROM training_event_log l
LEFT JOIN employee_copy c ON c.employee_no = l.employee_no
LEFT JOIN account a ON a.employee_no = l.employee_no
LEFT JOIN period_total t ON t.period = :month AND t.employee_no = l.employee_no
WHERE l.fact_id = :fact_id AND l.event_type <> 'fact.voided'
ORDER BY l.seq LIMIT 1
"""))


async def period_points(session: AsyncSession, employee_no: str, period: str) -> int:
    """The employee's qualifying points in the period (0 before their first)."""
    points = await session.scalar(select(_period.c.points).where(
        _period.c.period == period, _period.c.employee_no == employee_no))
    return int(points or 0)


async def ranks(session: AsyncSession, period: str, employee_no: str,
                points: list[int]) -> list[int]:
    """The rank (1 + employees with more points in the period) each of ``points``
    would have, the employee themself left out of the count."""
    c = _period.c
    stmt = select(*[func.count().filter(c.points > p) for p in points]).where(
        c.period == period, c.employee_no != employee_no, c.points > min(points))
    counts = (await session.execute(stmt)).one()
    return [1 + int(n) for n in counts]


# -- voided facts ----------------------------------------------------------------------------


async def record_voided_fact(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(VoidedFact).values(values).on_conflict_do_nothing(
        index_elements=[VoidedFact.fact_id]))


async def is_fact_voided(session: AsyncSession, fact_id: str) -> bool:
    return bool((await session.execute(select(
        exists().where(VoidedFact.fact_id == fact_id)))).scalar())
