"""Approve, reject, cancel: decisions on a pending redemption, each in the
request's transaction with the outbox rows it owes (capture or release)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.rewards_api import employees
from services.rewards_api.config import Settings
from services.rewards_api.models import Redemption, RedemptionStatus
from services.rewards_api.redemptions import repository as repo
from services.rewards_api.redemptions import settlement
from services.rewards_api.redemptions.access import can_read, check_approver, check_canceller
from services.rewards_api.redemptions.errors import (
    ApprovalWindowClosed,
    RedemptionNotFound,
    RedemptionNotPending,
)
from shared.auth import Principal


class DecisionService:
    async def approve(self, session: AsyncSession, redemption_id: uuid.UUID, *,
                      principal: Principal, note: str | None,
                      settings: Settings) -> Redemption:
        """Fulfil at once: the hold is captured and the reward delivered. Refused
        close to the hold's expiry, when the capture might arrive after points_api
        released the hold by itself."""
        r = await self._pending_for_decision(session, redemption_id, principal)
        margin = timedelta(seconds=settings.capture_margin_seconds)
        if datetime.now(UTC) >= r.hold_expires_at - margin:
            raise ApprovalWindowClosed(
                f"The hold expires at {r.hold_expires_at.isoformat()}; the employee can "
                "redeem again")
        await settlement.fulfil(session, r, settings=settings, decided_by=principal.sub,
                                note=note)
        return r

    async def reject(self, session: AsyncSession, redemption_id: uuid.UUID, *,
                     principal: Principal, reason: str) -> Redemption:
        r = await self._pending_for_decision(session, redemption_id, principal)
        await settlement.give_back(session, r, status=RedemptionStatus.REJECTED,
                                   by=principal.sub, reason=reason)
        return r

    async def cancel(self, session: AsyncSession, redemption_id: uuid.UUID, *,
                     principal: Principal, reason: str | None) -> Redemption:
        r = await self._locked_visible(session, redemption_id, principal)
        check_canceller(principal, r)
        self._require_pending(r)
        await settlement.give_back(session, r, status=RedemptionStatus.CANCELLED,
                                   by=principal.sub, reason=reason)
        return r

    async def _pending_for_decision(self, session: AsyncSession, redemption_id: uuid.UUID,
                                    principal: Principal) -> Redemption:
        """Permissions are checked before the state, so that someone who may not
        decide learns nothing about where the redemption stands."""
        r = await self._locked_visible(session, redemption_id, principal, approving=True)
        self._require_pending(r)
        return r

    async def _locked_visible(self, session: AsyncSession, redemption_id: uuid.UUID,
                              principal: Principal, *, approving: bool = False) -> Redemption:
        r = await repo.get(session, redemption_id, for_update=True)
        if r is None:
            raise RedemptionNotFound(f"No redemption {redemption_id}")
        employee = await employees.find(session, r.employee_no)
        if approving:
            # a manager of another department is told why (403), not shown a 404
            if not (can_read(principal, r, employee) or principal.has("manager")):
                raise RedemptionNotFound(f"No redemption {redemption_id}")
            check_approver(principal, r, employee)
        elif not can_read(principal, r, employee):
            raise RedemptionNotFound(f"No redemption {redemption_id}")
        return r

    @staticmethod
    def _require_pending(r: Redemption) -> None:
        if r.status != RedemptionStatus.PENDING_APPROVAL:
            raise RedemptionNotPending(f"The redemption is {r.status}")


decisions = DecisionService()
