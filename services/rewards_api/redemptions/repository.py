"""Queries on redemptions, the stock columns they move and the limit counters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import array, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.rewards_api.db import employee_copy, kit_tables
from services.rewards_api.models import LimitUsage, Redemption, RedemptionStatus, RewardItem
from shared.db import prebuild
from shared.idempotency import RouteKeys

# -- redemptions ----------------------------------------------------------------------


async def get(session: AsyncSession, redemption_id: uuid.UUID, *, for_update: bool = False,
              skip_locked: bool = False) -> Redemption | None:
    stmt = select(Redemption).where(Redemption.id == redemption_id)
    if for_update:
        stmt = stmt.with_for_update(skip_locked=skip_locked)
    return (await session.execute(stmt)).scalar_one_or_none()


# A redemption, its employee's copy (who may read it, and the name shown) and its
# voucher code: one statement on a read connection.
VIEW = prebuild(text("""
SELECT r.*, c.name AS employee_name, c.department_code AS copy_department,
       c.department_path AS copy_path, v.code AS voucher_code
FROM redemption r
LEFT JOIN employee_copy c ON c.employee_no = r.employee_no
LEFT JOIN voucher_code v ON v.redemption_id = r.id
WHERE r.id = :redemption_id
"""))


# -- a redemption without approval (redemptions/instant.py) -------------------------------

# the Idempotency-Key of POST /rewards/v1/redemptions, kept by the route itself
keys = RouteKeys(kit_tables.idempotency)

# An item redeemed without a transaction (instant.py): any but one that needs approval
# or hands out voucher codes (the code pool is picked in the transaction).
INSTANT = "NOT i.requires_approval AND i.kind <> 'voucher'"

# ... of them, one redeemed at once: nothing the redemption would have to give back
# should it die half-way (stock, the employee's limit). The others reserve first.
AT_ONCE = f"""{INSTANT} AND i.stock_total IS NULL
    AND (i.limit_period IS NULL OR COALESCE(i.limit_count, 0) = 0)"""

_READ = """i.*, c.employee_no AS copy_no, c.name AS copy_name,
       c.department_code AS copy_department, c.department_path AS copy_path,
       c.job_role_family AS copy_family, c.status AS copy_status"""

# The item ``i`` offered to the employee ``c`` at ``:now`` without a call to points_api:
# what catalogue.eligibility's unavailability and ineligibility find nothing against
# (no minimum of qualifying points, which needs the balance). A filter only: the
# redemption is reserved in the claim's statement when it holds, and those functions
# still decide (a redemption reserved against their verdict is given back).
_SURELY_OFFERED = """i.archived_at IS NULL
    AND (i.active_from IS NULL OR i.active_from <= CAST(:now AS timestamptz))
    AND (i.active_until IS NULL OR CAST(:now AS timestamptz) < i.active_until)
    AND i.min_qualifying_points = 0 AND c.status = 'active'
    AND (cardinality(i.role_families) = 0 OR c.job_role_family = ANY(i.role_families))
    AND (cardinality(i.department_codes) = 0
         OR i.department_codes && (c.department_path || c.department_code))"""

# The limit period of the item ``i`` at ``:now`` (catalogue.eligibility.period_key of
# each period, as parameters), NULL for an item without a limit.
_PERIOD = """CASE WHEN COALESCE(i.limit_count, 0) > 0 THEN CASE i.limit_period
    WHEN 'month' THEN CAST(:month AS varchar) WHEN 'quarter' THEN CAST(:quarter AS varchar)
    WHEN 'year' THEN CAST(:year AS varchar) END END"""


def _reserving(go: str) -> str:
    """SQL: the CTEs that reserve the redemption of the item selected by ``go`` (the
    FROM and WHERE of a SELECT of the item's row as ``i``), for the employee, the
    quantity and the redemption id of the parameters: the units counted against the
    employee's limit (``counted``, a row when counted), then the stock (``taken``,
    only once counted), then the redemption recorded as ``reserving`` (``reserved``)
    with what it took: whenever the limit was counted, even without the stock (the
    statement commits by itself, so a count is never left without a record that the
    caller or, after a crash, the sweeper gives back), and for an item without a limit
    when the stock was taken. Nothing is locked beyond the statement."""
    return f"""go AS (
    SELECT i.code, i.name, i.kind, i.cost_points, i.leave_days, i.subsidy_amount,
           i.stock_total, i.limit_count, {_PERIOD} AS period_key
    {go}
), counted AS (
    INSERT INTO limit_usage (employee_no, item_code, period_key, used)
    SELECT CAST(:employee_no AS varchar), go.code, go.period_key, CAST(:quantity AS integer)
    FROM go WHERE go.period_key IS NOT NULL AND CAST(:quantity AS integer) <= go.limit_count
    ON CONFLICT (employee_no, item_code, period_key) DO UPDATE
    SET used = limit_usage.used + excluded.used, updated_at = now()
    WHERE limit_usage.used + excluded.used <= (SELECT limit_count FROM go)
    RETURNING used
), taken AS (
    UPDATE reward_item t SET stock_remaining = t.stock_remaining - CAST(:quantity AS integer),
                             stock_reserved = t.stock_reserved + CAST(:quantity AS integer)
    FROM go
    WHERE t.code = CAST(:item_code AS varchar) AND t.code = go.code
      AND t.stock_remaining >= CAST(:quantity AS integer)
      AND (go.period_key IS NULL OR EXISTS (SELECT 1 FROM counted))
    RETURNING t.code
), reserved AS (
    INSERT INTO redemption (id, employee_no, item_code, item_name, item_kind, quantity,
        unit_cost_points, points, leave_days, subsidy_amount, requires_approval, status,
        stock_tracked, limit_period_key, hold_expires_at, requested_by, idempotency_key,
        hold_checks, created_at, updated_at)
    SELECT CAST(:redemption_id AS uuid), CAST(:employee_no AS varchar), go.code, go.name,
        go.kind, CAST(:quantity AS integer), go.cost_points,
        go.cost_points * CAST(:quantity AS integer), go.leave_days * CAST(:quantity AS integer),
        go.subsidy_amount * CAST(:quantity AS integer), false, 'reserving',
        EXISTS (SELECT 1 FROM taken), go.period_key, CAST(:expires AS timestamptz),
        CAST(:requested_by AS varchar), CAST(:key AS varchar), 0,
        CAST(:now AS timestamptz), CAST(:now AS timestamptz)
    FROM go
    WHERE CASE WHEN go.period_key IS NOT NULL THEN EXISTS (SELECT 1 FROM counted)
               ELSE go.stock_total IS NULL OR EXISTS (SELECT 1 FROM taken) END
    RETURNING id
)"""


# What _reserving did, as columns of the statement's row.
_RESERVED = """(SELECT count(*) FROM go) > 0 AS tried,
       (SELECT count(*) FROM reserved) > 0 AS reserved,
       (SELECT count(*) FROM counted) > 0 AS counted,
       (SELECT count(*) FROM taken) > 0 AS taken,
       (SELECT count(*) FROM go WHERE stock_total IS NOT NULL) > 0 AS stocked"""

# The item's row, read once by a statement that reads it in several places (a popular
# item with stock is a hot row, updated by every redemption: each read of it walks
# the versions not yet pruned).
_ITEM = """item AS MATERIALIZED (
    SELECT * FROM reward_item WHERE code = CAST(:item_code AS varchar))"""

# The item and the employee copy, with the request's Idempotency-Key claimed for this
# process when the item is redeemed without a transaction (see shared.idempotency.
# RouteKeys), and, for an item with stock or a limit that is surely offered to the
# employee, the redemption reserved (_reserving): one statement that commits by
# itself; one row (columns NULL for what does not exist). ``prior_*``: the redemption
# an earlier request with the key recorded (its process died before it answered).
# Not claimed (the key held or answered, an item that needs approval or vouchers, no
# key): the transaction below decides.
_CLAIMED_AND_OFFERED = f"""FROM item i
    JOIN employee_copy c ON c.employee_no = CAST(:employee_no AS varchar)
    WHERE {INSTANT} AND NOT ({AT_ONCE}) AND {_SURELY_OFFERED}
      AND (CAST(:key AS varchar) IS NULL OR EXISTS (SELECT 1 FROM claimed))
      AND NOT EXISTS (SELECT 1 FROM prior)"""
_CLAIM_HEAD = f"""WITH {_ITEM}, claimed AS (
    {keys.claim_sql(f"EXISTS (SELECT 1 FROM item i WHERE {INSTANT})")}
), prior AS (
    SELECT id, status FROM redemption
    WHERE requested_by = CAST(:requested_by AS varchar)
      AND idempotency_key = CAST(:key AS varchar)
)"""
_CLAIM_READ = f"""SELECT {_READ}, (SELECT count(*) FROM claimed) > 0 AS claimed,
       COALESCE({INSTANT}, false) AS instant, COALESCE({AT_ONCE}, false) AS at_once"""
_CLAIM_FROM = """(SELECT id FROM prior) AS prior_id, (SELECT status FROM prior) AS prior_status
FROM (SELECT 1) AS one
LEFT JOIN item i ON true
LEFT JOIN employee_copy c ON c.employee_no = CAST(:employee_no AS varchar)"""
CLAIM = prebuild(text(f"""
{_CLAIM_HEAD}, {_reserving(_CLAIMED_AND_OFFERED)}
{_CLAIM_READ}, {_RESERVED}, {_CLAIM_FROM}
"""))

# CLAIM without its reservation: for an item last seen redeemed at once (instant.py
# remembers which), whose claim would find nothing to reserve. Its reserving steps
# cost PostgreSQL even when they reserve nothing (their tables and indexes opened and
# locked): 45-75 us of a redemption's. An item that has gained stock or a limit since
# is answered as one CLAIM left to the checks (``tried`` false), which RESERVE then
# reserves; the same row otherwise, with the same parameters.
CLAIM_AT_ONCE = prebuild(text(f"""
{_CLAIM_HEAD}
{_CLAIM_READ}, false AS tried, false AS reserved, false AS counted, false AS taken,
       COALESCE(i.stock_total IS NOT NULL, false) AS stocked, {_CLAIM_FROM}
"""))

# The redemption reserved (_reserving) after the checks CLAIM's statement left to
# Python (a minimum of qualifying points, say), with the stock as the statement found
# it; one row.
RESERVE = prebuild(text(f"""
WITH {_ITEM}, {_reserving(f"FROM item i WHERE {INSTANT} AND NOT ({AT_ONCE})")}
SELECT {_RESERVED}, i.stock_remaining
FROM (SELECT 1) AS one LEFT JOIN item i ON true
"""))

# The transaction's opening read: the item, the employee copy and the answer stored
# for the request's Idempotency-Key (read once the key is held), one row.
OPENING = prebuild(text(f"""
SELECT {_READ}, {keys.lookup_sql("k")}
FROM (SELECT 1) AS one
LEFT JOIN reward_item i ON i.code = :item_code
LEFT JOIN employee_copy c ON c.employee_no = :employee_no
LEFT JOIN idempotency_key k ON k.scope = :scope AND k.key = :key
"""))

# Count units against the employee's limit (see consume_limit); a row when counted.
CONSUME_LIMIT = prebuild(text("""
INSERT INTO limit_usage (employee_no, item_code, period_key, used)
VALUES (:employee_no, :item_code, :period_key, :quantity)
ON CONFLICT (employee_no, item_code, period_key) DO UPDATE
SET used = limit_usage.used + excluded.used, updated_at = now()
WHERE limit_usage.used + excluded.used <= :limit
RETURNING used
"""))

# Units issued at once (no reservation in between): a row when enough remained; else
# the stock as it stands.
ISSUE_STOCK = prebuild(text("""
WITH issued AS (
    UPDATE reward_item SET stock_remaining = stock_remaining - :quantity,
                           stock_issued = stock_issued + :quantity
    WHERE code = :item_code AND stock_remaining >= :quantity
    RETURNING code)
SELECT (SELECT count(*) FROM issued) AS issued, i.stock_total, i.stock_remaining
FROM reward_item i WHERE i.code = :item_code
"""))

# What a refused redemption had taken, given back in its transaction.
GIVE_BACK_LIMIT = prebuild(text("""
UPDATE limit_usage SET used = used - :quantity, updated_at = now()
WHERE employee_no = :employee_no AND item_code = :item_code AND period_key = :period_key
"""))
UNISSUE_STOCK = prebuild(text("""
UPDATE reward_item SET stock_remaining = stock_remaining + :quantity,
                       stock_issued = stock_issued - :quantity
WHERE code = :item_code
"""))

# The oldest free voucher code, locked for the transaction (concurrent redemptions skip
# it, see vouchers.repository.assign); RECORDED hands it to the redemption.
PICK_VOUCHER = prebuild(text("""
SELECT id, code FROM voucher_code
WHERE item_code = :item_code AND redemption_id IS NULL
ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
"""))

def _answer(when: str) -> str:
    """SQL: the CTE ``answer`` that stores the request's answer for its Idempotency-Key
    over its claim when ``keyed`` and ``when`` (RouteKeys.store_params' parameters)."""
    return f"""answer AS (
    INSERT INTO idempotency_key (scope, key, request_hash, state, status_code,
                                 response_headers, response_body)
    SELECT :scope, :key, :digest, 'done', :status, CAST(:headers AS jsonb), :body
    WHERE CAST(:keyed AS boolean) AND {when}
    ON CONFLICT (scope, key) DO UPDATE SET
        request_hash = excluded.request_hash, state = 'done',
        status_code = excluded.status_code, response_headers = excluded.response_headers,
        response_body = excluded.response_body, created_at = now()
    WHERE idempotency_key.created_at < :fresh OR idempotency_key.state <> 'done'
)"""


def _relayed(when: str) -> str:
    """SQL: the CTEs ``events`` and ``relayed`` that insert a redemption's integration
    events and outbox rows (JSON arrays of rows) when ``when``."""
    return f"""events AS (
    INSERT INTO integration_event (event_id, event_type, redemption_id, employee_no,
                                   payload, occurred_at)
    SELECT event_id, event_type, redemption_id, employee_no, payload, occurred_at
    FROM jsonb_populate_recordset(NULL::integration_event, CAST(:integration AS jsonb))
    WHERE {when}
), relayed AS (
    INSERT INTO outbox_event (event_id, event_type, destination, payload, occurred_at,
                              available_at)
    SELECT event_id, event_type, destination, payload, occurred_at, occurred_at
    FROM jsonb_populate_recordset(NULL::outbox_event, CAST(:outbox AS jsonb))
    WHERE {when}
    RETURNING id
)"""


# The redemption, its voucher code (``voucher_id``, picked by PICK_VOUCHER), its
# integration events and its outbox rows (each list a JSON array of rows), and when
# ``keyed`` the request's Idempotency-Key with its answer: one statement (the foreign
# keys are checked at its end). Answers the outbox row ids (``relayed``).
RECORDED = prebuild(text(f"""
WITH r AS (
    INSERT INTO redemption (id, employee_no, item_code, item_name, item_kind, quantity,
        unit_cost_points, points, leave_days, subsidy_amount, requires_approval, status,
        stock_tracked, limit_period_key, hold_expires_at, requested_by, idempotency_key,
        decided_by, decided_at, decision_reason, fulfilled_at, failure_reason,
        hold_check_due_at, hold_checks, created_at, updated_at)
    SELECT id, employee_no, item_code, item_name, item_kind, quantity, unit_cost_points,
        points, leave_days, subsidy_amount, requires_approval, status, stock_tracked,
        limit_period_key, hold_expires_at, requested_by, idempotency_key, decided_by,
        decided_at, decision_reason, fulfilled_at, failure_reason, hold_check_due_at,
        hold_checks, created_at, updated_at
    FROM jsonb_populate_record(NULL::redemption, CAST(:redemption AS jsonb))
), voucher AS (
    UPDATE voucher_code SET redemption_id = CAST(:redemption_id AS uuid), assigned_at = now()
    WHERE id = CAST(:voucher_id AS bigint)
), {_relayed("true")}, {_answer("true")}
SELECT array_agg(id ORDER BY id) AS relayed FROM relayed
"""))

# A reserved redemption fulfilled (reserving -> fulfilled, its units reserved ->
# issued) with its integration events, its outbox rows and the stored answer, as
# RECORDED records one redeemed at once; nothing when it is no longer reserving (the
# sweeper finished it meanwhile: ``settled`` 0).
SETTLED = prebuild(text(f"""
WITH r AS (
    UPDATE redemption SET status = 'fulfilled', fulfilled_at = CAST(:now AS timestamptz),
                          updated_at = CAST(:now AS timestamptz)
    WHERE id = CAST(:redemption_id AS uuid) AND status = 'reserving'
    RETURNING item_code, quantity, stock_tracked
), issued AS (
    UPDATE reward_item i SET stock_reserved = i.stock_reserved - r.quantity,
                             stock_issued = i.stock_issued + r.quantity
    FROM r WHERE r.stock_tracked AND i.code = r.item_code
), {_relayed("EXISTS (SELECT 1 FROM r)")}, {_answer("EXISTS (SELECT 1 FROM r)")}
SELECT (SELECT count(*) FROM r) AS settled,
       (SELECT array_agg(id ORDER BY id) FROM relayed) AS relayed
"""))

# A reserved redemption that will not be fulfilled: recorded as failed (a retry with
# the key tries again; ``check_due``: when the sweeper looks for a spend that may
# exist), or with ``forget`` deleted (refused before points_api was asked: no record,
# as for any refusal); its limit and stock given back (an item made unlimited meanwhile
# only forgets the reservation), and a 4xx answer stored. Nothing is given back when it
# is no longer reserving (the sweeper finished it).
GIVEN_BACK = prebuild(text(f"""
WITH failed AS (
    UPDATE redemption SET status = 'failed', failure_reason = :reason,
        idempotency_key = NULL, hold_check_due_at = CAST(:check_due AS timestamptz),
        updated_at = now()
    WHERE id = CAST(:redemption_id AS uuid) AND status = 'reserving'
      AND NOT CAST(:forget AS boolean)
    RETURNING employee_no, item_code, quantity, stock_tracked, limit_period_key
), forgotten AS (
    DELETE FROM redemption
    WHERE id = CAST(:redemption_id AS uuid) AND status = 'reserving'
      AND CAST(:forget AS boolean)
    RETURNING employee_no, item_code, quantity, stock_tracked, limit_period_key
), back AS (
    SELECT * FROM failed UNION ALL SELECT * FROM forgotten
), limit_back AS (
    UPDATE limit_usage u SET used = u.used - b.quantity, updated_at = now()
    FROM back b
    WHERE u.employee_no = b.employee_no AND u.item_code = b.item_code
      AND u.period_key = b.limit_period_key
), stock_back AS (
    UPDATE reward_item i SET stock_reserved = i.stock_reserved - b.quantity,
        stock_remaining = CASE WHEN i.stock_total IS NULL THEN NULL
                               ELSE i.stock_remaining + b.quantity END
    FROM back b WHERE b.stock_tracked AND i.code = b.item_code
), {_answer("true")}
SELECT count(*) AS given_back FROM back
"""))



async def by_key(session: AsyncSession, requested_by: str, key: str) -> Redemption | None:
    return (await session.execute(select(Redemption).where(
        Redemption.requested_by == requested_by, Redemption.idempotency_key == key))
    ).scalar_one_or_none()


@dataclass
class RedemptionFilters:
    status: str | None = None
    item_code: str | None = None
    employee_no: str | None = None


@dataclass
class Scope:
    """Whose redemptions a caller may list: everybody's, or their own plus those of
    employees in the departments they manage (sub-departments included)."""

    everything: bool
    employee_no: str
    departments: tuple[str, ...] = ()


def _scope_condition(scope: Scope) -> ColumnElement[bool] | None:
    if scope.everything:
        return None
    own = Redemption.employee_no == scope.employee_no
    if not scope.departments:
        return own
    # the list query joins the employee copy
    return or_(own, employee_copy.c.department_path.overlap(array(list(scope.departments))))


async def list_page(session: AsyncSession, filters: RedemptionFilters, *, scope: Scope,
                    after: tuple[datetime, uuid.UUID] | None, limit: int
                    ) -> list[tuple[Redemption, str | None]]:
    """Newest first, each with the employee's name from the read copy."""
    stmt = (select(Redemption, employee_copy.c.name)
            .outerjoin(employee_copy, employee_copy.c.employee_no == Redemption.employee_no)
            .order_by(Redemption.created_at.desc(), Redemption.id.desc()).limit(limit))
    condition = _scope_condition(scope)
    if condition is not None:
        stmt = stmt.where(condition)
    if filters.status is not None:
        stmt = stmt.where(Redemption.status == filters.status)
    if filters.item_code is not None:
        stmt = stmt.where(Redemption.item_code == filters.item_code)
    if filters.employee_no is not None:
        stmt = stmt.where(Redemption.employee_no == filters.employee_no)
    if after is not None:
        stmt = stmt.where(tuple_(Redemption.created_at, Redemption.id) < tuple_(*after))
    return list((await session.execute(stmt)).tuples())


async def employee_name(session: AsyncSession, employee_no: str) -> str | None:
    return (await session.execute(select(employee_copy.c.name)
                                  .where(employee_copy.c.employee_no == employee_no))
            ).scalar_one_or_none()


# -- work for the sweeper -------------------------------------------------------------


async def due_for_expiry(session: AsyncSession, *, now: datetime, limit: int
                         ) -> list[Redemption]:
    """Pending redemptions past their hold's expiry, locked; rows another replica
    is expiring are skipped."""
    return list((await session.execute(
        select(Redemption)
        .where(Redemption.status == RedemptionStatus.PENDING_APPROVAL,
               Redemption.hold_expires_at <= now)
        .order_by(Redemption.hold_expires_at).limit(limit)
        .with_for_update(skip_locked=True))).scalars())


async def interrupted(session: AsyncSession, *, started_before: datetime, limit: int
                      ) -> list[uuid.UUID]:
    """Redemptions still reserving long after they started: their request died."""
    return list((await session.execute(
        select(Redemption.id)
        .where(Redemption.status == RedemptionStatus.RESERVING,
               Redemption.created_at < started_before)
        .order_by(Redemption.created_at).limit(limit))).scalars())


async def hold_checks_due(session: AsyncSession, *, now: datetime, limit: int
                          ) -> list[uuid.UUID]:
    return list((await session.execute(
        select(Redemption.id)
        .where(Redemption.hold_check_due_at <= now)
        .order_by(Redemption.hold_check_due_at).limit(limit))).scalars())


# -- stock ----------------------------------------------------------------------------


async def reserve_stock(session: AsyncSession, item_code: str, quantity: int) -> bool:
    """Take ``quantity`` units of a stocked item, or nothing when fewer remain.
    One conditional UPDATE: the row lock serialises concurrent reservations and the
    CHECK on ``stock_remaining`` backs it up."""
    result = await session.execute(
        update(RewardItem)
        .where(RewardItem.code == item_code, RewardItem.stock_remaining >= quantity)
        .values(stock_remaining=RewardItem.stock_remaining - quantity,
                stock_reserved=RewardItem.stock_reserved + quantity)
        .returning(RewardItem.code))
    return result.scalar_one_or_none() is not None


async def return_stock(session: AsyncSession, item_code: str, quantity: int) -> None:
    """Give reserved units back (an unlimited item only forgets the reservation)."""
    await session.execute(
        update(RewardItem).where(RewardItem.code == item_code)
        .values(stock_reserved=RewardItem.stock_reserved - quantity,
                stock_remaining=case((RewardItem.stock_total.is_(None), None),
                                     else_=RewardItem.stock_remaining + quantity)))


async def issue_stock(session: AsyncSession, item_code: str, quantity: int) -> None:
    """Reserved units become issued ones on fulfilment."""
    await session.execute(
        update(RewardItem).where(RewardItem.code == item_code)
        .values(stock_reserved=RewardItem.stock_reserved - quantity,
                stock_issued=RewardItem.stock_issued + quantity))


# -- per-employee limits --------------------------------------------------------------


async def consume_limit(session: AsyncSession, *, employee_no: str, item_code: str,
                        period_key: str, quantity: int, limit: int) -> bool:
    """Count ``quantity`` units against the employee's limit, or nothing when that
    would pass it. The upsert locks the counter row, so concurrent redemptions by
    one employee are counted one after the other."""
    if quantity > limit:
        return False
    new = insert(LimitUsage).values(employee_no=employee_no, item_code=item_code,
                                    period_key=period_key, used=quantity)
    stmt = new.on_conflict_do_update(
        index_elements=[LimitUsage.employee_no, LimitUsage.item_code, LimitUsage.period_key],
        set_={"used": LimitUsage.used + new.excluded.used, "updated_at": func.now()},
        where=LimitUsage.used + new.excluded.used <= limit,
    ).returning(LimitUsage.used)
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def give_back_limit(session: AsyncSession, *, employee_no: str, item_code: str,
                          period_key: str, quantity: int) -> None:
    await session.execute(
        update(LimitUsage)
        .where(and_(LimitUsage.employee_no == employee_no, LimitUsage.item_code == item_code,
                    LimitUsage.period_key == period_key))
        .values(used=LimitUsage.used - quantity, updated_at=func.now()))
