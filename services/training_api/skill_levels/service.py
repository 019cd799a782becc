"""Skill levels (技能等级) a legacy system recorded: an employee held a skill at a
level from a date on. Only history imports record them; each proves its skill at
its level, and earns what the rule set says for ``skill_level.recorded`` (the
default rules pay nothing for it)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.facts.models import SkillLevelRecord
from services.training_api.facts.repository import EmployeeRef
from services.training_api.facts.service import Built, FactKind
from services.training_api.org import repository as org_repo
from services.training_api.org.errors import UnknownSkill
from services.training_api.skill_levels.schemas import SkillLevelCreate
from shared.auth import Principal
from shared.contracts.training_events import SkillLevelRecorded


class SkillLevelService(FactKind[SkillLevelRecord, SkillLevelCreate]):
    model = SkillLevelRecord
    label = "Skill levels"
    recorders = ("hr_admin",)

    async def build(self, session: AsyncSession, fact_id: uuid.UUID, data: SkillLevelCreate, *,
                    employee: EmployeeRef, principal: Principal,
                    historical: bool = False) -> Built[SkillLevelRecord]:
        skill = await org_repo.get_skill(session, data.skill_code)
        if skill is None:
            raise UnknownSkill(f"Skill {data.skill_code!r} does not exist")
        fact = SkillLevelRecord(skill_code=skill.code, level=data.level,
                                occurred_at=data.held_since)
        event = SkillLevelRecorded(
            fact_id=str(fact_id), employee_no=employee.employee_no, occurred_at=data.held_since,
            skill_code=skill.code, skill_name=skill.name, level=data.level)
        return Built(fact=fact, event=event, proves={skill.code: data.level})


skill_levels = SkillLevelService()
