"""Holds: the two-phase reservation behind redemptions (pending, then post or void).

Every step runs under the employee's account lock (the ledger's rule), so a hold
can never be placed on points another request is spending at the same moment.
Spendable = balance - held; a hold larger than that is refused. Capturing writes
a ``spend`` entry (qualifying points untouched); releasing and expiring only
give the held points back.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, tzinfo
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.holds import repository as repo
from services.points_api.holds.errors import HoldExpiryInvalid, HoldMismatch, HoldNotFound
from services.points_api.ledger import repository as ledger_repo
from services.points_api.ledger.errors import InsufficientPoints
from services.points_api.ledger.service import Posting, ledger
from shared.consumer import RejectEvent
from shared.contracts.events import EventEnvelope
from shared.contracts.holds import Hold, HoldAction, HoldCreate


def hold_out(row: Any, spendable_after: int | None = None) -> Hold:
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
        if hold.status == "captured":
            return {"hold_id": str(hold.hold_id), "status": "captured"}
        if hold.status != "active" or hold.expires_at <= datetime.now(UTC):
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
        await repo.settle(session, hold.hold_id, status="captured", spend_entry_id=entries[0].id)
        return {
            "hold_id": str(hold.hold_id),
            "status": "captured",
            "spend_entry_id": entries[0].id,
            "balance": account.balance,
        }

    async def release(self, session: AsyncSession, envelope: EventEnvelope) -> dict[str, Any]:
        """hold.release: rejected, cancelled or expired redemption; points come back."""
        _, hold = await self._locked(session, envelope)
        if hold.status in ("released", "expired"):
            return {"hold_id": str(hold.hold_id), "status": hold.status}
        if hold.status == "captured":
            raise RejectEvent(f"hold {hold.hold_id} was captured; it cannot be released")
        await repo.move_held(session, hold.employee_no, -hold.points)
        await repo.settle(session, hold.hold_id, status="released")
        return {"hold_id": str(hold.hold_id), "status": "released"}

    async def _locked(
        self, session: AsyncSession, envelope: EventEnvelope
    ) -> tuple[HoldAction, Any]:
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
        """Release every active hold past its expiry. Safe on several replicas: each
        hold is re-checked under the account lock, so it expires exactly once."""
        expired = 0
        async with app.state.sessionmaker() as session:
            due = await repo.due_for_expiry(session, now=datetime.now(UTC), limit=200)
        for hold_id, employee_no in due:
            async with app.state.sessionmaker() as session, session.begin():
                await ledger_repo.lock_account(session, employee_no)
                hold = await repo.get(session, hold_id, lock=True)
                if hold is None or hold.status != "active" or hold.expires_at > datetime.now(UTC):
                    continue
                await repo.move_held(session, employee_no, -hold.points)
                await repo.settle(session, hold_id, status="expired")
                expired += 1
        return expired


holds = HoldService()
