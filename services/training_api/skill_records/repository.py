"""Queries on employees' skill records (one row per fact that proves a skill)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, Subquery, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.facts.models import EmployeeSkill
from services.training_api.models import Skill


async def add_proofs(session: AsyncSession, *, employee_no: str, levels: dict[str, int],
                     fact_id: uuid.UUID, proven_by: str, since: datetime) -> None:
    """Record what a fact proves: skill code -> level."""
    if not levels:
        return
    await session.execute(insert(EmployeeSkill).on_conflict_do_nothing(), [
        {"employee_no": employee_no, "skill_code": code, "fact_id": fact_id,
         "proven_by": proven_by, "since": since, "level": level}
        for code, level in levels.items()])


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


def levels_held(*, held_before: datetime | None = None) -> Subquery:
    """A subquery of the current level of every skill of every employee: (employee_no,
    skill_code, level), the highest level proven by a standing record (dated before
    ``held_before`` when given). Reports join it to the competency model."""
    stmt = select(EmployeeSkill.employee_no, EmployeeSkill.skill_code,
                  func.max(EmployeeSkill.level).label("level"))
    if held_before is not None:
        stmt = stmt.where(EmployeeSkill.since < held_before)
    return stmt.group_by(EmployeeSkill.employee_no, EmployeeSkill.skill_code).subquery("held")


def first_reached(employee_no: ColumnElement[str], skill_code: ColumnElement[str],
                  level: ColumnElement[int]) -> ScalarSelect[datetime]:
    """A scalar subquery: when the employee first proved the skill at ``level`` or
    above with a record that still stands (null if never)."""
    return (select(func.min(EmployeeSkill.since))
            .where(EmployeeSkill.employee_no == employee_no,
                   EmployeeSkill.skill_code == skill_code, EmployeeSkill.level >= level)
            .scalar_subquery())


async def current_levels(session: AsyncSession, employee_no: str) -> dict[str, int]:
    """skill code -> the employee's current level (skills never proven are absent)."""
    rows = await session.execute(
        select(EmployeeSkill.skill_code, func.max(EmployeeSkill.level))
        .where(EmployeeSkill.employee_no == employee_no).group_by(EmployeeSkill.skill_code))
    return {code: int(level) for code, level in rows.all()}


async def proofs_of(session: AsyncSession, employee_no: str) -> list[tuple[EmployeeSkill, str]]:
    """(proof, skill name) in skill-code order, earliest proof first."""
    rows = await session.execute(
        select(EmployeeSkill, Skill.name).join(Skill, Skill.code == EmployeeSkill.skill_code)
        .where(EmployeeSkill.employee_no == employee_no)
        .order_by(EmployeeSkill.skill_code, EmployeeSkill.since, EmployeeSkill.fact_id))
    return [(proof, name) for proof, name in rows.tuples()]
