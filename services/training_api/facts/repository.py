"""Queries shared by every kind of training fact."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Select,
    bindparam,
    exists,
    false,
    literal_column,
    null,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.db import kit_tables
from services.training_api.facts.models import TrainingFact
from services.training_api.models import Department, Employee, JobRole
from shared.db import DriverConnection, Prebuilt, prebuild

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
    return str(model.__mapper__.polymorphic_identity)


# -- recording: the fact, its kind's row and its event in one statement -------------------

_FACT_SET_LATER = ("event_outbox_id", "voided_at", "voided_by", "void_reason")
_OUTBOX_ID: ColumnClause[int] = literal_column("nextval('outbox_event_id_seq')")


def _fact_columns(model: type[TrainingFact]) -> tuple[list[str], list[str]]:
    """The training_fact and kind-table columns a recording writes."""
    base = [c.name for c in TrainingFact.__table__.c if c.name not in _FACT_SET_LATER]
    detail = [c.name for c in model.__table__.c if c.name != "id"]
    return base, detail


@functools.cache
def _record_statement(model: type[TrainingFact], with_event: bool,
                      with_claim: bool = False,
                      guard: ColumnElement[bool] | None = None) -> Select[Any, Any]:
    """INSERT the fact (nothing when its client id is taken), its kind's row and, with
    an event, its outbox row whose id the fact keeps: one round trip, built once.
    ``with_claim``: also marks the request's Idempotency-Key claim applied when the
    fact is written (parameters ``i_scope``, ``i_key``; NULL for a request without).
    ``guard``: the fact is written only where it holds."""
    fact_t, detail_t, outbox_t = TrainingFact.__table__, model.__table__, kit_tables.outbox
    base, detail = _fact_columns(model)
    values = [bindparam(f"f_{n}", type_=fact_t.c[n].type) for n in base]
    if with_event:
        ids = select(_OUTBOX_ID.label("outbox_id")).cte("ids")
        source: Any = select(*values, ids.c.outbox_id)
    else:
        source = select(*values, null())
    if guard is not None:
        source = source.where(guard)
    fact = (insert(fact_t).from_select([*base, "event_outbox_id"], source)
            .on_conflict_do_nothing(index_elements=["fact_type", "client_id"])
            .returning(fact_t.c.id, fact_t.c.event_outbox_id).cte("fact"))
    kind_row = insert(detail_t).from_select(["id", *detail], select(
        fact.c.id, *[bindparam(f"d_{n}", type_=detail_t.c[n].type) for n in detail]))
    ctes = [kind_row.cte("kind_row")]
    if with_event:
        names = ("event_id", "event_type", "destination", "payload", "occurred_at",
                 "available_at")
        ctes.append(insert(outbox_t).from_select(["id", *names], select(
            fact.c.event_outbox_id,
            *[bindparam(f"o_{n}", type_=outbox_t.c[n].type) for n in names])).cte("outbox"))
    if with_claim:
        keys = kit_tables.idempotency
        ctes.append(update(keys).where(
            keys.c.scope == bindparam("i_scope", type_=keys.c.scope.type),
            keys.c.key == bindparam("i_key", type_=keys.c.key.type),
            keys.c.state == "running", exists(select(fact.c.id)),
        ).values(state="applied").cte("claim"))
    return select(fact.c.id, fact.c.event_outbox_id).add_cte(*ctes)


@functools.cache
def _prebuilt_record(model: type[TrainingFact], guard: ColumnElement[bool] | None) -> Prebuilt:
    return prebuild(_record_statement(model, True, with_claim=True, guard=guard))


@functools.cache
def _fact_params(model: type[TrainingFact]) -> tuple[tuple[str, str], ...]:
    """(statement parameter, the fact's attribute holding its value) of the fact and
    kind-table columns a recording writes, worked out once per kind."""
    base, detail = _fact_columns(model)
    mapper = model.__mapper__
    return (*((f"f_{n}", mapper.get_property_by_column(TrainingFact.__table__.c[n]).key)
              for n in base),
            *((f"d_{n}", mapper.get_property_by_column(model.__table__.c[n]).key)
              for n in detail))


def record_params(fact: TrainingFact, outbox: dict[str, Any] | None) -> dict[str, Any]:
    """The parameters of the recording statement for ``fact`` and its event's outbox
    row (``outbox``, see shared.outbox.outbox_rows; its payload as JSON text on a
    driver connection)."""
    params = {param: getattr(fact, key) for param, key in _fact_params(type(fact))}
    params.update({f"o_{n}": v for n, v in (outbox or {}).items()})
    return params


async def write_fact(db: DriverConnection, fact: TrainingFact, outbox: dict[str, Any], *,
                     claim: tuple[str | None, str | None],
                     guard: ColumnElement[bool] | None = None,
                     guard_params: dict[str, Any] | None = None) -> int | None:
    """:func:`insert_fact` on a driver connection, in one autocommitted statement that
    also marks the request's Idempotency-Key ``claim`` applied: the fact, its kind's
    row, its event and the claim commit together or not at all, and only where
    ``guard`` holds (its parameters ``guard_params``). Returns the outbox row id, or
    None when nothing was written (another fact holds the client id, or the guard
    failed)."""
    params = {**record_params(fact, outbox), **(guard_params or {})}
    params["i_scope"], params["i_key"] = claim
    row = await db.first(_prebuilt_record(type(fact), guard), **params)
    return None if row is None else int(row["event_outbox_id"])


async def insert_fact(session: AsyncSession, fact: TrainingFact,
                      outbox: dict[str, Any] | None) -> int | None | bool:
    """Write a new fact with its event's outbox row (``outbox``: the row's values, see
    shared.outbox.outbox_rows). Returns the outbox row id (None without an event), or
    False when another fact holds the client id: the caller replays that one."""
    row = (await session.execute(_record_statement(type(fact), outbox is not None),
                                 record_params(fact, outbox))).first()
    if row is None:
        return False
    outbox_id: int | None = row.event_outbox_id
    return outbox_id
