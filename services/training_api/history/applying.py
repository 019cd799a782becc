"""One chunk of a history import: each valid row checked against the catalogue and
the employees, then created, replaced or left alone by its legacy id.

A new legacy id becomes a training fact through the kinds' normal path (the same
build, event and skill proofs as a recording request): in replay mode its event
goes to points_api, which scores it under the rule set in force at its date; in
opening mode it is recorded without an event and earns nothing. A legacy id whose
record changed has its fact voided (points_api reverses what it earned with
compensating entries) and a new fact recorded; one that did not change is left
alone. The service never commits: the job commits each chunk with its checkpoint.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.completions.schemas import CourseCompletionCreate
from services.training_api.completions.service import completions
from services.training_api.exam_attempts.schemas import ExamAttemptCreate
from services.training_api.exam_attempts.service import exam_attempts
from services.training_api.facts.repository import EmployeeRef
from services.training_api.facts.service import FactKind, content_hash, voiding
from services.training_api.history import repository as repo
from services.training_api.history.parsing import HistoryRow, RowError
from services.training_api.practicals.schemas import PracticalAssessmentCreate
from services.training_api.practicals.service import practicals
from services.training_api.skill_levels.schemas import SkillLevelCreate
from services.training_api.skill_levels.service import skill_levels
from shared.auth import Principal
from shared.identity import canonical_employee_no

KIND_SERVICES: dict[str, FactKind[Any, Any]] = {
    "course": completions, "exam": exam_attempts, "practical": practicals,
    "skill_level": skill_levels}


@dataclass
class Catalogue:
    """What rows are checked against, loaded once per job; employees as met."""

    courses: dict[str, Decimal]
    exams: set[str]
    skills: set[str]
    employees: dict[str, EmployeeRef] = field(default_factory=dict)

    @classmethod
    async def load(cls, session: AsyncSession) -> Catalogue:
        return cls(*await repo.catalogue(session))

    async def add_employees(self, session: AsyncSession, nos: set[str]) -> None:
        missing = sorted(nos - self.employees.keys())
        if missing:
            self.employees.update(await repo.employee_refs(session, missing))

    def problem(self, row: HistoryRow) -> str | None:
        """Why the row cannot be imported here, or None."""
        if row.employee_no not in self.employees:
            return f"unknown employee_no {row.employee_no!r} (import the employees first)"
        if row.course_code is not None:
            hours = self.courses.get(row.course_code)
            if hours is None:
                return f"unknown course_code {row.course_code!r}"
            if row.hours_attended is not None and row.hours_attended > hours:
                return (f"hours_attended {row.hours_attended} is more than the course's "
                        f"{hours} class hours")
        if row.exam_code is not None and row.exam_code not in self.exams:
            return f"unknown exam_code {row.exam_code!r}"
        if row.skill_code is not None and row.skill_code not in self.skills:
            return f"unknown skill_code {row.skill_code!r}"
        return None


@dataclass
class ChunkResult:
    counts: Counter[str] = field(default_factory=Counter)
    rejected: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class ImportContext:
    job_id: uuid.UUID
    mode: str
    importer: str
    dry_run: bool
    cut_over: Any  # date | None


def fact_data(row: HistoryRow) -> BaseModel:
    """The record as the request its kind records. No client id: the legacy id, held
    under lock in history_record, is what makes one fact per record."""
    common = {"employee_no": row.employee_no}
    if row.kind == "course":
        return CourseCompletionCreate(**common, course_code=row.course_code,
                                      completed_at=row.occurred_at,
                                      hours_attended=row.hours_attended)
    if row.kind == "exam":
        return ExamAttemptCreate(**common, exam_code=row.exam_code, score=row.score,
                                 attempted_at=row.occurred_at)
    if row.kind == "practical":
        return PracticalAssessmentCreate(**common, skill_code=row.skill_code, passed=row.passed,
                                         level=row.level or 1, assessed_at=row.occurred_at)
    return SkillLevelCreate(**common, skill_code=row.skill_code, level=row.level,
                            held_since=row.occurred_at)


def _about_the_importer(row: HistoryRow, ctx: ImportContext) -> str | None:
    """Nobody pays themselves: a record about the importer would earn them points
    (replay) or post their opening balance (opening), as a recording about yourself
    or an adjustment of your own account would; another HR administrator imports it."""
    if row.employee_no == canonical_employee_no(ctx.importer):
        return ("a record about yourself, the importer: records about yourself are "
                "imported by another HR administrator")
    return None


def _after_cut_over(row: HistoryRow, ctx: ImportContext) -> str | None:
    if ctx.mode == "opening" and row.occurred_at.date() > ctx.cut_over:
        return (f"dated {row.occurred_at.date().isoformat()}, after the cut-over date "
                f"{ctx.cut_over.isoformat()}; import it in replay mode")
    return None


async def apply_chunk(session: AsyncSession, rows: list[HistoryRow], *, ctx: ImportContext,
                      catalogue: Catalogue) -> ChunkResult:
    """Import the rows: new legacy ids become facts; a changed record has its fact
    voided and is left pending (:func:`replace_pending` records the new fact once
    points_api has applied the void). What happened to each row is counted."""
    result = ChunkResult()
    await catalogue.add_employees(session, {r.employee_no for r in rows})
    valid = []
    for row in rows:
        problem = (catalogue.problem(row) or _about_the_importer(row, ctx)
                   or _after_cut_over(row, ctx))
        if problem:
            result.rejected.append(RowError(row.line, row.legacy_id, row.employee_no, problem))
        else:
            valid.append(row)
    existing = await repo.records_for_update(session, [r.legacy_id for r in valid])
    voided = await repo.fact_voided(session, [r.fact_id for r in existing.values()])
    upserts = []
    for row in valid:
        before = existing.get(row.legacy_id)
        fact_hash = row.fact_hash(ctx.mode)
        pending = False
        if before is not None and before.fact_hash == fact_hash:
            same = (before.legacy_points, before.category) == (row.points, row.category)
            result.counts["unchanged" if same else "updated"] += 1
            fact_id, pending = before.fact_id, before.fact_pending
        elif before is not None:
            result.counts["updated"] += 1
            fact_id, pending = before.fact_id, True
            if not ctx.dry_run and before.fact_id not in voided:
                await voiding.void(session, before.fact_id, actor=ctx.importer,
                                   reason=f"历史数据更正 (记录 {row.legacy_id})", by_caller=False)
        else:
            result.counts["created"] += 1
            if ctx.dry_run:
                continue
            fact_id = await record_fact(session, row, ctx, result,
                                        employee=catalogue.employees[row.employee_no])
        upserts.append(_record_row(row, ctx, fact_id, fact_hash, pending=pending))
    result.counts["rejected"] += len(result.rejected)
    if not ctx.dry_run:
        await repo.upsert_records(session, upserts)
    return result


async def replace_pending(session: AsyncSession, rows: dict[str, HistoryRow], *,
                          ctx: ImportContext, catalogue: Catalogue, limit: int) -> ChunkResult:
    """Record the new facts of up to ``limit`` changed records of this file whose old
    fact points_api has reversed by now."""
    result = ChunkResult()
    pending = await repo.pending_records(session, list(rows), limit=limit)
    await catalogue.add_employees(session, {rows[p.legacy_id].employee_no for p in pending})
    for record in pending:
        row = rows[record.legacy_id]
        record.fact_id = await record_fact(session, row, ctx, result,
                                           employee=catalogue.employees[row.employee_no])
        record.fact_pending = False
        result.counts["replaced"] += 1
    await session.flush()
    return result


async def record_fact(session: AsyncSession, row: HistoryRow, ctx: ImportContext,
                      result: ChunkResult, *, employee: EmployeeRef) -> uuid.UUID:
    """The record as a fact, through its kind's normal path; its event (replay) is
    queued for the relay."""
    data = fact_data(row)
    assessor = Principal(sub=row.assessor or ctx.importer, roles=frozenset({"hr_admin"}))
    change = await KIND_SERVICES[row.kind].create(
        session, data, employee=employee, principal=assessor, digest=content_hash(data),
        legacy_id=row.legacy_id, earns=ctx.mode == "replay", recorded_by=ctx.importer)
    fact_id: uuid.UUID = change.fact.id
    return fact_id


def _record_row(row: HistoryRow, ctx: ImportContext, fact_id: uuid.UUID, fact_hash: str, *,
                pending: bool) -> dict[str, Any]:
    return {"legacy_id": row.legacy_id, "kind": row.kind, "mode": ctx.mode,
            "employee_no": row.employee_no, "occurred_at": row.occurred_at, "fact_id": fact_id,
            "fact_hash": fact_hash, "fact_pending": pending, "legacy_points": row.points,
            "category": row.category, "import_id": ctx.job_id, "line": row.line}
