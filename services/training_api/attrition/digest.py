"""The weekly early-warning job: once a week a risk run (started by the job itself),
then for each department that has managers a digest of its subtree's high-risk
employees, those new since its previous digest sent to points_api (through the
outbox) for the managers' notification feed and the webhooks. Safe on several
replicas: an advisory lock, one run at a time and one finished per week, one
digest per department and week (a unique constraint)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.attrition import repository as repo
from services.training_api.attrition.models import AttritionRun
from services.training_api.attrition.service import STALE_AFTER, risk_runs
from services.training_api.db import kit_tables
from shared.contracts.digests import ATTRITION_DIGEST, AttritionDigestEvent, DigestEmployee
from shared.outbox import enqueue

SYSTEM = "system:attrition"


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


async def weekly_digest(app: FastAPI, *, today: date | None = None) -> None:
    """This week's run if none has finished since Monday (a failed one, an empty plant's
    at first start, points_api down, is tried again at the next check: the week's
    digests wait for a finished run), then the digests."""
    settings = app.state.settings
    today = today or datetime.now(UTC).astimezone(settings.tz).date()
    monday = today - timedelta(days=today.weekday())
    async with app.state.sessionmaker() as session:
        run = await repo.latest_done(session)
        busy = await repo.running(session, since=datetime.now(UTC) - STALE_AFTER)
    if run is None or run.as_of < monday:
        if busy is None:
            await risk_runs.start(app, horizon=settings.attrition_horizon_months, actor=SYSTEM)
        return
    async with app.state.sessionmaker() as session, session.begin():
        await send_digests(session, run, week=iso_week(today))


async def send_digests(session: AsyncSession, run: AttritionRun, *, week: str) -> None:
    """One digest per department with managers (its subtree's high-risk employees, less
    the department's own heads); an event for those with new names, delivered after
    commit."""
    flagged = await repo.high_risk(session, run.id)
    names = await repo.employee_names(session, [no for no, _ in flagged])
    reasons = await repo.reasons(session, run.id, [no for no, _ in flagged])
    for code, path, managers in await repo.departments_with_managers(session):
        # never a head about themself or a fellow head of the same department
        mine = [no for no, p in flagged if p.startswith(path) and no not in managers]
        before = await repo.previous_digest(session, code, week)
        new = [no for no in mine if before is None or no not in before.high_risk]
        digest_id = await repo.insert_digest(session, {
            "week": week, "department_code": code, "run_id": run.id, "high_risk": mine,
            "new": new, "managers": managers})
        if digest_id is None or not new:
            continue
        event = AttritionDigestEvent(
            digest_id=digest_id, week=week, department_code=code,
            department_name=await repo.department_name(session, code), managers=managers,
            new=[DigestEmployee(employee_no=no, name=names[no][0], department_code=names[no][1],
                                rank=reasons[no][0], reasons=reasons[no][1]) for no in new],
            high_risk=len(mine), method=run.method or "rules",
            report_path=f"/training/v1/reports/attrition-risk?department={code}")
        await enqueue(session, kit_tables.outbox, event_type=ATTRITION_DIGEST,
                      payload=event.model_dump(mode="json"), destinations=["points"])
