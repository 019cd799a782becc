"""Queries of the points mix: the target versions, a period's ledger sums by category
and rule, and the rules' names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Select, cast, exists, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.db import employee_copy
from services.points_api.mix.assessment import MixRow, RuleInfo
from services.points_api.mix.models import PointsMixSourceTarget, PointsMixTargetSet
from services.points_api.models import LedgerEntry, RuleSetRecord, RuleSetStatus

_entry = LedgerEntry.__table__
_copy = employee_copy


@dataclass(frozen=True)
class MixScope:
    department: str | None = None
    family: str | None = None
    front_line: bool | None = None

    @property
    def is_company(self) -> bool:
        return self.department is None and self.family is None and self.front_line is None


# -- targets ----------------------------------------------------------------------------------

async def latest_target_set(session: AsyncSession) -> PointsMixTargetSet | None:
    return (await session.execute(select(PointsMixTargetSet).order_by(
        PointsMixTargetSet.version.desc()).limit(1))).scalar_one_or_none()


async def target_sets(session: AsyncSession, *, before: int | None,
                      limit: int) -> list[PointsMixTargetSet]:
    """Newest version first."""
    stmt = select(PointsMixTargetSet).order_by(PointsMixTargetSet.version.desc()).limit(limit)
    if before is not None:
        stmt = stmt.where(PointsMixTargetSet.version < before)
    return list((await session.execute(stmt)).scalars())


async def source_targets(session: AsyncSession,
                         versions: list[int]) -> dict[int, list[PointsMixSourceTarget]]:
    rows = (await session.execute(
        select(PointsMixSourceTarget).where(PointsMixSourceTarget.version.in_(versions))
        .order_by(PointsMixSourceTarget.version, PointsMixSourceTarget.position))).scalars()
    out: dict[int, list[PointsMixSourceTarget]] = {v: [] for v in versions}
    for row in rows:
        out[row.version].append(row)
    return out


async def add_target_set(session: AsyncSession, record: PointsMixTargetSet,
                         sources: list[dict[str, Any]]) -> PointsMixTargetSet:
    session.add(record)
    await session.flush()
    session.add_all(PointsMixSourceTarget(version=record.version, position=i, **source)
                    for i, source in enumerate(sources))
    await session.flush()
    await session.refresh(record)
    return record


# -- the mix of a period ------------------------------------------------------------------------

def mix_statement(start: datetime | None, end: datetime | None, scope: MixScope) -> Select[Any]:
    """Qualifying points by category and rule of the entries that occurred in [start, end),
    of the employees in the scope (as points_api's copy knows them now). Spending moves
    no qualifying points and is left out, and so are opening balances of history
    imports (earned before Jifen, by no rule). An index-only scan of
    ``ix_ledger_entry_occurred_mix``; the scope is a hash semi-join on the copy."""
    c = _entry.c
    stmt = (select(c.category, c.rule_id,
                   cast(func.sum(c.qualifying_amount), BigInteger).label("points"),
                   func.count().filter(c.kind == "earn").label("entries"),
                   func.count().filter(c.kind == "reverse").label("reversals"),
                   func.count().filter(c.kind == "adjust").label("adjustments"))
            .where(c.kind.not_in((literal_column("'spend'"), literal_column("'opening'"))))
            .group_by(c.category, c.rule_id))
    if start is not None:
        stmt = stmt.where(c.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(c.occurred_at < end)
    if not scope.is_company:
        stmt = stmt.where(c.employee_no.in_(_scope_members(scope)))
    return stmt


def _scope_members(scope: MixScope) -> Select[Any]:
    stmt = select(_copy.c.employee_no)
    if scope.department is not None:
        stmt = stmt.where(_copy.c.department_path.contains([scope.department]))
    if scope.family is not None:
        stmt = stmt.where(_copy.c.job_role_family == scope.family)
    if scope.front_line is not None:
        stmt = stmt.where(_copy.c.is_front_line.is_(scope.front_line))
    return stmt


async def mix_rows(session: AsyncSession, *, start: datetime | None, end: datetime | None,
                   scope: MixScope) -> list[MixRow]:
    # the scope's employee numbers are hashed: more memory than the default keeps the
    # hash in one batch at a hundred thousand employees
    await session.execute(text("SET LOCAL work_mem = '64MB'"))
    rows = await session.execute(mix_statement(start, end, scope))
    return [MixRow(category=r.category, rule_id=r.rule_id, points=int(r.points or 0),
                   entries=r.entries, reversals=r.reversals, adjustments=r.adjustments)
            for r in rows]


async def department_known(session: AsyncSession, code: str) -> bool:
    """Whether anyone in points_api's copy is in the department or below it."""
    return bool((await session.execute(select(exists().where(
        _copy.c.department_path.contains([code]))))).scalar())


async def rule_names(session: AsyncSession, rule_ids: list[str]) -> dict[str, RuleInfo]:
    """Each rule's name and category in the newest rule set that has it, published
    versions before drafts."""
    if not rule_ids:
        return {}
    rule = func.jsonb_array_elements(RuleSetRecord.rules).table_valued("value").alias("rule")
    rule_id = rule.c.value.op("->>")("id")
    stmt = (select(rule_id.label("id"), rule.c.value.op("->>")("name").label("name"),
                   rule.c.value.op("->>")("category").label("category"))
            .select_from(RuleSetRecord).join(rule, literal_column("true"))
            .where(rule_id.in_(rule_ids))
            .order_by(rule_id, (RuleSetRecord.status == RuleSetStatus.PUBLISHED).desc(),
                      RuleSetRecord.version.desc())
            .distinct(rule_id))
    return {r.id: RuleInfo(name=r.name, category=r.category)
            for r in await session.execute(stmt)}
