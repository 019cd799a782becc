"""The milestone sweep: the check for employees whose points changed outside the
earning path (HR adjustments, reversals) or who may meet criteria HR just
changed. Safe on several replicas: each check runs under the account lock and
grants are unique, so a second sweep of the same employee changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from services.points_api.ledger import repository as ledger_repo
from services.points_api.milestones import repository as repo
from services.points_api.milestones.service import milestones

SWEEP = "milestones"
# a transaction stamps updated_at when it starts and may commit later: look back a bit
OVERLAP = timedelta(minutes=2)
PAGE = 500
FIRST_WATERMARK = datetime(2000, 1, 1, tzinfo=UTC)


async def sweep_milestones(app: FastAPI) -> int:
    """Check every candidate since the last sweep; returns how many were checked. The
    watermark moves on only when every check could decide."""
    sessionmaker, tz = app.state.sessionmaker, app.state.settings.tz
    started = datetime.now(UTC)
    async with sessionmaker() as session:
        watermark = await repo.sweep_watermark(session, SWEEP) or FIRST_WATERMARK
    checked, decided, after = 0, True, ""
    while True:
        async with sessionmaker() as session:
            page = await repo.sweep_candidates(session, since=watermark - OVERLAP, after=after,
                                               limit=PAGE)
        for employee_no in page:
            async with sessionmaker() as session, session.begin():
                await ledger_repo.lock_account(session, employee_no)
                decided = await milestones.check(
                    session, employee_no, tz=tz, cached_catalogue=False) and decided
            checked += 1
        if len(page) < PAGE:
            break
        after = page[-1]
    if decided:
        async with sessionmaker() as session, session.begin():
            await repo.set_sweep_watermark(session, SWEEP, started)
    return checked
