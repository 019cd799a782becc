"""``jifen reconcile``: check that points_api agrees with rewards_api and with
training_api.

Reads the three databases (never writes) and checks that

a. each points account's balance equals the sum of its ledger entries, and its
   held points the sum of its active holds;
b. every active hold belongs to a live redemption (reserving or pending
   approval) and every live redemption has an active hold; fulfilled
   redemptions had their hold captured, given-back ones released;
c. each item's stock counters match its redemptions (and, for vouchers, its
   code pool), and each per-employee limit counter matches the redemptions
   counted against it;
d. every training fact that ledger entries name as their source exists in
   training_api: points paid for a fact nobody recorded were forged or come from
   another system's data.

What a capture or release still travelling through the outbox explains is not
reported, nor is what changed in the last ``--grace`` seconds; ``--since``
limits the comparison of holds and redemptions, and the facts check, to those
created since then.
Prints each problem, exits 1 when there is any, 0 when clean (2 when a
database cannot be read).

Database URLs come from ``--points-url`` / ``--rewards-url`` / ``--training-url``,
else from POINTS_/REWARDS_/TRAINING_DATABASE_URL, else the embedded PostgreSQL on
JIFEN_PG_PORT, as ``make run`` started it (jifen/config.py). The command's options
are in jifen/commands/reconcile.py.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg

from services.rewards_api.models import RedemptionStatus

# points_api's tables and columns this command reads
POINTS_ACCOUNT = "account"        # employee_no, balance, held
POINTS_ENTRY = "ledger_entry"     # employee_no, amount
POINTS_HOLD = "hold"  # hold_id, employee_no, points, status, expires_at, created_at
# ledger_entry.source_fact_id names training_api's training_fact.id (a UUID)
TRAINING_FACT = "training_fact"
FACT_BATCH = 5000

# redemption statuses as SQL literals: a live redemption still holds its stock and
# points, one given back returned them, a counted one counts against its limit
LIVE = (RedemptionStatus.RESERVING.value, RedemptionStatus.PENDING_APPROVAL.value)
GIVEN_BACK = (RedemptionStatus.REJECTED.value, RedemptionStatus.CANCELLED.value,
              RedemptionStatus.EXPIRED.value)
COUNTED = (*LIVE, RedemptionStatus.FULFILLED.value)


@dataclass(frozen=True)
class Finding:
    check: str       # balance | holds | stock | limits | facts
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"OFF {self.check:<8} {self.subject}: {self.detail}"


@dataclass(frozen=True)
class HoldRow:
    hold_id: uuid.UUID
    employee_no: str
    points: int
    status: str
    expires_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class RedemptionRow:
    id: uuid.UUID
    employee_no: str
    points: int
    status: str
    created_at: datetime
    updated_at: datetime
    hold_expires_at: datetime
    hold_check_pending: bool


@dataclass
class InFlight:
    """Hold events rewards_api has not delivered yet, by hold id."""

    pending: dict[uuid.UUID, set[str]] = field(default_factory=dict)
    dead: dict[uuid.UUID, set[str]] = field(default_factory=dict)


# -- the checks (pure) ------------------------------------------------------------------


def check_balances(rows: list[tuple[str, int, int]]) -> list[Finding]:
    """(employee_no, balance, sum of entries) of accounts that disagree."""
    return [Finding("balance", no, f"balance {balance} but its entries sum to {total}")
            for no, balance, total in rows if balance != total]


def check_held(held: dict[str, int], holds: list[HoldRow]) -> list[Finding]:
    """Each account's held points against its active holds."""
    active: dict[str, int] = defaultdict(int)
    for h in holds:
        if h.status == "active":
            active[h.employee_no] += h.points
    return [Finding("balance", no, f"held {held.get(no, 0)} but its active holds sum to "
                                   f"{active.get(no, 0)}")
            for no in sorted(set(held) | set(active)) if held.get(no, 0) != active.get(no, 0)]


def check_holds(holds: list[HoldRow], redemptions: list[RedemptionRow], in_flight: InFlight,
                *, now: datetime, grace: timedelta) -> list[Finding]:
    """Holds against redemptions, both ways. Whatever changed within ``grace`` is
    left out: the two databases are read one after the other."""
    by_id = {r.id: r for r in redemptions}
    findings: list[Finding] = []
    for h in holds:
        if h.hold_id not in by_id and now - h.created_at >= grace:
            if h.status in ("active", "spent", "captured"):
                findings.append(Finding("holds", str(h.hold_id),
                                        f"{h.status} hold of {h.employee_no} ({h.points} points) "
                                        "belongs to no redemption"))
    holds_by_id = {h.hold_id: h for h in holds}
    for r in redemptions:
        if now - r.updated_at < grace:
            continue
        problem = _redemption_problem(r, holds_by_id.get(r.id), in_flight, now=now)
        if problem:
            findings.append(Finding("holds", str(r.id), f"{r.status} redemption of "
                                                        f"{r.employee_no}: {problem}"))
    return findings


def _redemption_problem(r: RedemptionRow, h: HoldRow | None, in_flight: InFlight, *,
                        now: datetime) -> str | None:
    pending = in_flight.pending.get(r.id, set())
    dead = in_flight.dead.get(r.id, set())
    if dead:
        return f"{', '.join(sorted(dead))} dead-lettered in the rewards outbox"
    status = h.status if h else "missing"
    if h is not None and h.points != r.points:
        return f"hold of {h.points} points for a redemption of {r.points}"
    if r.status == "reserving":
        return "still reserving: its request was interrupted and not resumed"
    if r.status == "pending_approval":
        if status == "active" or (r.hold_expires_at <= now and status == "expired"):
            return None
        return f"waits for approval but its hold is {status}"
    if r.status == "fulfilled":
        if status == "captured" or (status in ("active", "spent")
                                    and "hold.capture" in pending):
            return None
        return f"fulfilled but its hold is {status}"
    if r.status in GIVEN_BACK:
        if status in ("released", "expired") or (status == "active"
                                                 and "hold.release" in pending):
            return None
        return f"given back but its hold is {status}"
    # failed: no hold should be left behind
    if status == "captured":
        return "failed but its points were spent"
    if status in ("active", "spent") and not (r.hold_check_pending
                                              or "hold.release" in pending):
        return f"failed but its hold is {status} and nothing will release it"
    return None


@dataclass(frozen=True)
class StockRow:
    code: str
    total: int | None
    remaining: int | None
    reserved: int
    issued: int
    live_units: int
    fulfilled_units: int
    voucher: bool
    codes: int
    codes_assigned: int
    fulfilled_vouchers: int


def check_stock(rows: list[StockRow]) -> list[Finding]:
    findings = []
    for s in rows:
        problems = []
        if s.reserved != s.live_units:
            problems.append(f"reserved {s.reserved}, live redemptions hold {s.live_units}")
        if s.issued != s.fulfilled_units:
            problems.append(f"issued {s.issued}, fulfilled redemptions took {s.fulfilled_units}")
        if s.total is not None and s.remaining != s.total - s.reserved - s.issued:
            problems.append(f"remaining {s.remaining} is not total {s.total} - reserved "
                            f"{s.reserved} - issued {s.issued}")
        if s.voucher:
            if s.total != s.codes:
                problems.append(f"stock {s.total} but {s.codes} codes in the pool")
            if s.codes_assigned != s.fulfilled_vouchers:
                problems.append(f"{s.codes_assigned} codes given out for "
                                f"{s.fulfilled_vouchers} fulfilled redemptions")
        if problems:
            findings.append(Finding("stock", s.code, "; ".join(problems)))
    return findings


def check_limits(rows: list[tuple[str, str, str, int, int]]) -> list[Finding]:
    """(employee_no, item_code, period, counter, units counted by redemptions)."""
    return [Finding("limits", f"{no}/{item}/{period}",
                    f"counter says {used} used, redemptions count {counted}")
            for no, item, period, used, counted in rows if used != counted]


# -- reading the databases --------------------------------------------------------------


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _table_exists(conn: asyncpg.Connection, name: str) -> bool:
    return bool(await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", name))


async def read_points(conn: asyncpg.Connection
                      ) -> tuple[list[tuple[str, int, int]], dict[str, int], list[HoldRow] | None]:
    balances = await conn.fetch(f"""
        SELECT a.employee_no, a.balance, COALESCE(e.total, 0) AS total
        FROM {POINTS_ACCOUNT} a
        LEFT JOIN (SELECT employee_no, SUM(amount) AS total FROM {POINTS_ENTRY}
                   GROUP BY employee_no) e ON e.employee_no = a.employee_no
        WHERE a.balance <> COALESCE(e.total, 0)""")
    held = {r["employee_no"]: r["held"] for r in await conn.fetch(
        f"SELECT employee_no, held FROM {POINTS_ACCOUNT} WHERE held <> 0")}
    holds = None
    if await _table_exists(conn, POINTS_HOLD):
        holds = [HoldRow(**dict(r)) for r in await conn.fetch(
            "SELECT hold_id, employee_no, points, status, expires_at, created_at "
            f"FROM {POINTS_HOLD}")]
    return [(r["employee_no"], r["balance"], r["total"]) for r in balances], held, holds


async def read_redemptions(conn: asyncpg.Connection) -> tuple[list[RedemptionRow], InFlight]:
    rows = await conn.fetch("""
        SELECT id, employee_no, points, status, created_at, updated_at, hold_expires_at,
               hold_check_due_at IS NOT NULL AS hold_check_pending
        FROM redemption""")
    redemptions = [RedemptionRow(**dict(r)) for r in rows]
    in_flight = InFlight()
    for r in await conn.fetch("""
            SELECT (payload->>'hold_id')::uuid AS hold_id, event_type, dead_at IS NOT NULL AS dead
            FROM outbox_event
            WHERE destination = 'points' AND event_type IN ('hold.capture', 'hold.release')
              AND delivered_at IS NULL"""):
        target = in_flight.dead if r["dead"] else in_flight.pending
        target.setdefault(r["hold_id"], set()).add(r["event_type"])
    return redemptions, in_flight


async def read_stock(conn: asyncpg.Connection) -> list[StockRow]:
    rows = await conn.fetch(f"""
        SELECT i.code, i.stock_total AS total, i.stock_remaining AS remaining,
               i.stock_reserved AS reserved, i.stock_issued AS issued,
               i.kind = 'voucher' AS voucher,
               COALESCE(r.live_units, 0) AS live_units,
               COALESCE(r.fulfilled_units, 0) AS fulfilled_units,
               COALESCE(r.fulfilled_vouchers, 0) AS fulfilled_vouchers,
               COALESCE(v.codes, 0) AS codes, COALESCE(v.codes_assigned, 0) AS codes_assigned
        FROM reward_item i
        LEFT JOIN (
            SELECT item_code,
                   SUM(quantity) FILTER (WHERE stock_tracked AND status IN {LIVE}) AS live_units,
                   SUM(quantity) FILTER (WHERE stock_tracked AND status = 'fulfilled')
                       AS fulfilled_units,
                   COUNT(*) FILTER (WHERE status = 'fulfilled' AND item_kind = 'voucher')
                       AS fulfilled_vouchers
            FROM redemption GROUP BY item_code) r ON r.item_code = i.code
        LEFT JOIN (
            SELECT item_code, COUNT(*) AS codes, COUNT(redemption_id) AS codes_assigned
            FROM voucher_code GROUP BY item_code) v ON v.item_code = i.code""")
    return [StockRow(**dict(r)) for r in rows]


async def read_limits(conn: asyncpg.Connection) -> list[tuple[str, str, str, int, int]]:
    rows = await conn.fetch(f"""
        WITH counted AS (
            SELECT employee_no, item_code, limit_period_key AS period_key,
                   SUM(quantity) AS used
            FROM redemption
            WHERE limit_period_key IS NOT NULL AND status IN {COUNTED}
            GROUP BY employee_no, item_code, limit_period_key)
        SELECT COALESCE(u.employee_no, c.employee_no) AS employee_no,
               COALESCE(u.item_code, c.item_code) AS item_code,
               COALESCE(u.period_key, c.period_key) AS period_key,
               COALESCE(u.used, 0) AS used, COALESCE(c.used, 0) AS counted
        FROM limit_usage u
        FULL JOIN counted c ON c.employee_no = u.employee_no AND c.item_code = u.item_code
                           AND c.period_key = u.period_key
        WHERE COALESCE(u.used, 0) <> COALESCE(c.used, 0)""")
    return [(r["employee_no"], r["item_code"], r["period_key"], r["used"], r["counted"])
            for r in rows]


@dataclass(frozen=True)
class FactEntries:
    """The ledger entries that name one training fact as their source."""

    fact_id: str
    employee_no: str
    entries: int
    points: int


def check_facts(named: list[FactEntries], known: set[str]) -> list[Finding]:
    """Entries whose source fact training_api does not have (or whose source is not
    even a fact id)."""
    return [Finding("facts", f.fact_id, f"{f.entries} ledger entr{'y' if f.entries == 1 else 'ies'}"
                                        f" of {f.employee_no} ({f.points:+d} points) for a fact "
                                        "that training_api does not have")
            for f in named if _normal(f.fact_id) not in known]


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def facts_without_source(points: asyncpg.Connection, training: asyncpg.Connection, *,
                               since: datetime | None) -> tuple[list[Finding], int]:
    """Walk the facts the ledger names, a batch at a time, and ask training_api which
    of them it has; the findings and how many facts were checked. Points are read
    first: a fact is committed in training_api before its event can pay anything."""
    findings: list[Finding] = []
    checked = 0
    query = f"""
        SELECT source_fact_id AS fact_id, min(employee_no) AS employee_no,
               count(*) AS entries, sum(amount) AS points
        FROM {POINTS_ENTRY}
        WHERE source_fact_id IS NOT NULL AND ($1::timestamptz IS NULL OR created_at >= $1)
        GROUP BY source_fact_id"""
    async with points.transaction(isolation="repeatable_read", readonly=True):
        cursor = await points.cursor(query, since)
        while batch := [FactEntries(r["fact_id"], r["employee_no"], int(r["entries"]),
                                    int(r["points"])) for r in await cursor.fetch(FACT_BATCH)]:
            ids = [u for u in (_as_uuid(f.fact_id) for f in batch) if u is not None]
            rows = await training.fetch(
                f"SELECT id::text AS id FROM {TRAINING_FACT} WHERE id = ANY($1::uuid[])", ids)
            known = {str(uuid.UUID(r["id"])) for r in rows}
            findings += check_facts(batch, known)
            checked += len(batch)
    return findings, checked


def _normal(fact_id: str) -> str:
    parsed = _as_uuid(fact_id)
    return str(parsed) if parsed is not None else fact_id


@dataclass
class Report:
    findings: list[Finding]
    counts: dict[str, int]


async def reconcile(points_url: str, rewards_url: str, *, grace: timedelta,
                    since: datetime | None = None, training_url: str | None = None) -> Report:
    points = await asyncpg.connect(_dsn(points_url))
    rewards = await asyncpg.connect(_dsn(rewards_url))
    training = await asyncpg.connect(_dsn(training_url)) if training_url else None
    try:
        # each database is read in one snapshot; the two snapshots are moments apart,
        # which the grace period covers
        async with rewards.transaction(isolation="repeatable_read", readonly=True):
            redemptions, in_flight = await read_redemptions(rewards)
            stock = await read_stock(rewards)
            limits = await read_limits(rewards)
        async with points.transaction(isolation="repeatable_read", readonly=True):
            balances, held, holds = await read_points(points)
        fact_findings, facts = ([], 0) if training is None else await facts_without_source(
            points, training, since=since)
    finally:
        await points.close()
        await rewards.close()
        if training is not None:
            await training.close()
    findings = (check_balances(balances) + check_stock(stock) + check_limits(limits)
                + fact_findings)
    if since is not None:
        redemptions = [r for r in redemptions if r.created_at >= since]
    if holds is None:
        findings.append(Finding("holds", f"points.{POINTS_HOLD}",
                                "points_api has no holds table; holds cannot be checked"))
        holds = []
    else:
        findings += check_held(held, holds)
        if since is not None:
            holds = [h for h in holds if h.created_at >= since]
        findings += check_holds(holds, redemptions, in_flight, now=datetime.now(UTC),
                                grace=grace)
    counts = {"redemptions": len(redemptions), "holds": len(holds), "items": len(stock)}
    if training is not None:
        counts["facts"] = facts
    return Report(findings, counts)
