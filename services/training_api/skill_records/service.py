"""Employees' skill records: which skills they hold, at which level, since when and
how proven, against their role's competency model (levels compared)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.employees.service import employees
from services.training_api.org import repository as org_repo
from services.training_api.skill_records import repository as repo
from services.training_api.skill_records import schemas
from shared.auth import Principal


class SkillRecordService:
    async def for_employee(self, session: AsyncSession, employee_no: str, *,
                           principal: Principal) -> schemas.EmployeeSkills:
        """Visible to whoever may read the employee (404 otherwise)."""
        employee = await employees.get(session, employee_no, principal=principal)
        held: dict[str, schemas.HeldSkill] = {}
        for proof, name in await repo.proofs_of(session, employee_no):
            skill = held.setdefault(proof.skill_code, schemas.HeldSkill(
                skill_code=proof.skill_code, skill_name=name, level=proof.level,
                since=proof.since, level_since=proof.since, proofs=[]))
            if proof.level > skill.level:  # proofs come earliest first
                skill.level, skill.level_since = proof.level, proof.since
            skill.proofs.append(schemas.SkillProof.model_validate(proof))
        role = await org_repo.get_job_role(session, employee.job_role_code)
        assert role is not None  # the foreign key guarantees it
        levels = {code: skill.level for code, skill in held.items()}
        required = [schemas.SkillStanding(skill_code=code, skill_name=name, level=level,
                                          current_level=levels.get(code, 0),
                                          held=levels.get(code, 0) >= level)
                    for code, name, level in (await org_repo.required_skills(
                        session, [role.id]))[role.id]]
        return schemas.EmployeeSkills(
            employee_no=employee.employee_no, job_role_code=role.code, job_role_name=role.name,
            skills=list(held.values()), required=required,
            gaps=[r for r in required if not r.held])


skill_records = SkillRecordService()
