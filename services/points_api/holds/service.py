"""Holds: the two-phase reservation behind redemptions (pending, then post or void),
and spends, which hold and post at once for redemptions that need no approval.

Every step runs under the employee's account lock (the ledger's rule), so a hold
can never be placed on points another request is spending at the same moment.
Spendable = balance - held; a hold larger than that is refused. Capturing writes
a ``spend`` entry (qualifying points untouched); releasing and expiring only
give the held points back. A spend writes its entry at once and waits for the
redemption's capture event to confirm it; released, or never confirmed by its
expiry, its entry is reversed.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, tzinfo
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.holds import repository as repo
from services.points_api.holds.errors import HoldExpiryInvalid, HoldMismatch, HoldNotFound
from services.points_api.ledger import repository as ledger_repo
from services.points_api.ledger.errors import InsufficientPoints
from services.points_api.ledger.service import Posting, ledger
from services.points_api.models import Hold as HoldRecord
from shared.consumer import RejectEvent, RetryLater
from shared.contracts.events import EventEnvelope
from shared.contracts.holds import Hold, HoldAction, HoldCreate, HoldStatus
from shared.db import DriverConnection

log = structlog.get_logger("jifen.points.holds")


def _hold_of(row: dict[str, Any], spendable_after: int | None) -> Hold:
    """A hold from its row as JSON (the spend statement's answer)."""
    return Hold.model_validate({**row, "spendable_after": spendable_after})


def _sqlstate(exc: IntegrityError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def hold_out(row: HoldRecord, spendable_after: int | None = None) -> Hold:
    return Hold(
        hold_id=row.hold_id,
        employee_no=row.employee_no,
        points=row.points,
        status=row.status,
        expires_at=row.expires_at,
        reason=row.reason,
        created_at=row.created_at,
        settled_at=row.settled_at,
        spend_entry_id=row.spend_entry_id,
        spendable_after=spendable_after,
    )


class HoldService:
    async def create(self, session: AsyncSession, data: HoldCreate) -> tuple[Hold, bool]:
        """Place a hold, or answer the one already placed under this id (a retry)."""
        account = await ledger_repo.lock_account(session, data.employee_no)
        existing = await repo.get(session, data.hold_id)
        if existing is not None:
            if (existing.employee_no, existing.points) != (data.employee_no, data.points):
                raise HoldMismatch(
                    f"Hold {data.hold_id} is for {existing.points} points of {existing.employee_no}"
                )
            return hold_out(existing, account.balance - account.held), False
        if data.expires_at <= datetime.now(UTC):
            raise HoldExpiryInvalid("expires_at is in the past")
        spendable = account.balance - account.held
        if spendable < data.points:
            raise InsufficientPoints(
                f"{data.employee_no} can spend {spendable} points; {data.points} are needed",
                spendable=spendable,
                required=data.points,
            )
        row = await repo.insert(
            session,
            {
                "hold_id": data.hold_id,
                "employee_no": data.employee_no,
                "points": data.points,
                "reason": data.reason,
                "expires_at": data.expires_at,
            },
        )
        account = await repo.move_held(session, data.employee_no, data.points)
        return hold_out(row, account.balance - account.held), True

    async def spend(self, db: DriverConnection, data: HoldCreate) -> tuple[Hold, bool]:
        """Hold and spend at once (one statement), or answer the hold already made
        under this id (a retry)."""
        if data.expires_at <= datetime.now(UTC):
            raise HoldExpiryInvalid("expires_at is in the past")
        params = {"hold_id": data.hold_id, "employee_no": data.employee_no,
                  "points": data.points, "reason": data.reason, "expires_at": data.expires_at,
                  "details": json.dumps({"hold_id": str(data.hold_id)})}
        try:
            row = await db.first(repo.SPEND, **params)
        except IntegrityError as exc:
            if _sqlstate(exc) != "23505":
                raise
            # the same spend was made meanwhile (a retry racing the first attempt)
            row = await db.first(repo.SPEND, **params)
        assert row is not None
        if row["spent"] is not None:
            return _hold_of(row["spent"], row["spendable_after"]), True
        if row["prior"] is not None:
            prior = row["prior"]
            if (prior["employee_no"], prior["points"]) != (data.employee_no, data.points):
                raise HoldMismatch(f"Hold {data.hold_id} is for {prior['points']} points of "
                                   f"{prior['employee_no']}")
            return _hold_of(prior, row["spendable"]), False
        spendable = row["spendable"] or 0
        raise InsufficientPoints(
            f"{data.employee_no} can spend {spendable} points; {data.points} are needed",
            spendable=spendable, required=data.points)

    async def get(self, session: AsyncSession, hold_id: uuid.UUID) -> Hold:
        row = await repo.get(session, hold_id)
        if row is None:
            raise HoldNotFound(f"No hold {hold_id}")
        return hold_out(row)

    async def capture(
        self, session: AsyncSession, envelope: EventEnvelope, *, tz: tzinfo
    ) -> dict[str, Any]:
        """hold.capture: the redemption was fulfilled; the held points are spent."""
        action, hold = await self._locked(session, envelope)
        if hold.status == HoldStatus.CAPTURED:
            return {"hold_id": str(hold.hold_id), "status": HoldStatus.CAPTURED}
        if hold.status == HoldStatus.SPENT:  # the redemption confirms its spend
            await repo.settle(session, hold.hold_id, status=HoldStatus.CAPTURED,
                              spend_entry_id=hold.spend_entry_id)
            return {"hold_id": str(hold.hold_id), "status": HoldStatus.CAPTURED,
                    "spend_entry_id": hold.spend_entry_id}
        if hold.status != HoldStatus.ACTIVE or hold.expires_at <= datetime.now(UTC):
            raise RejectEvent(f"hold {hold.hold_id} is {hold.status}, it cannot be captured")
        await repo.move_held(session, hold.employee_no, -hold.points)
        entries, account = await ledger.post(
            session,
            hold.employee_no,
            [
                Posting(
                    kind="spend",
                    amount=-hold.points,
                    qualifying_amount=0,
                    category=None,
                    reason=hold.reason,
                    occurred_at=datetime.now(UTC),
                    source_event_id=envelope.event_id,
                    details={"hold_id": str(hold.hold_id)},
                )
            ],
            tz=tz,
        )
        assert account is not None  # one posting: the account is always moved
        await repo.settle(session, hold.hold_id, status=HoldStatus.CAPTURED,
                          spend_entry_id=entries[0].id)
        return {
            "hold_id": str(hold.hold_id),
            "status": HoldStatus.CAPTURED,
            "spend_entry_id": entries[0].id,
            "balance": account.balance,
        }

    async def release(self, session: AsyncSession, envelope: EventEnvelope, *,
                      tz: tzinfo) -> dict[str, Any]:
        """hold.release: rejected, cancelled or expired redemption, or a spend whose
        redemption was not recorded; points come back."""
        _, hold = await self._locked(session, envelope)
        if hold.status in (HoldStatus.RELEASED, HoldStatus.EXPIRED):
            return {"hold_id": str(hold.hold_id), "status": hold.status}
        if hold.status == HoldStatus.CAPTURED:
            raise RejectEvent(f"hold {hold.hold_id} was captured; it cannot be released")
        await self._give_back(session, hold, status=HoldStatus.RELEASED, event_id=envelope.event_id,
                              tz=tz)
        return {"hold_id": str(hold.hold_id), "status": HoldStatus.RELEASED}

    async def capture_many(self, session: AsyncSession, envelopes: list[EventEnvelope], *,
                           tz: tzinfo) -> list[dict[str, Any] | Exception]:
        """hold.capture for a batch, in one transaction: the spends the batch confirms
        in one statement, any other capture (of a two-phase hold) one by one."""
        actions: list[HoldAction | None] = []
        for envelope in envelopes:
            try:
                actions.append(HoldAction.model_validate(envelope.payload))
            except ValueError:
                actions.append(None)
        confirmed = set((await session.execute(repo.CONFIRM_SPENDS, {
            "hold_ids": [a.hold_id for a in actions if a is not None]})).scalars())
        out: list[dict[str, Any] | Exception] = []
        for envelope, action in zip(envelopes, actions, strict=True):
            if action is not None and action.hold_id in confirmed:
                confirmed.discard(action.hold_id)  # a second capture in the batch is a retry
                out.append({"hold_id": str(action.hold_id), "status": HoldStatus.CAPTURED})
                continue
            try:
                async with session.begin_nested():
                    out.append(await self.capture(session, envelope, tz=tz))
            except (RejectEvent, RetryLater) as exc:
                out.append(exc)
        return out

    async def _give_back(self, session: AsyncSession, hold: HoldRecord, *, status: HoldStatus,
                         event_id: uuid.UUID | None, tz: tzinfo) -> None:
        """Release or expire an active hold (its points held no more), or a spend never
        confirmed (its entry reversed)."""
        if hold.status == HoldStatus.ACTIVE:
            await repo.move_held(session, hold.employee_no, -hold.points)
            await repo.settle(session, hold.hold_id, status=status)
            return
        await ledger.post(session, hold.employee_no, [Posting(
            kind="reverse", amount=hold.points, qualifying_amount=0, category=None,
            reason=f"{hold.reason}：未完成，积分退回", occurred_at=datetime.now(UTC),
            source_event_id=event_id, reverses_entry_id=hold.spend_entry_id,
            details={"hold_id": str(hold.hold_id)})], tz=tz)
        await repo.settle(session, hold.hold_id, status=status,
                          spend_entry_id=hold.spend_entry_id)

    async def _locked(
        self, session: AsyncSession, envelope: EventEnvelope
    ) -> tuple[HoldAction, HoldRecord]:
        try:
            action = HoldAction.model_validate(envelope.payload)
        except ValueError as exc:
            raise RejectEvent(f"invalid hold action: {exc}") from exc
        await ledger_repo.lock_account(session, action.employee_no)  # account first, then hold
        hold = await repo.get(session, action.hold_id, lock=True)
        if hold is None or hold.employee_no != action.employee_no:
            raise RejectEvent(f"no hold {action.hold_id} for {action.employee_no}")
        return action, hold

    async def expire_due(self, app: FastAPI) -> int:
        """Release every active hold past its expiry, and give back every spend not
        confirmed by then. Safe on several replicas: each hold is re-checked under the
        account lock, so it expires exactly once."""
        expired = 0
        tz = app.state.settings.tz
        async with app.state.sessionmaker() as session:
            due = await repo.due_for_expiry(session, now=datetime.now(UTC), limit=200)
        for hold_id, employee_no in due:
            async with app.state.sessionmaker() as session, session.begin():
                await ledger_repo.lock_account(session, employee_no)
                hold = await repo.get(session, hold_id, lock=True)
                if (hold is None or hold.status not in (HoldStatus.ACTIVE, HoldStatus.SPENT)
                        or hold.expires_at > datetime.now(UTC)):
                    continue
                if hold.status == HoldStatus.SPENT:
                    log.warning("spend_not_confirmed", hold_id=str(hold_id),
                                employee_no=employee_no, points=hold.points)
                await self._give_back(session, hold, status=HoldStatus.EXPIRED, event_id=None,
                                      tz=tz)
                expired += 1
        return expired


holds = HoldService()
