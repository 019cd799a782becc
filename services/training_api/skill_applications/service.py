"""Skill applications in production (技能应用): submitted by the employee with
evidence, then confirmed with points by a manager of their department (or HR),
or rejected with a reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.clients.points import PointsClient
from services.training_api.facts import access
from services.training_api.facts import repository as repo
from services.training_api.facts.errors import EmployeeLeft, FactNotFound
from services.training_api.facts.models import ApplicationStatus, SkillApplication
from services.training_api.facts.repository import EmployeeRef
from services.training_api.facts.service import (
    Built,
    Change,
    FactKind,
    check_not_voided,
    publish,
)
from services.training_api.org import repository as org_repo
from services.training_api.org.errors import UnknownSkill
from services.training_api.skill_applications.errors import (
    AlreadyDecided,
    NoConfirmationRule,
    PointsOutOfRange,
    SelfConfirmation,
)
from services.training_api.skill_applications.schemas import (
    SkillApplicationConfirm,
    SkillApplicationCreate,
    SkillApplicationReject,
)
from shared.auth import Principal
from shared.contracts.events import EmployeeStatus
from shared.contracts.points import ConfirmerRangeQuery
from shared.contracts.training_events import SKILL_APPLICATION_CONFIRMED, SkillApplicationConfirmed
from shared.errors import FieldError


def _check_open(application: SkillApplication) -> None:
    check_not_voided(application)
    if application.status != ApplicationStatus.SUBMITTED:
        raise AlreadyDecided(f"Application {application.id} was already {application.status} "
                             f"by {application.decided_by}")


class SkillApplicationService(FactKind[SkillApplication, SkillApplicationCreate]):
    model = SkillApplication
    label = "Skill applications"
    recorders = ()
    self_service = True

    async def build(self, session: AsyncSession, fact_id: uuid.UUID,
                    data: SkillApplicationCreate, *, employee: EmployeeRef,
                    principal: Principal, historical: bool = False) -> Built[SkillApplication]:
        """Submitting earns nothing yet: the points come with the confirmation."""
        skill_code = data.skill_code
        if skill_code is not None and await org_repo.get_skill(session, skill_code) is None:
            raise UnknownSkill(f"Skill {data.skill_code!r} does not exist")
        return Built(fact=SkillApplication(
            skill_code=data.skill_code, summary=data.summary, metric_name=data.metric_name,
            metric_before=data.metric_before, metric_after=data.metric_after,
            work_order_ref=data.work_order_ref, status=ApplicationStatus.SUBMITTED,
            occurred_at=data.submitted_at or datetime.now(UTC)))

    async def confirm(self, session: AsyncSession, application_id: uuid.UUID,
                      data: SkillApplicationConfirm, *, principal: Principal,
                      points_api: PointsClient) -> Change[SkillApplication]:
        """Confirm with points inside the range points_api's rule allows. The range
        is asked before the row is locked, so no lock is held across the call."""
        application = await self._decidable(session, application_id, principal)
        now = datetime.now(UTC)
        event = SkillApplicationConfirmed(
            fact_id=str(application.id), employee_no=application.employee_no, occurred_at=now,
            skill_code=application.skill_code, summary=application.summary,
            points=data.points, confirmer=principal.sub)
        allowed = await points_api.confirmer_range(ConfirmerRangeQuery(
            event_type=SKILL_APPLICATION_CONFIRMED, employee_no=application.employee_no,
            payload=event.model_dump(mode="json")))
        if allowed is None:
            raise NoConfirmationRule(
                f"No points rule applies to skill applications of {application.employee_no}; "
                "HR sets one up in the rule set")
        if not allowed.min_points <= data.points <= allowed.max_points:
            raise PointsOutOfRange(
                f"Choose between {allowed.min_points} and {allowed.max_points} points",
                errors=[FieldError(pointer="#/points", detail=(
                    f"must be between {allowed.min_points} and {allowed.max_points}"))],
                min_points=allowed.min_points, max_points=allowed.max_points)
        application = await self._lock_open(session, application_id)
        application.status, application.decided_at, application.decided_by = (
            ApplicationStatus.CONFIRMED, now, principal.sub)
        application.confirmed_points = data.points
        application.rule_id, application.rule_set_version = (allowed.rule_id,
                                                             allowed.rule_set_version)
        await session.flush()
        return Change(fact=application, events=await publish(session, event))

    async def reject(self, session: AsyncSession, application_id: uuid.UUID,
                     data: SkillApplicationReject, *,
                     principal: Principal) -> Change[SkillApplication]:
        """Reject with a reason; a rejected application earns nothing."""
        await self._decidable(session, application_id, principal)
        application = await self._lock_open(session, application_id)
        application.status, application.decided_at, application.decided_by = (
            ApplicationStatus.REJECTED, datetime.now(UTC), principal.sub)
        application.reject_reason = data.reason
        await session.flush()
        return Change(fact=application)

    async def _decidable(self, session: AsyncSession, application_id: uuid.UUID,
                         principal: Principal) -> SkillApplication:
        application = await repo.get_fact(session, SkillApplication, application_id)
        if application is None:
            raise FactNotFound(f"No skill application {application_id}")
        if application.employee_no == principal.sub:
            raise SelfConfirmation("Your own application is decided by your manager or HR")
        employee = await repo.employee_ref(session, application.employee_no)
        assert employee is not None  # the foreign key guarantees it
        await access.check_manages(session, principal, employee.employee_no,
                                   employee.department_path)
        _check_open(application)
        if employee.status == EmployeeStatus.LEFT:
            raise EmployeeLeft(f"Employee {employee.employee_no} has left")
        return application

    async def _lock_open(self, session: AsyncSession,
                         application_id: uuid.UUID) -> SkillApplication:
        application = await repo.get_fact(session, SkillApplication, application_id,
                                          for_update=True)
        assert application is not None  # facts are never deleted
        _check_open(application)
        return application


skill_applications = SkillApplicationService()
