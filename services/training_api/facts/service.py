"""What every kind of training fact goes through: who may record it, replays by
client id, checks on the employee, the skill records it proves, its event to
points_api in the same transaction, reads, and voiding."""

from __future__ import annotations

import hashlib
import json
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.db import kit_tables
from services.training_api.facts import access
from services.training_api.facts import repository as repo
from services.training_api.facts.errors import (
    ClientIdConflict,
    EmployeeLeft,
    FactAlreadyVoided,
    FactIsVoided,
    FactNotFound,
    OccurredInFuture,
    UnknownEmployee,
)
from services.training_api.facts.models import TrainingFact
from services.training_api.facts.schemas import FactCreate
from services.training_api.skill_records import repository as skill_repo
from shared import outbox
from shared.auth import Principal
from shared.contracts.events import EmployeeStatus
from shared.contracts.training_events import FactVoided, TrainingEventPayload
from shared.db import DriverConnection
from shared.errors import ServiceError
from shared.outbox import OutboxEvent, enqueue, outbox_rows
from shared.pagination import datetime_key, decode_keyset, encode_cursor, uuid_key

F = TypeVar("F", bound=TrainingFact)
C = TypeVar("C", bound=FactCreate)

DESTINATIONS = ["points"]
# Devices' clocks run a little ahead; a time further ahead than this is a mistake.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class Built(Generic[F]):
    """What a kind makes of a request: the fact, its event, the skills it proves
    (skill code -> the level it proves)."""

    fact: F
    event: TrainingEventPayload | None = None
    proves: dict[str, int] = field(default_factory=dict)


@dataclass
class Change(Generic[F]):
    """A recorded or changed fact and the events it announces (``events``, delivered
    by the kit once the transaction commits), or for a replay whether its event,
    written earlier, was delivered before (``delivered_before``) or is delivered
    again now (``redelivered``)."""

    fact: F
    created: bool = False
    redelivered: bool = False  # a replay whose event points_api has not taken yet
    delivered_before: bool = False  # a replay whose event points_api already took
    skills_removed: list[str] = field(default_factory=list)
    events: list[OutboxEvent] = field(default_factory=list)


async def publish(session: AsyncSession, event: TrainingEventPayload | None, *,
                  by_caller: bool = True) -> list[OutboxEvent]:
    """Enqueue the event for points_api in the caller's transaction. A recording
    request waits for its answer after commit, for the points in its answer
    (``by_caller``); bulk work leaves it to the relay, in outbox order."""
    if event is None:
        return []
    return await enqueue(
        session, kit_tables.outbox, event_type=event.event_type,
        payload=event.model_dump(mode="json"), destinations=DESTINATIONS,
        occurred_at=event.occurred_at, delivered_by_caller=by_caller)


async def active_employee(session: AsyncSession, employee_no: str) -> repo.EmployeeRef:
    employee = await repo.employee_ref(session, employee_no)
    if employee is None:
        raise UnknownEmployee(f"Employee {employee_no!r} does not exist")
    if employee.status == EmployeeStatus.LEFT:
        raise EmployeeLeft(f"Employee {employee_no!r} has left; no new records")
    return employee


def check_not_voided(fact: TrainingFact) -> None:
    if fact.voided_at is not None:
        raise FactIsVoided(f"Record {fact.id} was voided on {fact.voided_at:%Y-%m-%d}")


def content_hash(data: BaseModel) -> str:
    """The same record sent twice hashes the same, whatever the time zone offset
    or the number of trailing zeros it was written with."""
    canonical = json.dumps(_canonical(data.model_dump(exclude={"client_id"})), sort_keys=True,
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


class FactKind(ABC, Generic[F, C]):
    """Base of the service of one kind of fact; subclasses say who records it and
    implement :meth:`build`."""

    model: type[F]  # set by each kind (a class attribute)
    label: ClassVar[str]                   # e.g. "Course completions", for messages
    recorders: ClassVar[tuple[str, ...]]   # roles that record it for anyone
    self_service: ClassVar[bool] = False   # the employee records their own

    @abstractmethod
    async def build(self, session: AsyncSession, fact_id: uuid.UUID, data: C, *,
                    employee: repo.EmployeeRef, principal: Principal,
                    historical: bool = False) -> Built[F]:
        """The kind's row and its event, checked against the catalogue. ``historical``:
        a record from before Jifen (a history import), which may name what has been
        retired since (an archived course)."""

    async def record(self, session: AsyncSession, data: C, *, principal: Principal) -> Change[F]:
        """Record a new fact (created) or, for a client id seen before with the same
        content, return the stored one (not created).

        A few statements in the request's transaction: the employee, what the kind
        checks, and one statement writing the fact, its kind's row and its event
        unless the client id is taken (then the stored fact is replayed; a concurrent
        recording of the same client id waits for the first one's commit)."""
        access.check_may_record(principal, data.employee_no, roles=self.recorders,
                                self_service=self.self_service, what=self.label)
        digest = content_hash(data)
        fact_id = uuid.uuid4()
        try:
            employee = await active_employee(session, data.employee_no)
            built = await self.build(session, fact_id, data, employee=employee,
                                     principal=principal)
            if built.fact.occurred_at > datetime.now(UTC) + CLOCK_SKEW:
                raise OccurredInFuture(f"{built.fact.occurred_at.isoformat()} is later than "
                                       "now; record what has happened")
        except ServiceError:
            # a replay answers what was stored, even if the employee left since
            if (existing := await self._stored(session, data.client_id)) is not None:
                return await self._replay(session, existing, digest)
            raise
        change = await self._write(session, data, fact_id, built, digest=digest,
                                   recorded_by=principal.sub)
        if change is None:
            existing = await self._stored(session, data.client_id)
            assert existing is not None  # the conflict was on its client id
            return await self._replay(session, existing, digest)
        return change

    # What the recording statement checks on a driver connection, with parameters
    # ``g_*`` that :meth:`build_on_driver` gives: the fact is written only while what
    # the kind built it from still holds (None: nothing to check there)
    driver_guard: ClassVar[ColumnElement[bool] | None] = None

    async def build_on_driver(self, db: DriverConnection, fact_id: uuid.UUID,
                              data: C) -> tuple[Built[F], dict[str, Any]] | None:
        """:meth:`build` for the common case of a recording on a driver connection, and
        the parameters of :attr:`driver_guard`; None when the kind has no such path or
        the request is not the common case (a check fails: :meth:`record` answers it,
        after looking for a replay)."""
        return None

    def driver_miss(self, data: C) -> None:
        """The recording statement wrote nothing (the guard failed, or the client id is
        taken): forget what :meth:`build_on_driver` may have kept for ``data``."""

    async def record_on_driver(self, db: DriverConnection, data: C, *, principal: Principal,
                               claim: tuple[str | None, str | None]) -> Change[F] | None:
        """:meth:`record` for a new fact that passes every check, on a driver connection
        without an ORM session: what the kind checks (one statement, or none when the
        kind knows it already), then one autocommitted statement that writes the fact,
        its kind's row, its event and marks the request's Idempotency-Key ``claim``
        applied, as long as the kind's :attr:`driver_guard` holds; the event leaves for
        points_api at once (its answer: :func:`shared.outbox.answers` on ``db``). None
        for anything else (a check fails, the client id is taken): the caller goes on
        with :meth:`record`, which answers it as it always has."""
        access.check_may_record(principal, data.employee_no, roles=self.recorders,
                                self_service=self.self_service, what=self.label)
        fact_id = uuid.uuid4()
        found = await self.build_on_driver(db, fact_id, data)
        if found is None:
            return None
        built, guard = found
        if (built.event is None or built.proves
                or built.fact.occurred_at > datetime.now(UTC) + CLOCK_SKEW):
            return None
        fact = self._filled(built.fact, fact_id, data, content_hash(data), principal.sub)
        row = outbox_rows(
            event_type=built.event.event_type, payload=built.event.model_dump(mode="json"),
            destinations=DESTINATIONS, occurred_at=built.event.occurred_at,
            delivered_by_caller=True)[0]
        outbox_id = await repo.write_fact(db, fact, {**row, "payload": json.dumps(
            row["payload"], ensure_ascii=False)}, claim=claim, guard=self.driver_guard,
            guard_params=guard)
        if outbox_id is None:
            self.driver_miss(data)
            return None
        fact.event_outbox_id = outbox_id
        events = [OutboxEvent.of(outbox_id, row)]
        outbox.record(db, events)  # committed by the statement: it leaves at once
        return Change(fact=fact, created=True, events=events)

    @staticmethod
    def _filled(fact: F, fact_id: uuid.UUID, data: C, digest: str, recorded_by: str) -> F:
        """The fact with what every kind's recording sets."""
        fact.id, fact.employee_no, fact.client_id = fact_id, data.employee_no, data.client_id
        fact.content_hash, fact.recorded_by = digest, recorded_by
        fact.recorded_at = datetime.now(UTC)
        return fact

    async def create(self, session: AsyncSession, data: C, *, employee: repo.EmployeeRef,
                     principal: Principal, digest: str, legacy_id: str, earns: bool,
                     recorded_by: str) -> Change[F]:
        """A record of a history import as a new fact (the caller checked who may
        import and holds the legacy record): its event is marked with ``legacy_id``
        and left to the relay; a record that earns nothing (``earns`` False) has no
        event. ``principal`` is the legacy record's assessor, ``recorded_by`` the
        importer."""
        fact_id = uuid.uuid4()
        built = await self.build(session, fact_id, data, employee=employee,
                                 principal=principal, historical=True)
        if built.event is not None:
            built.event.legacy_id = legacy_id
        if not earns:
            built.event = None
        change = await self._write(session, data, fact_id, built, digest=digest,
                                   recorded_by=recorded_by, by_caller=False)
        assert change is not None  # imported facts carry no client id
        return change

    async def _write(self, session: AsyncSession, data: C, fact_id: uuid.UUID,
                     built: Built[F], *, digest: str, recorded_by: str,
                     by_caller: bool = True) -> Change[F] | None:
        """One statement writing the fact, its kind's row and its event, then the
        skills it proves; None when another fact holds the client id."""
        fact = self._filled(built.fact, fact_id, data, digest, recorded_by)
        rows = [] if built.event is None else outbox_rows(
            event_type=built.event.event_type, payload=built.event.model_dump(mode="json"),
            destinations=DESTINATIONS, occurred_at=built.event.occurred_at,
            delivered_by_caller=by_caller)
        if rows:  # the statement names the column; a relayed row is due at once
            rows[0].setdefault("available_at", fact.recorded_at)
        outbox_id = await repo.insert_fact(session, fact, rows[0] if rows else None)
        if outbox_id is False:
            return None
        fact.event_outbox_id = outbox_id
        await skill_repo.add_proofs(session, employee_no=data.employee_no,
                                    levels=built.proves, fact_id=fact_id,
                                    proven_by=fact.fact_type, since=fact.occurred_at)
        events = [OutboxEvent.of(outbox_id, rows[0])] if outbox_id is not None else []
        outbox.record(session, events)
        return Change(fact=fact, created=True, events=events)

    async def _stored(self, session: AsyncSession, client_id: uuid.UUID | None) -> F | None:
        if client_id is None:
            return None
        return await repo.by_client_id(session, self.model, client_id)

    async def _replay(self, session: AsyncSession, existing: F, digest: str) -> Change[F]:
        if existing.content_hash != digest:
            raise ClientIdConflict(
                f"client_id {existing.client_id} belongs to record {existing.id} with other "
                "content; use a new client_id for a new record")
        if existing.event_outbox_id is None:
            return Change(fact=existing)
        if await repo.event_delivered(session, existing.event_outbox_id):
            return Change(fact=existing, delivered_before=True)
        outbox.redeliver(session, [existing.event_outbox_id])
        return Change(fact=existing, redelivered=True)

    async def get(self, session: AsyncSession, fact_id: uuid.UUID, *,
                  principal: Principal, for_update: bool = False) -> F:
        """One fact the caller may read; others' records answer 404 like missing ones."""
        fact = await repo.get_fact(session, self.model, fact_id, for_update=for_update)
        if fact is not None:
            scope = await access.read_scope(session, principal)
            if scope.everyone or fact.employee_no == scope.employee_no:
                return fact
            path = await repo.employee_department_path(session, fact.employee_no)
            if access.may_read(scope, fact.employee_no, path or ""):
                return fact
        raise FactNotFound(f"No {self.label.lower()} record {fact_id} visible to you")

    async def list(self, session: AsyncSession, filters: repo.FactFilters, *,
                   principal: Principal, cursor: str | None,
                   limit: int) -> tuple[list[F], str | None]:
        """Newest first; the caller sees only the records they may read."""
        scope = await access.read_scope(session, principal)
        after = decode_keyset(cursor, datetime_key, uuid_key)
        rows = await repo.list_facts(
            session, self.model, filters, everyone=scope.everyone, own=scope.employee_no,
            department_paths=scope.department_paths, after=after, limit=limit + 1)
        if len(rows) <= limit:
            return rows, None
        last = rows[limit - 1]
        return rows[:limit], encode_cursor([last.occurred_at.isoformat(), str(last.id)])


class VoidingService:
    async def void(self, session: AsyncSession, fact_id: uuid.UUID, *, reason: str,
                   actor: str, by_caller: bool = True) -> Change[TrainingFact]:
        """Mark a fact voided and tell points_api, which reverses what it earned (by
        compensating entries). Skills it alone proved are no longer held. Bulk work
        (``by_caller`` False) leaves the event to the relay, in outbox order."""
        fact = await repo.get_fact(session, TrainingFact, fact_id, for_update=True)
        if fact is None:
            raise FactNotFound(f"No training record {fact_id}")
        if fact.voided_at is not None:
            raise FactAlreadyVoided(f"Record {fact_id} was voided by {fact.voided_by} "
                                    f"on {fact.voided_at:%Y-%m-%d}")
        now = datetime.now(UTC)
        fact.voided_at, fact.voided_by, fact.void_reason = now, actor, reason
        await session.flush()
        removed = await skill_repo.remove_proofs(session, fact.id)
        events = await publish(session, FactVoided(
            fact_id=str(fact.id), voided_fact_id=str(fact.id), employee_no=fact.employee_no,
            occurred_at=now, reason=reason), by_caller=by_caller)
        return Change(fact=fact, events=events, skills_removed=removed)


voiding = VoidingService()
