"""Organisation master data synced from the HR suite: departments, skills,
job roles and their competency model."""

from __future__ import annotations

import builtins

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.employees.publishing import publisher
from services.training_api.models import Department, JobRole, JobRoleSkill, Skill
from services.training_api.org import repository as repo
from services.training_api.org import schemas
from services.training_api.org.errors import (
    DepartmentCycle,
    DepartmentNotFound,
    JobRoleNotFound,
    SkillNotFound,
    UnknownDepartment,
    UnknownSkill,
)


def _department_out(dept: Department, parent_code: str | None) -> schemas.Department:
    codes = [c for c in dept.path.split("/") if c]
    return schemas.Department(
        code=dept.code,
        name=dept.name,
        parent_code=parent_code,
        is_pilot=dept.is_pilot,
        manager_employee_nos=list(dept.manager_nos or []),
        path=codes,
        depth=len(codes) - 1,
        created_at=dept.created_at,
        updated_at=dept.updated_at,
    )


class DepartmentService:
    async def upsert(
        self, session: AsyncSession, code: str, *, data: schemas.DepartmentUpsert
    ) -> tuple[schemas.Department, bool]:
        """Create or update; moving a department moves its whole subtree. Employees
        under a moved or re-flagged department are re-published to the other services."""
        await repo.lock_tree(session)  # serialises tree edits, so two moves cannot make a cycle
        existing = await repo.get_department(session, code)
        parent = None
        if data.parent_code is not None:
            parent = await repo.get_department(session, data.parent_code)
            if parent is None:
                raise UnknownDepartment(f"Parent department {data.parent_code!r} does not exist")
            if existing is not None and parent.path.startswith(existing.path):
                raise DepartmentCycle(
                    f"{data.parent_code!r} is {code!r} itself or one of its sub-departments"
                )
        new_path = (parent.path if parent else "/") + code + "/"
        if existing is None:
            dept = Department(
                code=code,
                name=data.name,
                parent_id=parent.id if parent else None,
                path=new_path,
                is_pilot=data.is_pilot,
                manager_nos=list(dict.fromkeys(data.manager_employee_nos or [])),
            )
            session.add(dept)
            await session.flush()
            await session.refresh(dept)
            return _department_out(dept, data.parent_code), True
        moved = existing.path != new_path
        republish = moved or existing.is_pilot != data.is_pilot
        if moved:
            await repo.move_subtree(session, existing.path, new_path)
        existing.name = data.name
        existing.parent_id = parent.id if parent else None
        existing.is_pilot = data.is_pilot
        if data.manager_employee_nos is not None:
            existing.manager_nos = list(dict.fromkeys(data.manager_employee_nos))
        await session.flush()
        await session.refresh(existing)
        if republish:
            await publisher.republish_subtree(session, existing.path)
        return _department_out(existing, data.parent_code), False

    async def get(self, session: AsyncSession, code: str) -> schemas.Department:
        dept = await repo.get_department(session, code)
        if dept is None:
            raise DepartmentNotFound(f"No department with code {code!r}")
        return (await self._out(session, [dept]))[0]

    async def list(
        self, session: AsyncSession, *, after_path: str | None, limit: int
    ) -> tuple[list[schemas.Department], str | None]:
        """Tree order: each department right after its parent, siblings by code."""
        rows = await repo.list_departments(session, after_path=after_path, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return await self._out(session, rows), (rows[-1].path if more else None)

    async def _out(
        self, session: AsyncSession, depts: builtins.list[Department]
    ) -> builtins.list[schemas.Department]:
        parents = await repo.department_codes_by_id(
            session, {d.parent_id for d in depts if d.parent_id is not None}
        )
        return [
            _department_out(d, parents.get(d.parent_id) if d.parent_id else None) for d in depts
        ]


class SkillService:
    async def upsert(
        self, session: AsyncSession, code: str, *, data: schemas.SkillUpsert
    ) -> tuple[Skill, bool]:
        existing = await repo.get_skill(session, code)
        if existing is None:
            skill = Skill(code=code, name=data.name, description=data.description)
            session.add(skill)
            await session.flush()
            await session.refresh(skill)
            return skill, True
        existing.name, existing.description = data.name, data.description
        await session.flush()
        await session.refresh(existing)
        return existing, False

    async def get(self, session: AsyncSession, code: str) -> Skill:
        skill = await repo.get_skill(session, code)
        if skill is None:
            raise SkillNotFound(f"No skill with code {code!r}")
        return skill


class JobRoleService:
    async def upsert(
        self, session: AsyncSession, code: str, *, data: schemas.JobRoleUpsert
    ) -> tuple[schemas.JobRole, bool]:
        """Create or update a role and replace its competency model."""
        wanted = {r.skill_code for r in data.required_skills}
        skills = await repo.skills_by_code(session, wanted)
        missing = sorted(wanted - skills.keys())
        if missing:
            raise UnknownSkill(f"Unknown skill code(s): {', '.join(missing)}")
        role = await repo.get_job_role(session, code)
        created = role is None
        family_changed = False
        if role is None:
            role = JobRole(code=code, name=data.name, family=data.family,
                           course_formats=sorted(set(data.course_formats)))
            session.add(role)
            await session.flush()
        else:
            family_changed = role.family != data.family
            role.name, role.family = data.name, data.family
            role.course_formats = sorted(set(data.course_formats))
            await session.execute(delete(JobRoleSkill).where(JobRoleSkill.job_role_id == role.id))
        if data.required_skills:
            levels = {r.skill_code: r.level for r in data.required_skills}
            await session.execute(
                insert(JobRoleSkill),
                [
                    {"job_role_id": role.id, "skill_id": skills[c].id, "level": lvl}
                    for c, lvl in levels.items()
                ],
            )
        await session.flush()
        await session.refresh(role)
        if family_changed:
            await publisher.republish_role(session, role.id)
        return (await self._out(session, [role]))[0], created

    async def get(self, session: AsyncSession, code: str) -> schemas.JobRole:
        role = await repo.get_job_role(session, code)
        if role is None:
            raise JobRoleNotFound(f"No job role with code {code!r}")
        return (await self._out(session, [role]))[0]

    async def list(
        self, session: AsyncSession, *, after: str | None, limit: int
    ) -> tuple[list[schemas.JobRole], str | None]:
        rows = await repo.list_job_roles(session, after=after, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return await self._out(session, rows), (rows[-1].code if more else None)

    async def _out(
        self, session: AsyncSession, roles: builtins.list[JobRole]
    ) -> builtins.list[schemas.JobRole]:
        skills = await repo.required_skills(session, [r.id for r in roles])
        return [
            schemas.JobRole(
                code=r.code,
                name=r.name,
                family=r.family,
                course_formats=r.course_formats,
                created_at=r.created_at,
                updated_at=r.updated_at,
                required_skills=[
                    schemas.RequiredSkillOut(skill_code=c, skill_name=n, level=lv)
                    for c, n, lv in skills[r.id]
                ],
            )
            for r in roles
        ]


departments = DepartmentService()
skills = SkillService()
job_roles = JobRoleService()
