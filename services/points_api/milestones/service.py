"""Milestones: where an employee stands on each position and certification, and
the check that grants certifications and records eligibility when reached.

The check runs in the transaction of each change of points that goes through the
earning path or the honours job (under the employee's account lock), and in a
sweep for the rest (HR adjustments, criteria changed by HR). Each certification is
granted at most once per employee (a unique constraint), and its
``certification.granted`` webhook (the payroll event) is published in the same
transaction as the grant, with an event id derived from the grant: exactly once.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api import employee_copies
from services.points_api.ledger.accounts import accounts
from services.points_api.ledger.periods import month_key
from services.points_api.milestones import repository as repo
from services.points_api.milestones.criteria import (
    Facts,
    add_months,
    all_met,
    criteria,
    months_between,
    needs_skills,
    trailing_months,
)
from services.points_api.milestones.errors import GrantAlreadyRevoked, GrantNotFound
from services.points_api.milestones.models import GrantStatus
from services.points_api.milestones.schemas import (
    CertificationProgress,
    CriterionStatus,
    Eligibility,
    EmployeeCertifications,
    Grant,
    PositionEligibility,
)
from services.points_api.milestones.skills import skills
from services.points_api.notifications.service import notifications
from services.points_api.webhooks.event_types import (
    CERTIFICATION_GRANTED,
    CERTIFICATION_REVOKED,
    ELIGIBILITY_REACHED,
)
from services.points_api.webhooks.publish import publish
from shared.auth import Principal

# event ids of milestone webhooks derive from the grant or the (employee, position)
EVENT_NAMESPACE = uuid.UUID("6f1c2a4e-5b7d-4f0a-9c3e-2d8b1a7e4c90")
CATALOGUE_SECONDS = 5.0


def grant_out(row: repo.GrantRow | None, today: date) -> Grant:
    assert row is not None  # a grant read back in the transaction that wrote it
    grant = row.grant
    status = grant.status
    if status == GrantStatus.ACTIVE and grant.valid_until is not None and grant.valid_until < today:
        status = GrantStatus.EXPIRED
    return Grant(id=grant.id, certification_code=grant.certification_code,
                 certification_name=row.certification_name, employee_no=grant.employee_no,
                 status=status, qualifying_points=grant.qualifying_points,
                 salary_raise_percent=grant.salary_raise_percent, valid_from=grant.valid_from,
                 valid_until=grant.valid_until, granted_at=grant.granted_at,
                 revoked_at=grant.revoked_at, revoked_by=grant.revoked_by,
                 revoke_reason=grant.revoke_reason)


class MilestoneService:
    def __init__(self) -> None:
        # whether HR defined anything to check, reused for a few seconds: most events
        # of a company without certifications then cost no query here; a definition
        # missed meanwhile is picked up by the sweep (it looks at recent definitions)
        self._catalogue: tuple[bool, float] = (True, 0.0)

    # -- reading -----------------------------------------------------------------------------

    async def eligibility(self, session: AsyncSession, employee_no: str, *,
                          principal: Principal, position_code: str | None,
                          tz: tzinfo) -> Eligibility:
        """Per active position: eligible or not, each criterion with its value, target
        and what is missing. Same visibility as the account."""
        await accounts._ensure_visible(session, employee_no, principal)
        positions = [p for p in await repo.active_positions(session)
                     if position_code is None or p.code == position_code]
        facts = await self._facts(session, employee_no, positions, tz=tz, fresh_skills=False)
        reached = await repo.reached_positions(session, employee_no)
        items = []
        for position in positions:
            found = criteria(position, facts)
            items.append(PositionEligibility(
                position_code=position.code, position_name=position.name,
                eligible=all_met(found), criteria=found, reached_at=reached.get(position.code)))
        return Eligibility(employee_no=employee_no, evaluated_at=datetime.now(UTC),
                           positions=items)

    async def certifications_of(self, session: AsyncSession, employee_no: str, *,
                                principal: Principal, tz: tzinfo) -> EmployeeCertifications:
        """Granted certifications, and progress on the active ones not granted yet."""
        await accounts._ensure_visible(session, employee_no, principal)
        today = datetime.now(tz).date()
        grants = [grant_out(row, today) for row in await repo.grants_of(session, employee_no)]
        waiting, _ = await repo.pending(session, employee_no)
        facts = await self._facts(session, employee_no, waiting, tz=tz, fresh_skills=False)
        progress = [CertificationProgress(
            certification_code=c.code, certification_name=c.name,
            salary_raise_percent=c.salary_raise_percent, criteria=criteria(c, facts))
            for c in waiting]
        return EmployeeCertifications(employee_no=employee_no, grants=grants, progress=progress)

    async def grants(self, session: AsyncSession, *, certification_code: str | None,
                     employee_no: str | None, before_id: int | None, limit: int,
                     tz: tzinfo) -> tuple[list[Grant], int | None]:
        today = datetime.now(tz).date()
        rows = await repo.list_grants(session, certification_code=certification_code,
                                      employee_no=employee_no, before_id=before_id,
                                      limit=limit + 1)
        items = [grant_out(row, today) for row in rows[:limit]]
        return items, (items[-1].id if len(rows) > limit else None)

    # -- the check ---------------------------------------------------------------------------

    def forget_catalogue(self) -> None:
        """HR changed a position or certification: look again at the next check."""
        self._catalogue = (True, 0.0)

    async def check(self, session: AsyncSession, employee_no: str, *, tz: tzinfo,
                    fresh_skills: bool = False, cached_catalogue: bool = True) -> bool:
        """Grant every certification and record every position whose criteria the
        employee meets now and did not before. The caller holds the account lock.
        Skills are asked for only when they decide; ``fresh_skills`` when the change
        at hand may have proven one. False when the skills decided but could not be
        known (training_api did not answer): a later check must look again. The sweep
        passes ``cached_catalogue=False``: it must not miss a definition just made on
        another replica."""
        if cached_catalogue and not await self._anything_defined(session):
            return True
        waiting, positions = await repo.pending(session, employee_no)
        if not waiting and not positions:
            return True
        copy = await employee_copies.get_copy(session, employee_no)
        facts = await self._facts(session, employee_no, [*waiting, *positions], tz=tz,
                                  fresh_skills=fresh_skills, copy=copy,
                                  skills_when_deciding=True)
        for certification in waiting:
            if all_met(criteria(certification, facts)):
                await self._grant(session, certification, employee_no, copy=copy, facts=facts,
                                  tz=tz)
        for position in positions:
            if all_met(criteria(position, facts)):
                await self._reach(session, position, employee_no, copy=copy, facts=facts)
        return not any(c.status == CriterionStatus.UNKNOWN and c.kind == "skills"
                       for r in [*waiting, *positions] for c in criteria(r, facts))

    async def revoke(self, session: AsyncSession, grant_id: int, *, reason: str,
                     actor: str, tz: tzinfo) -> Grant:
        """HR withdraws a grant with a reason; payroll hears ``certification.revoked``.
        A revoked certification is not granted again automatically."""
        row = await repo.get_grant(session, grant_id, lock=True)
        if row is None:
            raise GrantNotFound(f"No certification grant {grant_id}")
        if row.grant.status == GrantStatus.REVOKED:
            revoked_at = row.grant.revoked_at  # set with the status (a CHECK says so)
            raise GrantAlreadyRevoked(f"Grant {grant_id} was revoked on "
                                      f"{revoked_at.isoformat() if revoked_at else '?'}")
        await repo.revoke(session, grant_id, actor=actor, reason=reason)
        grant = grant_out(await repo.get_grant(session, grant_id), datetime.now(tz).date())
        await notifications.notify(
            session, grant.employee_no, kind="certification_revoked",
            title=f"认证已撤销：{grant.certification_name}", body=f"原因：{reason}",
            data={"grant_id": grant.id, "certification_code": grant.certification_code})
        await publish(session, event_type=CERTIFICATION_REVOKED, occurred_at=grant.revoked_at,
                      event_id=uuid.uuid5(EVENT_NAMESPACE, f"certification.revoked/{grant.id}"),
                      payload={**_grant_payload(grant), "revoked_at": grant.revoked_at,
                               "revoked_by": actor, "reason": reason})
        return grant

    # -- internals ---------------------------------------------------------------------------

    async def _anything_defined(self, session: AsyncSession) -> bool:
        defined, until = self._catalogue
        if time.monotonic() >= until:
            defined = await repo.any_active(session)
            self._catalogue = (defined, time.monotonic() + CATALOGUE_SECONDS)
        return defined

    async def _facts(self, session: AsyncSession, employee_no: str, requirements: list[Any],
                     *, tz: tzinfo, fresh_skills: bool, copy: Any | None = None,
                     skills_when_deciding: bool = False) -> Facts:
        """The points, tenure and (when needed) skills the requirements are judged on.
        With ``skills_when_deciding`` skills are fetched only if some requirement is
        otherwise met."""
        now = datetime.now(UTC)
        current = month_key(now, tz)
        window = max((r.points_window_months or 0 for r in requirements), default=0)
        lifetime, months = await repo.points(session, employee_no,
                                             trailing_months(current, window))
        copy = copy if copy is not None else await employee_copies.get_copy(session,
                                                                            employee_no)
        hired_on = copy["hired_on"] if copy is not None else None
        tenure = months_between(hired_on, now.astimezone(tz).date()) if hired_on else None
        facts = Facts(lifetime_points=lifetime, month_points=months, current_month=current,
                      tenure_months=tenure)
        wanted = [r for r in requirements if r.required_skills]
        if skills_when_deciding:
            wanted = [r for r in wanted if needs_skills(r, facts)]
        if not wanted:
            return facts
        held = await skills.held(employee_no, fresh=fresh_skills)
        return Facts(lifetime_points=lifetime, month_points=months, current_month=current,
                     tenure_months=tenure, skills=held)

    async def _grant(self, session: AsyncSession, certification: Any, employee_no: str, *,
                     copy: Any, facts: Facts, tz: tzinfo) -> None:
        today = datetime.now(tz).date()
        points = criteria(certification, facts)[0].value or 0
        valid_until = (add_months(today, certification.validity_months) - timedelta(days=1)
                       if certification.validity_months else None)
        grant_id = await repo.insert_grant(session, {
            "certification_code": certification.code, "employee_no": employee_no,
            "qualifying_points": points,
            "salary_raise_percent": certification.salary_raise_percent,
            "valid_from": today, "valid_until": valid_until})
        if grant_id is None:
            return
        grant = grant_out(await repo.get_grant(session, grant_id), today)
        until = f"，有效期至 {valid_until.isoformat()}" if valid_until else ""
        await notifications.notify(
            session, employee_no, kind="certification_granted",
            title=f"获得认证：{certification.name}",
            body=f"薪资上调 {_percent(certification.salary_raise_percent)}%{until}",
            data={"grant_id": grant_id, "certification_code": certification.code},
            dedupe_key=f"certification:{grant_id}")
        await publish(session, event_type=CERTIFICATION_GRANTED, occurred_at=grant.granted_at,
                      event_id=uuid.uuid5(EVENT_NAMESPACE, f"certification.granted/{grant_id}"),
                      payload={**_grant_payload(grant), **_employee(copy)})

    async def _reach(self, session: AsyncSession, position: Any, employee_no: str, *,
                     copy: Any, facts: Facts) -> None:
        points = criteria(position, facts)[0].value or 0
        inserted = await repo.insert_reached(session, {
            "employee_no": employee_no, "position_code": position.code,
            "qualifying_points": points})
        if not inserted:
            return
        await notifications.notify(
            session, employee_no, kind="eligibility_reached",
            title=f"已具备晋升资格：{position.name}",
            body="；".join(c.detail for c in criteria(position, facts)),
            data={"position_code": position.code, "qualifying_points": points},
            dedupe_key=f"eligibility:{position.code}:{employee_no}")
        await publish(
            session, event_type=ELIGIBILITY_REACHED,
            event_id=uuid.uuid5(EVENT_NAMESPACE, f"eligibility.reached/{position.code}/"
                                                 f"{employee_no}"),
            payload={"position_code": position.code, "position_name": position.name,
                     "qualifying_points": points, "points_window_months":
                         position.points_window_months, **_employee(copy)})


def _percent(value: Any) -> str:
    return format(value.normalize(), "f")


def _employee(copy: Any) -> dict[str, Any]:
    if copy is None:
        return {}
    return {"employee_name": copy["name"], "department_code": copy["department_code"],
            "job_role_code": copy["job_role_code"]}


def _grant_payload(grant: Grant) -> dict[str, Any]:
    """What payroll needs: who, which certification, the raise and its validity."""
    return {"grant_id": grant.id, "employee_no": grant.employee_no,
            "certification_code": grant.certification_code,
            "certification_name": grant.certification_name,
            "salary_raise_percent": grant.salary_raise_percent,
            "valid_from": grant.valid_from, "valid_until": grant.valid_until,
            "granted_at": grant.granted_at, "qualifying_points": grant.qualifying_points}


milestones = MilestoneService()
