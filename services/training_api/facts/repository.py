"""Queries shared by every kind of training fact."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import false, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.db import kit_tables
from services.training_api.facts.models import TrainingFact
from services.training_api.models import Department, Employee, JobRole

F = TypeVar("F", bound=TrainingFact)


@dataclass(frozen=True)
class EmployeeRef:
    employee_no: str
    name: str
    status: str
    department_path: str
    job_role_id: int
    job_role_code: str


@dataclass
class FactFilters:
    employee_no: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    voided: bool | None = None
    # kind-specific equality filters: model attribute -> value (None: no filter)
    extra: dict[str, Any] = field(default_factory=dict)


async def employee_ref(session: AsyncSession, employee_no: str) -> EmployeeRef | None:
    row = (await session.execute(
        select(Employee.employee_no, Employee.name, Employee.status, Department.path,
               JobRole.id, JobRole.code)
        .join(Department, Department.id == Employee.department_id)
        .join(JobRole, JobRole.id == Employee.job_role_id)
        .where(Employee.employee_no == employee_no))).one_or_none()
    return EmployeeRef(*row) if row is not None else None


async def department_paths(session: AsyncSession, codes: Iterable[str]) -> list[str]:
    codes = list(codes)
    if not codes:
        return []
    rows = await session.execute(select(Department.path).where(Department.code.in_(codes)))
    return list(rows.scalars())


async def lock_client_id(session: AsyncSession, fact_type: str, client_id: uuid.UUID) -> None:
    """Serialises requests that carry the same client id, so that the second one
    finds the first one's record instead of failing on the unique constraint."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                          {"key": f"training.fact:{fact_type}:{client_id}"})


async def by_client_id(session: AsyncSession, model: type[F], client_id: uuid.UUID) -> F | None:
    stmt = select(model).where(TrainingFact.fact_type == _identity(model),
                               TrainingFact.client_id == client_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_fact(session: AsyncSession, model: type[F], fact_id: uuid.UUID, *,
                   for_update: bool = False) -> F | None:
    stmt = select(model).where(TrainingFact.id == fact_id)
    if for_update:
        # re-read under the lock even when the object is already in the session
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def employee_department_path(session: AsyncSession, employee_no: str) -> str | None:
    return (await session.execute(
        select(Department.path).join(Employee, Employee.department_id == Department.id)
        .where(Employee.employee_no == employee_no))).scalar_one_or_none()


async def list_facts(session: AsyncSession, model: type[F], f: FactFilters, *,
                     everyone: bool, own: str | None, department_paths: tuple[str, ...],
                     after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[F]:
    """Newest first (by time of occurrence, then id), restricted to what the caller reads."""
    stmt = (select(model).where(TrainingFact.fact_type == _identity(model))
            .order_by(TrainingFact.occurred_at.desc(), TrainingFact.id.desc()).limit(limit))
    if after is not None:
        stmt = stmt.where(tuple_(TrainingFact.occurred_at, TrainingFact.id) < tuple_(*after))
    if f.employee_no is not None:
        stmt = stmt.where(TrainingFact.employee_no == f.employee_no)
    if f.occurred_from is not None:
        stmt = stmt.where(TrainingFact.occurred_at >= f.occurred_from)
    if f.occurred_to is not None:
        stmt = stmt.where(TrainingFact.occurred_at < f.occurred_to)
    if f.voided is not None:
        stmt = stmt.where(TrainingFact.voided_at.is_not(None) if f.voided
                          else TrainingFact.voided_at.is_(None))
    for attr, value in f.extra.items():
        if value is not None:
            stmt = stmt.where(getattr(model, attr) == value)
    if not everyone:
        managed = (select(Employee.employee_no)
                   .join(Department, Department.id == Employee.department_id)
                   .where(or_(false(), *[Department.path.startswith(p, autoescape=True)
                                         for p in department_paths])))
        stmt = stmt.where(or_(TrainingFact.employee_no == own,
                              TrainingFact.employee_no.in_(managed) if department_paths
                              else false()))
    return list((await session.execute(stmt)).scalars())


async def event_delivered(session: AsyncSession, outbox_id: int) -> bool:
    t = kit_tables.outbox
    delivered = (await session.execute(
        select(t.c.delivered_at.is_not(None)).where(t.c.id == outbox_id))).scalar_one_or_none()
    # an outbox row that was pruned after delivery counts as delivered
    return True if delivered is None else bool(delivered)



def _identity(model: type[TrainingFact]) -> str:
    return model.__mapper__.polymorphic_identity
