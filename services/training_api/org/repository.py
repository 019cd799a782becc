"""Queries on departments, skills and job roles."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.models import Department, JobRole, JobRoleSkill, Skill

TREE_LOCK = "select pg_advisory_xact_lock(hashtext('training.department_tree'))"


@dataclass(frozen=True)
class DepartmentNode:
    id: int
    code: str
    path: str
    is_pilot: bool

    @property
    def codes(self) -> list[str]:
        return [c for c in self.path.split("/") if c]


@dataclass(frozen=True)
class RoleInfo:
    id: int
    code: str
    family: str


class OrgSnapshot:
    """Departments and roles in memory, for bulk work (imports, re-publishing employees)."""

    def __init__(self, departments: list[DepartmentNode], roles: list[RoleInfo]) -> None:
        self.departments = {d.code: d for d in departments}
        self.departments_by_id = {d.id: d for d in departments}
        self.roles = {r.code: r for r in roles}
        self.roles_by_id = {r.id: r for r in roles}

    def is_pilot(self, dept: DepartmentNode) -> bool:
        """A department is in a pilot when it or one of its ancestors is marked pilot."""
        return any(self.departments[c].is_pilot for c in dept.codes if c in self.departments)


async def lock_tree(session: AsyncSession) -> None:
    await session.execute(text(TREE_LOCK))


async def get_department(session: AsyncSession, code: str) -> Department | None:
    return (
        await session.execute(select(Department).where(Department.code == code))
    ).scalar_one_or_none()


async def department_codes_by_id(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Department.id, Department.code).where(Department.id.in_(ids))
    )
    return dict(rows.tuples().all())


async def move_subtree(session: AsyncSession, old_prefix: str, new_prefix: str) -> None:
    await session.execute(
        update(Department)
        .where(Department.path.startswith(old_prefix, autoescape=True))
        .values(path=new_prefix + func.substr(Department.path, len(old_prefix) + 1))
    )


async def list_departments(
    session: AsyncSession, *, after_path: str | None, limit: int
) -> list[Department]:
    stmt = select(Department).order_by(Department.path).limit(limit)
    if after_path is not None:
        stmt = stmt.where(Department.path > after_path)
    return list((await session.execute(stmt)).scalars())


async def load_snapshot(session: AsyncSession) -> OrgSnapshot:
    depts = await session.execute(
        select(Department.id, Department.code, Department.path, Department.is_pilot)
    )
    roles = await session.execute(select(JobRole.id, JobRole.code, JobRole.family))
    return OrgSnapshot(
        [DepartmentNode(*r) for r in depts.tuples()], [RoleInfo(*r) for r in roles.tuples()]
    )


async def get_skill(session: AsyncSession, code: str) -> Skill | None:
    return (await session.execute(select(Skill).where(Skill.code == code))).scalar_one_or_none()


async def skills_by_code(session: AsyncSession, codes: set[str]) -> dict[str, Skill]:
    if not codes:
        return {}
    rows = await session.execute(select(Skill).where(Skill.code.in_(codes)))
    return {s.code: s for s in rows.scalars()}


async def list_skills(session: AsyncSession, *, after: str | None, limit: int) -> list[Skill]:
    stmt = select(Skill).order_by(Skill.code).limit(limit)
    if after is not None:
        stmt = stmt.where(Skill.code > after)
    return list((await session.execute(stmt)).scalars())


async def get_job_role(session: AsyncSession, code: str) -> JobRole | None:
    return (await session.execute(select(JobRole).where(JobRole.code == code))).scalar_one_or_none()


async def list_job_roles(session: AsyncSession, *, after: str | None, limit: int) -> list[JobRole]:
    stmt = select(JobRole).order_by(JobRole.code).limit(limit)
    if after is not None:
        stmt = stmt.where(JobRole.code > after)
    return list((await session.execute(stmt)).scalars())


async def required_skills(
    session: AsyncSession, role_ids: list[int]
) -> dict[int, list[tuple[str, str, int]]]:
    """role id -> [(skill code, skill name, level)] in skill-code order."""
    out: dict[int, list[tuple[str, str, int]]] = {rid: [] for rid in role_ids}
    if not role_ids:
        return out
    rows = await session.execute(
        select(JobRoleSkill.job_role_id, Skill.code, Skill.name, JobRoleSkill.level)
        .join(Skill, Skill.id == JobRoleSkill.skill_id)
        .where(JobRoleSkill.job_role_id.in_(role_ids))
        .order_by(Skill.code)
    )
    for role_id, code, name, level in rows.tuples():
        out[role_id].append((code, name, level))
    return out
