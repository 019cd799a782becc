"""The sweeper: a background job every replica runs, safe to run many times at
once (rows are claimed with ``FOR UPDATE SKIP LOCKED`` and re-checked after the
lock). Each pass

1. expires redemptions still pending approval when their hold expires: hold
   released, stock and limit returned;
2. finishes redemptions left ``reserving`` by a request that died (a two-phase
   one between its hold and its outcome, one without approval between its
   reservation and its outcome): points_api is asked about the hold; an active
   hold carries the redemption forward (pending approval), a spend fulfils it
   (stock reserved -> issued, the spend confirmed by its capture), no hold fails it
   and gives its stock and limit back;
3. looks for holds that may exist after a failed redemption (the answer to the
   hold request was lost) and releases them, backing off between looks until
   the hold would have expired anyway.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rewards_api.clients.points import PointsClient
from services.rewards_api.errors import PointsUnavailable
from services.rewards_api.models import RedemptionStatus
from services.rewards_api.redemptions import repository as repo
from services.rewards_api.redemptions import settlement
from shared.contracts.holds import Hold, HoldStatus

log = structlog.get_logger("jifen.rewards.sweeper")

BATCH = 100
MAX_CHECK_INTERVAL = timedelta(minutes=10)


class Sweeper:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], points: PointsClient,
                 settings: Any) -> None:
        """``sessionmaker``: the service's, whose sessions deliver their outbox rows
        once they commit."""
        self.sessionmaker = sessionmaker
        self.points = points
        self.settings = settings

    async def run_once(self) -> dict[str, int]:
        done = {"expired": await self.expire_due(),
                "resumed": await self.resume_interrupted(),
                "holds_checked": await self.check_stray_holds()}
        if any(done.values()):
            log.info("sweep", **done)
        return done

    async def expire_due(self) -> int:
        now = datetime.now(UTC)
        async with self.sessionmaker() as session, session.begin():
            rows = await repo.due_for_expiry(session, now=now, limit=BATCH)
            for r in rows:
                await settlement.give_back(session, r, status=RedemptionStatus.EXPIRED,
                                           by="system", reason="审批超时")
        return len(rows)

    async def resume_interrupted(self) -> int:
        started_before = datetime.now(UTC) - timedelta(
            seconds=self.settings.reserving_grace_seconds)
        async with self.sessionmaker() as session:
            candidates = await repo.interrupted(session, started_before=started_before,
                                                limit=BATCH)
        resumed = 0
        for redemption_id in candidates:
            try:
                hold = await self.points.get_hold(redemption_id)
            except PointsUnavailable:
                return resumed  # next pass
            resumed += await self._resume(redemption_id, hold)
        return resumed

    async def _resume(self, redemption_id: uuid.UUID, hold: Hold | None) -> int:
        async with self.sessionmaker() as session, session.begin():
            r = await repo.get(session, redemption_id, for_update=True, skip_locked=True)
            if r is None or r.status != RedemptionStatus.RESERVING:
                return 0
            if hold is not None and hold.status in (HoldStatus.ACTIVE, HoldStatus.SPENT):
                # held (two-phase), or spent (a redemption without approval, reserved
                # before its spend): carried forward, a spend confirmed by its capture
                await settlement.hold_confirmed(session, r, settings=self.settings)
            else:
                # no hold (or one already settled, or given back when it expired): the
                # redemption never got its points; one that shows up late is looked
                # for and released
                await settlement.fail(session, r, reason="hold-not-confirmed",
                                      hold_may_exist=hold is None)
            log.warning("redemption_resumed", redemption_id=str(r.id), status=r.status,
                        hold_status=hold.status if hold else None)
        return 1

    async def check_stray_holds(self) -> int:
        async with self.sessionmaker() as session:
            due = await repo.hold_checks_due(session, now=datetime.now(UTC), limit=BATCH)
        checked = 0
        for redemption_id in due:
            try:
                hold = await self.points.get_hold(redemption_id)
            except PointsUnavailable:
                return checked
            checked += await self._settle_stray(redemption_id, hold)
        return checked

    async def _settle_stray(self, redemption_id: uuid.UUID, hold: Hold | None) -> int:
        now = datetime.now(UTC)
        async with self.sessionmaker() as session, session.begin():
            r = await repo.get(session, redemption_id, for_update=True, skip_locked=True)
            if r is None or r.hold_check_due_at is None or r.hold_check_due_at > now:
                return 0
            r.hold_checks += 1
            if hold is not None and hold.status in (HoldStatus.ACTIVE, HoldStatus.SPENT):
                # a hold, or a spend, whose redemption failed: its points come back
                await settlement.release_stray_hold(session, r)
                r.hold_check_due_at = None
            elif hold is not None or now > r.hold_expires_at:
                r.hold_check_due_at = None  # settled, or past the time it could exist
            else:
                wait = min(timedelta(seconds=2 ** min(r.hold_checks, 20)), MAX_CHECK_INTERVAL)
                r.hold_check_due_at = min(now + wait, r.hold_expires_at + timedelta(seconds=1))
        return 1


async def sweep(app: FastAPI) -> None:
    """The background job: one pass of the sweeper."""
    sweeper: Sweeper | None = getattr(app.state, "sweeper", None)
    if sweeper is None:
        sweeper = app.state.sweeper = Sweeper(
            app.state.sessionmaker, PointsClient(app.state.peers["points"]), app.state.settings)
    await sweeper.run_once()
