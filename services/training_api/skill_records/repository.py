"""Queries on employees' skill records (one row per fact that proves a skill)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.facts.models import EmployeeSkill
from services.training_api.models import Skill


async def add_proofs(session: AsyncSession, *, employee_no: str, skill_codes: list[str],
                     fact_id: uuid.UUID, proven_by: str, since: datetime) -> None:
    if not skill_codes:
        return
    await session.execute(insert(EmployeeSkill).on_conflict_do_nothing(), [
        {"employee_no": employee_no, "skill_code": code, "fact_id": fact_id,
         "proven_by": proven_by, "since": since} for code in skill_codes])


async def remove_proofs(session: AsyncSession, fact_id: uuid.UUID) -> list[str]:
    """Delete what this fact proved; returns the skill codes no other fact proves."""
    removed = (await session.execute(
        delete(EmployeeSkill).where(EmployeeSkill.fact_id == fact_id)
        .returning(EmployeeSkill.employee_no, EmployeeSkill.skill_code))).all()
    if not removed:
        return []
    employee_no = removed[0][0]
    codes = sorted({code for _, code in removed})
    still = set((await session.execute(
        select(EmployeeSkill.skill_code).where(EmployeeSkill.employee_no == employee_no,
                                               EmployeeSkill.skill_code.in_(codes)))).scalars())
    return [c for c in codes if c not in still]


async def proofs_of(session: AsyncSession, employee_no: str) -> list[tuple[EmployeeSkill, str]]:
    """(proof, skill name) in skill-code order, earliest proof first."""
    rows = await session.execute(
        select(EmployeeSkill, Skill.name).join(Skill, Skill.code == EmployeeSkill.skill_code)
        .where(EmployeeSkill.employee_no == employee_no)
        .order_by(EmployeeSkill.skill_code, EmployeeSkill.since, EmployeeSkill.fact_id))
    return [(proof, name) for proof, name in rows.tuples()]
