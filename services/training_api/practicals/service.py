"""Practical skill assessments (实操考核). A pass proves the skill assessed at the
level it checked."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.facts.models import PracticalAssessment
from services.training_api.facts.repository import EmployeeRef
from services.training_api.facts.service import Built, FactKind
from services.training_api.org import repository as org_repo
from services.training_api.org.errors import UnknownSkill
from services.training_api.practicals.schemas import PracticalAssessmentCreate
from shared.auth import Principal
from shared.contracts.training_events import PracticalAssessed


class PracticalService(FactKind[PracticalAssessment, PracticalAssessmentCreate]):
    model = PracticalAssessment
    label = "Practical assessments"
    recorders = ("assessor", "hr_admin")

    async def build(self, session: AsyncSession, fact_id: uuid.UUID,
                    data: PracticalAssessmentCreate, *, employee: EmployeeRef,
                    principal: Principal, historical: bool = False) -> Built[PracticalAssessment]:
        skill = await org_repo.get_skill(session, data.skill_code)
        if skill is None:
            raise UnknownSkill(f"Skill {data.skill_code!r} does not exist")
        fact = PracticalAssessment(skill_code=skill.code, passed=data.passed, level=data.level,
                                   assessor=principal.sub, remarks=data.remarks,
                                   occurred_at=data.assessed_at)
        event = PracticalAssessed(
            fact_id=str(fact_id), employee_no=employee.employee_no, occurred_at=data.assessed_at,
            skill_code=skill.code, skill_name=skill.name, passed=data.passed, level=data.level,
            assessor=principal.sub)
        return Built(fact=fact, event=event,
                     proves={skill.code: data.level} if data.passed else {})


practicals = PracticalService()
