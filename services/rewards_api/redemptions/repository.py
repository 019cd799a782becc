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

# An item redeemed by autocommitted statements: one that needs no approval and takes
# nothing the redemption would have to give back should it die half-way (stock, the
# employee's limit, a voucher code).
AT_ONCE = """NOT i.requires_approval AND i.stock_total IS NULL AND i.kind <> 'voucher'
    AND (i.limit_period IS NULL OR COALESCE(i.limit_count, 0) = 0)"""

_READ = """i.*, c.employee_no AS copy_no, c.name AS copy_name,
       c.department_code AS copy_department, c.department_path AS copy_path,
       c.job_role_family AS copy_family, c.status AS copy_status"""

# The item and the employee copy, with the request's Idempotency-Key claimed for this
# process when the item is redeemed at once (see shared.idempotency.RouteKeys), one
# statement that commits by itself; one row (columns NULL for what does not exist).
# Not claimed (the key held or answered, another item, no key): the transaction
# below decides.
CLAIM = prebuild(text(f"""
WITH claimed AS ({keys.claim_sql(
    f"EXISTS (SELECT 1 FROM reward_item i WHERE i.code = :item_code AND {AT_ONCE})")})
SELECT {_READ}, (SELECT count(*) FROM claimed) > 0 AS claimed,
       COALESCE({AT_ONCE}, false) AS at_once
FROM (SELECT 1) AS one
LEFT JOIN reward_item i ON i.code = :item_code
LEFT JOIN employee_copy c ON c.employee_no = :employee_no
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

# The redemption, its voucher code (``voucher_id``, picked by PICK_VOUCHER), its
# integration events and its outbox rows (each list a JSON array of rows), and when
# ``keyed`` the request's Idempotency-Key with its answer: one statement (the foreign
# keys are checked at its end). Answers the outbox row ids.
RECORDED = prebuild(text("""
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
), events AS (
    INSERT INTO integration_event (event_id, event_type, redemption_id, employee_no,
                                   payload, occurred_at)
    SELECT event_id, event_type, redemption_id, employee_no, payload, occurred_at
    FROM jsonb_populate_recordset(NULL::integration_event, CAST(:integration AS jsonb))
), relayed AS (
    INSERT INTO outbox_event (event_id, event_type, destination, payload, occurred_at,
                              available_at)
    SELECT event_id, event_type, destination, payload, occurred_at, occurred_at
    FROM jsonb_populate_recordset(NULL::outbox_event, CAST(:outbox AS jsonb))
    RETURNING id
), answer AS (
    INSERT INTO idempotency_key (scope, key, request_hash, state, status_code,
                                 response_headers, response_body)
    SELECT :scope, :key, :digest, 'done', :status, CAST(:headers AS jsonb), :body
    WHERE CAST(:keyed AS boolean)
    ON CONFLICT (scope, key) DO UPDATE SET
        request_hash = excluded.request_hash, state = 'done',
        status_code = excluded.status_code, response_headers = excluded.response_headers,
        response_body = excluded.response_body, created_at = now()
    WHERE idempotency_key.created_at < :fresh OR idempotency_key.state <> 'done'
)
SELECT count(*) AS relayed FROM relayed
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
