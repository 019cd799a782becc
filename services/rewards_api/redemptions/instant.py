"""Redeeming: without approval, one call to points_api between statements of rewards_api.

``POST /rewards/v1/redemptions`` runs prebuilt statements on a driver connection
(shared.db.DriverConnection), keeping the request's Idempotency-Key itself
(shared.idempotency.RouteKeys), in one of three ways:

- **At once**, for an item that takes nothing but points (no approval, no tracked
  stock, no per-employee limit, no voucher code): one statement that commits by
  itself reads the item and the employee copy and claims the key for this process;
  points_api is asked for a ``spend`` (hold and capture at once, keyed by the
  redemption id); one statement records the fulfilled redemption, its integration
  events, its outbox rows (the ``hold.capture`` that confirms the spend, the
  webhooks) and the stored answer over the claim. Two round trips to the database.
- **Reserving first**, for an item with stock or a per-employee limit (no approval,
  no voucher code): the same first statement also counts the units against the
  limit, takes them from the stock (reserved) and records the redemption as
  ``reserving`` - committed before points_api is asked, and only when the item is
  surely offered to the employee (else the checks run first and RESERVE does it).
  Then the spend; then one statement fulfils it (reserved -> issued, events, outbox
  rows, the answer), or records it as failed and gives the units and the limit back
  (GIVEN_BACK). No row stays locked while points_api answers, so redemptions of one
  item do not wait for one another's call. Two round trips, as at once.
- **In one transaction** for a voucher item (its code is picked in the transaction)
  and a key the first statement did not claim (answered already, or held): the key
  taken with the BEGIN (one round trip), the stored answer, the item and the
  employee copy read, the limit counted and the stock issued, the spend, the same
  recording statement, COMMIT. Locks taken before the call (the employee's limit
  counter, the item's stock row) are held while points_api answers.

Should the process die after a reservation, the redemption stays ``reserving``: the
sweeper (recovery.py) asks points_api about the spend and fulfils it, or fails it
and gives its units and limit back; a retry with the key meanwhile answers 409, then
the redemption once fulfilled (200); a failed one lets go of the key, and the retry
redeems anew. Should the process die after
points_api spent for an item redeemed at once or in the transaction, no redemption
exists and nothing confirms the spend: points_api gives the points back when the
spend expires (``instant_hold_minutes``); a claim dies with its process, so a retry
with the key runs again. When the answer to the spend is lost, or anything fails
after it, the redemption is recorded as failed with a look for the spend due, and
the sweeper releases it.

Items that need approval take the two-phase path (placing.py), inside the
transaction's hold on the key.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rewards_api import employees
from services.rewards_api.catalogue.eligibility import period_key
from services.rewards_api.catalogue.errors import ItemNotFound
from services.rewards_api.clients.points import PointsClient
from services.rewards_api.config import Settings
from services.rewards_api.errors import InsufficientPoints, PointsUnavailable
from services.rewards_api.models import RedemptionStatus
from services.rewards_api.redemptions import repository as repo
from services.rewards_api.redemptions import settlement
from services.rewards_api.redemptions.access import check_requester
from services.rewards_api.redemptions.errors import LimitReached, OutOfStock
from services.rewards_api.redemptions.placing import Placed, hold_reason, placing
from services.rewards_api.redemptions.repository import keys
from services.rewards_api.redemptions.schemas import RedemptionCreate
from services.rewards_api.redemptions.service import present, redemption_out
from shared.auth import Principal
from shared.contracts.holds import HOLD_CAPTURE, HoldCreate
from shared.db import DriverConnection, Prebuilt, RowAttributes
from shared.errors import ServiceError, problem_response
from shared.idempotency import Keyed, KeyInUse, KeyReused
from shared.outbox import hand_over

log = structlog.get_logger("jifen.rewards.redeem")

_JSON = "application/json"


class Answer:
    """The response of a redemption request: status, body and headers, as stored for
    replays of its Idempotency-Key."""

    def __init__(self, status: int, body: bytes, media_type: str = _JSON,
                 headers: Mapping[str, str] | None = None) -> None:
        self.status, self.body = status, body
        self.headers = [("content-type", media_type), ("content-length", str(len(body))),
                        *(headers or {}).items()]

    def response(self) -> Response:
        response = Response(content=self.body, status_code=self.status)
        response.raw_headers = [(k.encode("latin-1"), v.encode("latin-1"))
                                for k, v in self.headers]
        return response


def _employee(row: Mapping[str, Any]) -> dict[str, Any] | None:
    if row["copy_no"] is None:
        return None
    return {"employee_no": row["copy_no"], "name": row["copy_name"],
            "department_code": row["copy_department"], "department_path": row["copy_path"],
            "job_role_family": row["copy_family"], "status": row["copy_status"]}


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


@dataclass
class _Work:
    """One redemption on its way, and what it has taken so far."""

    redemption_id: uuid.UUID
    employee_no: str
    data: RedemptionCreate
    principal: Principal
    keyed: Keyed | None
    now: datetime
    expires: datetime  # of the spend, unless the redemption confirms it
    item: Any = None
    period: str | None = None
    counted: bool = False  # against the employee's limit, in the transaction (_count)
    stock_tracked: bool = False  # units issued
    spending: bool = False  # points_api was asked: a spend may exist
    reserving: bool = False  # redeemed by autocommitted statements, reserving first
    reserved: bool = False  # recorded as reserving, with its units and limit taken

    def record(self) -> dict[str, Any]:
        """The row of the redemption, fulfilled at once."""
        item, quantity, stamp = self.item, self.data.quantity, self.now.isoformat()
        return {
            "id": str(self.redemption_id), "employee_no": self.employee_no,
            "item_code": item.code, "item_name": item.name, "item_kind": item.kind,
            "quantity": quantity, "unit_cost_points": item.cost_points,
            "points": item.cost_points * quantity,
            "leave_days": (item.leave_days * quantity if item.leave_days is not None
                           else None),
            "subsidy_amount": (item.subsidy_amount * quantity
                               if item.subsidy_amount is not None else None),
            "requires_approval": False, "status": RedemptionStatus.FULFILLED,
            "stock_tracked": self.stock_tracked, "limit_period_key": self.period,
            "hold_expires_at": self.expires.isoformat(), "requested_by": self.principal.sub,
            "idempotency_key": self.keyed.key if self.keyed else None, "decided_by": None,
            "decided_at": None, "decision_reason": None, "fulfilled_at": stamp,
            "failure_reason": None, "hold_check_due_at": None, "hold_checks": 0,
            "created_at": stamp, "updated_at": stamp}

    def failed(self, exc: BaseException | None) -> dict[str, Any]:
        """RECORDED's parameters for the redemption recorded as failed after the call to
        points_api met ``exc`` (nothing taken, nothing relayed); the sweeper looks for a
        spend that may exist."""
        reason, check_due = self._failure(exc)
        record = self.record()
        record.update(status=RedemptionStatus.FAILED, failure_reason=reason, fulfilled_at=None,
                      stock_tracked=False, limit_period_key=None, idempotency_key=None,
                      hold_check_due_at=check_due.isoformat() if check_due else None)
        return {"redemption": _json(record), "redemption_id": self.redemption_id,
                "voucher_id": None, "integration": "[]", "outbox": "[]"}

    def given_back(self, exc: BaseException | None) -> dict[str, Any]:
        """GIVEN_BACK's parameters for the reserved redemption: failed once points_api
        was asked (it met ``exc``), forgotten when it was refused before."""
        reason, check_due = self._failure(exc)
        return {"redemption_id": self.redemption_id, "forget": not self.spending,
                "reason": reason, "check_due": check_due}

    def _failure(self, exc: BaseException | None) -> tuple[str, datetime | None]:
        """Why a redemption failed after points_api was asked, and when to look for a
        spend that may exist (None: there surely is none)."""
        if isinstance(exc, InsufficientPoints):
            return "insufficient-points", None
        if isinstance(exc, PointsUnavailable) and not exc.maybe_created:
            return "points-unavailable", None
        return "points-unavailable", self.now + settlement.FIRST_HOLD_CHECK

    def claim_params(self) -> dict[str, Any]:
        """CLAIM_AT_ONCE's parameters, besides the key's claim: nothing to reserve."""
        return {"item_code": self.data.item_code, "employee_no": self.employee_no,
                "requested_by": self.principal.sub,
                "key": self.keyed.key if self.keyed else None}

    def reserve_params(self, settings: Settings) -> dict[str, Any]:
        """The parameters CLAIM and RESERVE reserve the redemption with."""
        return {**self.claim_params(), "quantity": self.data.quantity,
                "redemption_id": self.redemption_id, "now": self.now,
                "expires": self.expires,
                **{period: period_key(period, self.now, settings.tz)
                   for period in ("month", "quarter", "year")}}


# how many item codes :class:`InstantRedemptions` remembers as redeemed at once (the
# catalogue's items, far fewer in practice; past it the memory starts again)
AT_ONCE_MEMORY = 10_000


class InstantRedemptions:
    def __init__(self) -> None:
        # items whose last claim found them redeemed at once: their claims leave out
        # the reservation (repo.CLAIM_AT_ONCE), which they would find nothing to take
        self._lean: set[str] = set()

    async def redeem(self, db: DriverConnection, sessionmaker: async_sessionmaker[AsyncSession],
                     points: PointsClient, request: Request, *, principal: Principal,
                     data: RedemptionCreate, keyed: Keyed | None,
                     settings: Settings) -> Response:
        """The answer to the request (the outbox rows it wrote go to the relay once they
        are committed). An item that needs no approval and hands out no voucher code is
        redeemed by autocommitted statements (:meth:`_at_once`, reserving first when it
        has stock or a limit); anything else, and a key this request could not claim
        (answered already, or held), in one transaction (:meth:`_in_transaction`). A
        refusal is answered by the path that met it, its answer stored for the key (a
        5xx is not: a retry runs again)."""
        employee_no = data.employee_no or principal.sub
        check_requester(principal, employee_no)
        work = _Work(redemption_id=uuid.uuid4(), employee_no=employee_no, data=data,
                     principal=principal, keyed=keyed, now=datetime.now(UTC),
                     expires=datetime.now(UTC) + timedelta(
                         minutes=settings.instant_hold_minutes))
        owner = getattr(request.app.state, "claim_owner", None)
        claim = self._claim(data.item_code)
        # the key the claim takes is the one the reserved redemption records
        params = (work.claim_params() if claim is repo.CLAIM_AT_ONCE
                  else work.reserve_params(settings))
        row = await db.first(claim, **{**params, **keys.claim_params(keyed, owner)})
        assert row is not None
        self._remember(data.item_code, row)
        if row["claimed"] or (keyed is None and row["instant"]):
            work.reserving, work.reserved = not row["at_once"], row["reserved"]
            answer = await self._at_once(db, sessionmaker, points, request, work, row,
                                         settings)
        else:
            answer = await self._in_transaction(db, sessionmaker, points, request, work,
                                                settings)
        return answer.response()

    def _claim(self, item_code: str) -> Prebuilt:
        """The first statement for ``item_code``: without the reservation for an item
        last seen redeemed at once. Chosen from what this process saw, so without a
        round trip of its own; should the item have gained stock or a limit meanwhile,
        the lean claim answers it as a claim that left the reservation to the checks,
        and :meth:`_reserve` reserves it (one statement more, once)."""
        return repo.CLAIM_AT_ONCE if item_code in self._lean else repo.CLAIM

    def _remember(self, item_code: str, row: Mapping[str, Any]) -> None:
        if row["at_once"]:
            if len(self._lean) >= AT_ONCE_MEMORY:
                self._lean.clear()
            self._lean.add(item_code)
        else:
            self._lean.discard(item_code)

    async def _at_once(self, db: DriverConnection,
                       sessionmaker: async_sessionmaker[AsyncSession], points: PointsClient,
                       request: Request, work: _Work, row: Mapping[str, Any],
                       settings: Settings) -> Answer:
        """The item and employee as read by the claim; for an item with stock or a
        limit the redemption reserved (by the claim's statement, or :meth:`_reserve`);
        the spend; one statement that records the redemption, or fulfils the reserved
        one, with the answer over the claim.

        Nothing but the claim is taken before the spend of an item redeemed at once, so
        a process that dies on the way leaves only the claim, dead with it (a retry
        takes the key over), and perhaps an unconfirmed spend, which points_api gives
        back when it expires. A reserved redemption is committed before the spend: a
        process that dies after it leaves it ``reserving`` for the sweeper, which asks
        points_api about the spend and fulfils it or gives its units back; a retry with
        the key meanwhile answers 409, then the redemption once fulfilled (200)."""
        try:
            try:
                if row["prior_id"] is not None:
                    answer = await self._prior(db, work, row)
                else:
                    answer = await self._carry_out(db, sessionmaker, points, work, row,
                                                   settings)
            except ServiceError as exc:
                if isinstance(exc, KeyInUse | KeyReused) or (
                        exc.status >= 500 and not (work.spending or work.reserved)):
                    raise
                answer = await self._refused(db, request, exc, work)
        except BaseException as exc:
            await self._undo_quietly(db, work, exc)
            await self._let_go(db, work.keyed)
            raise
        if answer.status >= 500:
            await self._let_go(db, work.keyed)
        return answer

    async def _in_transaction(self, db: DriverConnection,
                              sessionmaker: async_sessionmaker[AsyncSession],
                              points: PointsClient, request: Request, work: _Work,
                              settings: Settings) -> Answer:
        """The redemption in one transaction that holds the request's key: what it took
        is given back by its rollback, or, for a refusal, in the transaction."""
        try:
            async with db.transaction(keys.begin(work.keyed)):
                try:
                    return await self._redeem(db, sessionmaker, points, work, settings)
                except ServiceError as exc:
                    if isinstance(exc, KeyInUse) or (exc.status >= 500 and not work.spending):
                        raise
                    return await self._refused(db, request, exc, work)
        except BaseException as exc:
            if work.spending:  # the spend may exist: look for it and give it back
                await self._fail_quietly(db, work)
            if (in_use := keys.in_use(exc)) is not None:
                raise in_use from exc
            raise

    async def _redeem(self, db: DriverConnection, sessionmaker: async_sessionmaker[AsyncSession],
                      points: PointsClient, work: _Work,
                      settings: Settings) -> Answer:
        data, keyed = work.data, work.keyed
        row = await db.first(repo.OPENING, item_code=data.item_code,
                             employee_no=work.employee_no, **keys.lookup(keyed))
        assert row is not None
        if keyed is not None and (stored := keys.stored(keyed, row)) is not None:
            return _Replay(stored)
        return await self._carry_out(db, sessionmaker, points, work, row, settings)

    async def _carry_out(self, db: DriverConnection,
                         sessionmaker: async_sessionmaker[AsyncSession], points: PointsClient,
                         work: _Work, row: Mapping[str, Any], settings: Settings) -> Answer:
        """The checks, what the item takes, the spend and the record, from the opening
        read ``row``."""
        data, keyed = work.data, work.keyed
        if row["code"] is None:
            raise ItemNotFound(f"No reward item {data.item_code!r}")
        employee = _employee(row)
        if employee is None:
            raise employees.not_found(work.employee_no)
        item = work.item = RowAttributes(row)
        await placing.check(points, item, employee, data.quantity, work.now)
        if item.requires_approval:
            return await self._two_phase(db, sessionmaker, points, work, settings, employee)
        if item.limit_period and item.limit_count:
            work.period = period_key(item.limit_period, work.now, settings.tz)
        if work.reserving:
            await self._reserve(db, work, row, settings)
        else:
            if work.period is not None:
                await self._count(db, work)
            await self._issue(db, work)
        work.spending = True
        await points.spend(HoldCreate(
            hold_id=work.redemption_id, employee_no=work.employee_no,
            points=item.cost_points * data.quantity, expires_at=work.expires,
            reason=hold_reason(item.name, data.quantity)))
        voucher = None
        if item.kind == "voucher":
            voucher = await db.first(repo.PICK_VOUCHER, item_code=item.code)
            if voucher is None:
                raise settlement.VoucherPoolEmpty(
                    f"no free voucher code of {item.code} for {work.redemption_id}")
        record = work.record()
        out = redemption_out(record, employee_name=employee["name"],
                             voucher_code=voucher["code"] if voucher is not None
                             and work.principal.sub == work.employee_no else None)
        answer = Answer(201, out.model_dump_json().encode())
        relayed = _relayed(record, employee, settings, work.now)
        if work.reserved:
            return await self._settle(db, work, relayed, answer)
        done = await db.first(repo.RECORDED, redemption=_json(record),
                              redemption_id=work.redemption_id,
                              voucher_id=voucher["id"] if voucher else None, **relayed,
                              **_answer_params(keyed, answer))
        assert done is not None
        # the relay loop takes the captures of concurrent redemptions in one call
        hand_over(db, done["relayed"] or [])
        return answer

    async def _count(self, db: DriverConnection, work: _Work) -> None:
        item, quantity = work.item, work.data.quantity
        counted = quantity <= item.limit_count and await db.first(
            repo.CONSUME_LIMIT, employee_no=work.employee_no, item_code=item.code,
            period_key=work.period, quantity=quantity, limit=item.limit_count)
        if not counted:
            raise LimitReached(f"{work.employee_no} may redeem {item.limit_count} of "
                               f"{item.name} per {item.limit_period}")
        work.counted = True

    async def _issue(self, db: DriverConnection, work: _Work) -> None:
        """Issue the units of an item with tracked stock (an unlimited item is left
        untouched)."""
        item, quantity = work.item, work.data.quantity
        if item.stock_total is None:
            return
        row = await db.first(repo.ISSUE_STOCK, item_code=item.code, quantity=quantity)
        if row is not None and row["issued"]:
            work.stock_tracked = True
            return
        if row is not None and row["stock_total"] is None:  # made unlimited meanwhile
            return
        left = row["stock_remaining"] if row is not None else 0
        raise OutOfStock(f"{item.name}: {left} left, {quantity} asked for")

    async def _reserve(self, db: DriverConnection, work: _Work, row: Mapping[str, Any],
                       settings: Settings) -> None:
        """The redemption reserved, its units and limit taken and committed before the
        spend: by the claim's statement (``row``), or by RESERVE when that statement
        left it to the checks made here (a minimum of qualifying points, say). Refused
        when the limit or the stock did not allow it; a limit counted without the stock
        is recorded as reserving all the same, and :meth:`_refused` gives it back."""
        if not row["tried"]:
            reserving = await db.first(repo.RESERVE, **work.reserve_params(settings))
            assert reserving is not None
            row = reserving
            work.reserved = reserving["reserved"]
        item, quantity = work.item, work.data.quantity
        if work.reserved:
            work.stock_tracked = row["taken"]
            if not row["stocked"] or row["taken"]:
                return
        elif work.period is not None and not row["counted"]:
            raise LimitReached(f"{work.employee_no} may redeem {item.limit_count} of "
                               f"{item.name} per {item.limit_period}")
        raise OutOfStock(f"{item.name}: {row['stock_remaining'] or 0} left, "
                         f"{quantity} asked for")

    async def _settle(self, db: DriverConnection, work: _Work, relayed: dict[str, str],
                      answer: Answer) -> Answer:
        """The reserved redemption fulfilled with its events and answer, unless the
        sweeper finished it meanwhile (the call outlasted ``reserving_grace_seconds``):
        then it is answered as the sweeper left it."""
        done = await db.first(repo.SETTLED, redemption_id=work.redemption_id, now=work.now,
                              **relayed, **_answer_params(work.keyed, answer))
        assert done is not None
        if done["settled"]:
            hand_over(db, done["relayed"] or [])
            return answer
        found = await db.first(repo.VIEW, redemption_id=work.redemption_id)
        if found is None or found["status"] != RedemptionStatus.FULFILLED:
            raise PointsUnavailable(f"redemption {work.redemption_id} was not confirmed in "
                                    "time and was given back", maybe_created=True)
        if work.keyed is not None:
            await keys.store(db, work.keyed, answer.status, answer.headers, answer.body)
        return answer

    async def _prior(self, db: DriverConnection, work: _Work, row: Mapping[str, Any]) -> Answer:
        """The redemption an earlier request with this key reserved before its process
        died: 409 while the sweeper has not finished it, then as it stands (200, as the
        two-phase path answers a key it finds on a redemption), stored for the key. A
        request with another body (item, quantity or employee) is refused as the key's
        reuse, and nothing is stored for it: the earlier request's retry still finds
        its redemption."""
        found = await db.first(repo.VIEW, redemption_id=row["prior_id"])
        assert found is not None
        if (found["item_code"], found["quantity"], found["employee_no"]) != (
                work.data.item_code, work.data.quantity, work.employee_no):
            raise KeyReused("This key was already used for a different request body or path")
        if found["status"] == RedemptionStatus.RESERVING:
            raise KeyInUse("A request with this Idempotency-Key is still running; "
                           "retry later")
        own = found["item_kind"] == "voucher" and work.principal.sub == found["employee_no"]
        out = redemption_out(RowAttributes(found), employee_name=found["employee_name"],
                             voucher_code=found["voucher_code"] if own else None)
        answer = Answer(200, out.model_dump_json().encode())
        if work.keyed is not None:
            await keys.store(db, work.keyed, answer.status, answer.headers, answer.body)
        return answer

    async def _two_phase(self, db: DriverConnection,
                         sessionmaker: async_sessionmaker[AsyncSession],
                         points: PointsClient, work: _Work, settings: Settings,
                         employee: Mapping[str, Any]) -> Answer:
        """An item that needs approval: placing.py's transactions and hold, while this
        transaction holds the key; their answer is stored with it."""
        keyed = work.keyed
        placed: Placed = await placing.place(
            sessionmaker, points, principal=work.principal, data=work.data,
            idempotency_key=keyed.key if keyed else None, settings=settings)
        r = placed.redemption
        if r.item_kind == "voucher" and work.principal.sub == r.employee_no:
            async with sessionmaker() as session:
                out = await present(session, r, principal=work.principal)
        else:
            out = redemption_out(r, employee_name=placed.employee_name or employee["name"])
        answer = Answer(201 if placed.created else 200, out.model_dump_json().encode())
        if keyed is not None:
            await keys.store(db, keyed, answer.status, answer.headers, answer.body)
        return answer

    async def _refused(self, db: DriverConnection, request: Request, exc: ServiceError,
                       work: _Work) -> Answer:
        """A refusal: what the redemption took given back (in the transaction, or by
        autocommitted statements); when points_api was asked (it refused, or could not
        be reached), the redemption recorded as failed, with a look for a spend that
        may exist after all; a 4xx answer stored for the key (a 5xx is not: a retry runs
        again)."""
        if work.spending:
            exc.extra["redemption_id"] = str(work.redemption_id)
        answer = _problem(request, exc)
        stored = work.keyed if answer.status < 500 else None
        if work.reserved:
            await db.first(repo.GIVEN_BACK, **work.given_back(exc),
                           **_answer_params(stored, answer))
            return answer
        if work.counted:
            await db.first(repo.GIVE_BACK_LIMIT, employee_no=work.employee_no,
                           item_code=work.item.code, period_key=work.period,
                           quantity=work.data.quantity)
        if work.stock_tracked:
            await db.first(repo.UNISSUE_STOCK, item_code=work.item.code,
                           quantity=work.data.quantity)
        if work.spending:
            await db.first(repo.RECORDED, **work.failed(exc), **_answer_params(stored, answer))
        elif stored is not None:
            await keys.store(db, stored, answer.status, answer.headers, answer.body)
        return answer

    async def _fail_quietly(self, db: DriverConnection, work: _Work) -> None:
        """Record the redemption as failed, with a look for the spend due (the sweeper
        gives it back), after the transaction did not commit."""
        try:
            await db.first(repo.RECORDED, **work.failed(None), **_answer_params(None, None))
        except Exception as error:  # the spend expires at points_api and comes back
            log.warning("redemption_failure_not_recorded",
                        redemption_id=str(work.redemption_id), error=repr(error))

    async def _undo_quietly(self, db: DriverConnection, work: _Work,
                            exc: BaseException) -> None:
        """After a failure without an answer, what the autocommitted statements took
        given back: the reserved redemption (failed once points_api was asked, with a
        look for the spend), or the failure recorded with a look for the spend."""
        try:
            if work.reserved:
                await db.first(repo.GIVEN_BACK, **work.given_back(exc),
                               **_answer_params(None, None))
        except Exception as error:  # left reserving: the sweeper finishes it
            log.warning("redemption_not_given_back", redemption_id=str(work.redemption_id),
                        error=repr(error))
        if work.spending and not work.reserved:
            await self._fail_quietly(db, work)

    async def _let_go(self, db: DriverConnection, keyed: Keyed | None) -> None:
        """Let go of the key :meth:`_at_once` claimed, when no answer is kept for it."""
        if keyed is None:
            return
        try:
            await keys.release(db, keyed)
        except Exception as exc:  # the claim dies with this process at the latest
            log.warning("idempotency_claim_not_released", error=repr(exc))


class _Replay(Answer):
    """A stored answer, replayed for its Idempotency-Key."""

    def __init__(self, stored: Any) -> None:
        self.stored = stored

    def response(self) -> Response:
        return keys.replay(self.stored)


def _relayed(record: dict[str, Any], employee: Mapping[str, Any], settings: Settings,
             now: datetime) -> dict[str, str]:
    """The ``integration`` and ``outbox`` parameters of RECORDED and SETTLED: the
    fulfilment's integration events, and its outbox rows (the ``hold.capture`` that
    confirms the spend, the webhooks)."""
    r = RowAttributes(record)
    events = settlement.fulfilment_events(r, employee, now=now)
    destination = settlement.webhook_destination(settings)
    outbox = [{"event_id": str(uuid.uuid4()), "event_type": HOLD_CAPTURE,
               "destination": settlement.POINTS, "occurred_at": now.isoformat(),
               "payload": settlement.hold_action(r, reason=settlement.capture_reason(r.item_name))}]
    if destination is not None:
        outbox += [{"event_id": payload["event_id"], "event_type": event_type,
                    "destination": destination, "payload": payload,
                    "occurred_at": now.isoformat()} for event_type, payload in events]
    integration = [{"event_id": payload["event_id"], "event_type": event_type,
                    "redemption_id": str(r.id), "employee_no": r.employee_no,
                    "payload": payload, "occurred_at": now.isoformat()}
                   for event_type, payload in events]
    return {"integration": _json(integration), "outbox": _json(outbox)}


def _answer_params(keyed: Keyed | None, answer: Answer | None) -> dict[str, Any]:
    """RECORDED's parameters for the stored answer (none without a key)."""
    if keyed is None or answer is None:
        return {"keyed": False, **dict.fromkeys(
            ("scope", "key", "digest", "status", "headers", "body", "fresh"))}
    return {"keyed": True, **keys.store_params(keyed, answer.status, answer.headers,
                                               answer.body)}


def _problem(request: Request, exc: ServiceError) -> Answer:
    """What the problem handlers answer for ``exc``, as an :class:`Answer`."""
    response = problem_response(request, status=exc.status, slug=exc.problem, title=exc.title,
                                detail=exc.detail, errors=exc.errors, headers=exc.headers,
                                extra=exc.extra or None)
    headers = {k: v for k, v in response.headers.items()
               if k.lower() not in ("content-type", "content-length")}
    return Answer(exc.status, bytes(response.body), response.media_type or _JSON, headers)


instant = InstantRedemptions()
