"""The set-based queries of earning a batch of events: each reads or writes for
every event of the batch at once, so that a batch costs the same number of
statements whatever its size."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.ledger.repository import MOVE_AND_ADD_CTES
from services.points_api.notifications.repository import ADD_FROM_JSON_CTE
from services.points_api.rules.history import PriorEntry
from services.points_api.webhooks.repository import PUBLISH_CTES
from shared.db import DriverConnection, prebuild
from shared.inbox import Claims


@dataclass(frozen=True)
class Balances:
    """What an event's outcome starts from: the account as the batch found it."""

    balance: int
    held: int
    qualifying: int


@dataclass
class BatchStart:
    """What a batch reads before it evaluates: the claims of its events, the employee
    copies (the rules' context), the accounts (locked), the voided facts among the batch's and the
    published rule set versions, (effective_at, version) latest first."""

    claimed: set[uuid.UUID]  # the batch's events new to points_api
    copies: dict[str, dict[str, Any]]
    accounts: dict[str, Balances]
    voided: set[str]
    versions: list[tuple[datetime, int]]


# One round trip: the batch's events claimed (the consumer's inbox), then the accounts of
# the employees of its new events that have a copy created when missing and locked in
# employee number order (rows this statement creates are its own until commit), with the
# reads that do not depend on them. The claims come first (the copies are read for the
# claimed events only), the account locks after, as in every batch.
_START = """
WITH claimed AS ({claims}),
wanted AS MATERIALIZED (
    SELECT c.employee_no, c.job_role_code, c.job_role_family, c.department_code,
           c.department_path, c.is_pilot, c.is_front_line
    FROM employee_copy c WHERE c.employee_no IN (
        SELECT u.employee_no
        FROM unnest(CAST(:events AS uuid[]), CAST(:nos AS varchar[])) AS u(event_id, employee_no)
        WHERE u.event_id IN (SELECT event_id FROM claimed))),
created AS (
    INSERT INTO account (employee_no) SELECT employee_no FROM wanted ORDER BY employee_no
    ON CONFLICT (employee_no) DO NOTHING RETURNING employee_no),
locked AS MATERIALIZED (
    SELECT a.employee_no, a.balance, a.held, a.qualifying FROM account a
    WHERE a.employee_no IN (SELECT employee_no FROM wanted)
    ORDER BY a.employee_no FOR UPDATE OF a)
SELECT ARRAY(SELECT event_id FROM claimed) AS claimed,
       (SELECT json_agg(w) FROM wanted w) AS copies,
       (SELECT json_agg(json_build_array(l.employee_no, l.balance, l.held, l.qualifying))
        FROM locked l) AS accounts,
       ARRAY(SELECT employee_no FROM created) AS created,
       ARRAY(SELECT v.fact_id FROM voided_fact v
             WHERE v.fact_id = ANY(CAST(:facts AS varchar[]))) AS voided,
       ARRAY(SELECT r.effective_at FROM rule_set r
             WHERE r.status = 'published' AND r.effective_at IS NOT NULL
             ORDER BY r.effective_at DESC, r.version DESC) AS effective,
       ARRAY(SELECT r.version FROM rule_set r
             WHERE r.status = 'published' AND r.effective_at IS NOT NULL
             ORDER BY r.effective_at DESC, r.version DESC) AS versions
"""


@functools.cache
def _start_statement(claims_sql: str) -> TextClause:
    return text(_START.format(claims=claims_sql))


async def start(session: AsyncSession, claims: Claims, events: dict[uuid.UUID, tuple[str, str]]
                ) -> BatchStart:
    """The batch's first statement (see :class:`BatchStart`): what six statements read
    and wrote before (the claims, copies, account creation and locks, voids, rule set
    versions). ``events``: {event id: (employee_no, fact_id)} of the events to earn
    (the parsed ones among the claimed)."""
    ids = sorted(events)
    row = (await session.execute(_start_statement(claims.sql), {
        **claims.params, "events": ids, "nos": [events[i][0] for i in ids],
        "facts": sorted({fact for _, fact in events.values()})})).one()
    accounts = {no: Balances(balance, held, qualifying)
                for no, balance, held, qualifying in row.accounts or []}
    accounts.update({no: Balances(0, 0, 0) for no in row.created})
    return BatchStart(claimed=set(row.claimed),
                      copies={c["employee_no"]: c for c in row.copies or []},
                      accounts=accounts, voided=set(row.voided),
                      versions=list(zip(row.effective, row.versions, strict=True)))


# The entries caps, best-result top-ups and "a rule pays a fact once" look at: text
# prepared once per connection (no statement built and compiled per batch); without cap
# windows :start and :end are NULL and the cap condition holds for no entry.
_HISTORY = prebuild(text("""
SELECT e.employee_no, e.kind, e.rule_id, e.amount, e.qualifying_amount, e.occurred_at,
       e.dedupe_key, e.source_fact_id,
       EXISTS (SELECT 1 FROM ledger_entry r WHERE r.reverses_entry_id = e.id) AS reversed
FROM ledger_entry e
WHERE e.employee_no = ANY(CAST(:nos AS varchar[]))
  AND (e.dedupe_key = ANY(CAST(:keys AS varchar[]))
       OR (e.kind = 'earn' AND e.source_fact_id = ANY(CAST(:facts AS varchar[])))
       OR (e.kind = 'earn' AND e.rule_id = ANY(CAST(:cap_rules AS varchar[]))
           AND e.occurred_at >= CAST(:start AS timestamptz)
           AND e.occurred_at < CAST(:end AS timestamptz)))
"""))


async def history(db: DriverConnection, employee_nos: Iterable[str], *,
                  cap_rule_ids: Iterable[str], start: datetime | None, end: datetime | None,
                  dedupe_keys: Iterable[str],
                  fact_ids: Iterable[str]) -> dict[str, list[PriorEntry]]:
    """The entries of these employees that caps (earnings of capped rules within
    [start, end)), best-result top-ups (entries under the dedupe keys) and "a rule
    pays a fact once" (earnings of these facts) look at, with whether each earning
    was reversed. One statement for the whole batch."""
    bounded = start is not None and end is not None
    rows = await db.all(
        _HISTORY, nos=sorted(set(employee_nos)), keys=sorted(set(dedupe_keys)),
        facts=sorted(set(fact_ids)), cap_rules=sorted(set(cap_rule_ids)),
        start=start if bounded else None, end=end if bounded else None)
    out: dict[str, list[PriorEntry]] = {}
    for row in rows:
        out.setdefault(row["employee_no"], []).append(PriorEntry(
            kind=row["kind"], rule_id=row["rule_id"], amount=row["amount"],
            qualifying_amount=row["qualifying_amount"], occurred_at=row["occurred_at"],
            dedupe_key=row["dedupe_key"], fact_id=row["source_fact_id"],
            reversed_seq=0 if row["reversed"] else None))
    return out


async def streaks(session: AsyncSession, employee_nos: Iterable[str], months: Iterable[str],
                  rule_ids: Iterable[str]) -> set[tuple[str, str, str]]:
    """(employee_no, month, rule_id) of the streak qualifications among these."""
    rows = await session.execute(text(
        "SELECT employee_no, month, rule_id FROM streak_qualification "
        "WHERE employee_no = ANY(:nos) AND month = ANY(:months) AND rule_id = ANY(:rules)"),
        {"nos": sorted(set(employee_nos)), "months": sorted(set(months)),
         "rules": sorted(set(rule_ids))})
    return {(r.employee_no, r.month, r.rule_id) for r in rows.all()}


# the columns of an entry as the batch writes them, with their types
_ENTRY_COLUMNS = (
    ("employee_no", "varchar"), ("kind", "varchar"), ("amount", "bigint"),
    ("qualifying_amount", "bigint"), ("category", "varchar"), ("rule_id", "varchar"),
    ("rule_set_version", "int"), ("source_event_id", "uuid"), ("source_fact_id", "varchar"),
    ("dedupe_key", "varchar"), ("reverses_entry_id", "bigint"), ("reason", "text"),
    ("actor", "varchar"), ("occurred_at", "timestamptz"), ("base_points", "bigint"),
    ("multiplier_rule_ids", "jsonb"), ("details", "jsonb"))
_LOG_COLUMNS = (
    ("event_id", "uuid"), ("event_type", "varchar"), ("employee_no", "varchar"),
    ("fact_id", "varchar"), ("occurred_at", "timestamptz"), ("payload", "jsonb"),
    ("employee", "jsonb"))


def _rows(param: str, columns: tuple[tuple[str, str], ...]) -> str:
    """The rows of a JSON array parameter as a table ``r`` with its columns and ``ord``,
    their order in the array."""
    return (f"ROWS FROM (jsonb_to_recordset(CAST(:{param} AS jsonb)) AS ("
            + ", ".join(f"{name} {kind}" for name, kind in columns)
            + f")) WITH ORDINALITY AS r({', '.join(n for n, _ in columns)}, ord)")


# Every write of a batch in one statement: the event log (in the batch's order), the
# entries (their ids drawn in the batch's order, answered in it), the accounts moved
# and the period totals added.
_WRITE = prebuild(text(f"""
WITH log AS (
    INSERT INTO training_event_log ({", ".join(n for n, _ in _LOG_COLUMNS)})
    SELECT {", ".join(f"r.{n}" for n, _ in _LOG_COLUMNS)}
    FROM {_rows("log", _LOG_COLUMNS)} ORDER BY r.ord),
numbered AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('ledger_entry', 'id')) AS id, r.*
    FROM (SELECT * FROM {_rows("entries", _ENTRY_COLUMNS)} ORDER BY r.ord) AS r),
entries AS (
    INSERT INTO ledger_entry (id, {", ".join(n for n, _ in _ENTRY_COLUMNS)})
    SELECT n.id, {", ".join(f"n.{n}" for n, _ in _ENTRY_COLUMNS[:-2])},
           ARRAY(SELECT jsonb_array_elements_text(n.multiplier_rule_ids)),
           coalesce(n.details, '{{}}'::jsonb)
    FROM numbered n),
{MOVE_AND_ADD_CTES}
SELECT ARRAY(SELECT n.id FROM numbered n ORDER BY n.ord) AS ids
"""))


async def write(db: DriverConnection, log: list[dict[str, Any]], entries: list[dict[str, Any]],
                moves: dict[str, Any]) -> list[int]:
    """The batch's writes (see _WRITE): ``log`` and ``entries`` as rows of the event log
    and the ledger (JSON values), ``moves`` the parameters of the accounts' and period
    totals' moves (ledger.repository.move_params). Answers the entries' ids, in order."""
    row = await db.first(
        _WRITE, log=json.dumps(log, default=str, ensure_ascii=False),
        entries=json.dumps(entries, default=str, ensure_ascii=False), **moves)
    assert row is not None  # one row, whatever was written
    return list(row["ids"])


# for each event: its month points after it (the stored total less the later events of
# the batch) and the company ranks that total and the one before it would have
_RANKS = prebuild(text("""
WITH v AS (
    SELECT v.ord, v.employee_no, coalesce(t.points, 0) - v.later AS after,
           coalesce(t.points, 0) - v.later - v.delta AS before
    FROM unnest(CAST(:ords AS int[]), CAST(:nos AS varchar[]), CAST(:later AS bigint[]),
                CAST(:deltas AS bigint[])) AS v(ord, employee_no, later, delta)
    LEFT JOIN period_total t ON t.period = :month AND t.employee_no = v.employee_no
)
SELECT v.ord, v.after,
       1 + (SELECT count(*) FROM period_total r WHERE r.period = :month
            AND r.employee_no <> v.employee_no AND r.points > v.before) AS rank_before,
       1 + (SELECT count(*) FROM period_total r WHERE r.period = :month
            AND r.employee_no <> v.employee_no AND r.points > v.after) AS rank_after
FROM v
""").bindparams(bindparam("month", type_=String)))


async def month_ranks(db: DriverConnection, month: str,
                      events: list[tuple[str, int, int]]) -> list[tuple[int, int, int]]:
    """For each (employee_no, month points the later events of the batch add, month
    points this event added): (month points after it, rank before, rank after)."""
    if not events:
        return []
    rows = await db.all(
        _RANKS, month=month, ords=list(range(len(events))), nos=[e[0] for e in events],
        later=[e[1] for e in events], deltas=[e[2] for e in events])
    by_ord = {row["ord"]: (int(row["after"]), int(row["rank_before"]), int(row["rank_after"]))
              for row in rows}
    return [by_ord[i] for i in range(len(events))]


# What the batch's outcomes set off, in one statement: the employees' notifications and
# the webhook events with their deliveries (two statements before, the notifications one
# INSERT per row)
_CONSEQUENCES = prebuild(text(f"""WITH {ADD_FROM_JSON_CTE},
{PUBLISH_CTES}
SELECT count(*) AS deliveries FROM delivered"""))


async def consequences(db: DriverConnection, notes: list[dict[str, Any]],
                       published: dict[str, Any]) -> None:
    """Insert ``notes`` (rows of the notification table) and publish the webhook events
    of ``published`` (webhooks.publish.publish_params)."""
    await db.first(_CONSEQUENCES, notes=json.dumps(notes, ensure_ascii=False), **published)
