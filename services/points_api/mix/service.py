"""The points mix: which categories and rules the points of a period came from,
against the target mix HR sets, with alerts when a category or a named source
falls outside its band.

What counts: the qualifying points the rules paid in the period (``earn``
entries) net of their reversals (``reverse`` entries, dated like the entry they
reverse), by the time the points were earned on the company calendar. HR's manual
adjustments have a category but no rule; they are corrections, not a source HR
tunes, so they are reported beside the mix (``adjustments``) and left out of its
total and shares. Rule points plus adjustments are the period's qualifying points,
the figure the leaderboards rank by."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.ledger.periods import month_key, period_bounds
from services.points_api.mix import assessment
from services.points_api.mix import repository as repo
from services.points_api.mix.defaults import default_targets
from services.points_api.mix.errors import DepartmentNotFound, InvalidPeriod, InvalidTargets
from services.points_api.mix.models import CATEGORY_COLUMNS, PointsMixTargetSet
from services.points_api.mix.repository import MixScope
from services.points_api.mix.schemas import (
    CategoryTarget,
    CategoryTargets,
    PeriodOut,
    PointsMixReport,
    ScopeOut,
    SourceTarget,
    Targets,
    TargetsRef,
    TargetsUpdate,
)
from shared.errors import FieldError

# Sources that pay points outside the rule sets: the honours' bonuses (honours/service.py).
BUILT_IN_SOURCES = {
    "honour.monthly": assessment.RuleInfo(name="月度排名奖励", category="growth"),
    "honour.yearly": assessment.RuleInfo(name="年度排名奖励", category="growth"),
}


def _problems(data: TargetsUpdate) -> list[FieldError]:
    """Everything wrong with a target mix at once, each with its pointer."""
    errors = []
    total = sum(getattr(data.categories, c).target_percent for c in CATEGORY_COLUMNS)
    if total != 100:
        errors.append(FieldError(pointer="#/categories", detail=(
            f"the category targets add up to {total}; they must add up to 100")))
    labels: set[str] = set()
    for i, source in enumerate(data.sources):
        if source.min_percent is None and source.max_percent is None:
            errors.append(FieldError(pointer=f"#/sources/{i}",
                                     detail="give min_percent, max_percent or both"))
        elif (source.min_percent is not None and source.max_percent is not None
              and source.min_percent > source.max_percent):
            errors.append(FieldError(pointer=f"#/sources/{i}/max_percent",
                                     detail="must not be below min_percent"))
        if source.label.casefold() in labels:
            errors.append(FieldError(pointer=f"#/sources/{i}/label",
                                     detail=f"{source.label!r} is named twice"))
        labels.add(source.label.casefold())
        seen: set[str] = set()
        for j, rule_id in enumerate(source.rule_ids):
            if rule_id in seen:
                errors.append(FieldError(pointer=f"#/sources/{i}/rule_ids/{j}",
                                         detail=f"{rule_id!r} is listed twice"))
            seen.add(rule_id)
    return errors


def _targets(record: PointsMixTargetSet, sources: list[Any]) -> Targets:
    categories = CategoryTargets(**{
        category: CategoryTarget(target_percent=getattr(record, target),
                                 tolerance_percent=getattr(record, tolerance))
        for category, (target, tolerance) in CATEGORY_COLUMNS.items()})
    return Targets(
        categories=categories,
        sources=[SourceTarget(label=s.label, rule_ids=list(s.rule_ids),
                              min_percent=s.min_percent, max_percent=s.max_percent)
                 for s in sources],
        version=record.version, is_default=False, note=record.note,
        updated_by=record.created_by, updated_at=record.created_at)


def _same(current: Targets, data: TargetsUpdate) -> bool:
    return (not current.is_default and current.note == data.note
            and current.categories == data.categories and current.sources == data.sources)


class PointsMixService:
    # -- targets ---------------------------------------------------------------------------

    async def targets(self, session: AsyncSession) -> Targets:
        """The targets in force: the newest version, or the defaults."""
        record = await repo.latest_target_set(session)
        if record is None:
            return default_targets()
        return _targets(record, (await repo.source_targets(session, [record.version]))[
            record.version])

    async def history(self, session: AsyncSession, *, before: int | None,
                      limit: int) -> tuple[list[Targets], int | None]:
        records = await repo.target_sets(session, before=before, limit=limit + 1)
        page = records[:limit]
        sources = await repo.source_targets(session, [r.version for r in page])
        items = [_targets(r, sources[r.version]) for r in page]
        return items, (page[-1].version if len(records) > limit else None)

    async def set_targets(self, session: AsyncSession, *, data: TargetsUpdate,
                          actor: str) -> Targets:
        """A new version of the targets (nothing new when they are unchanged)."""
        errors = _problems(data)
        if errors:
            raise InvalidTargets(f"{len(errors)} problem(s) with the target mix", errors=errors)
        current = await self.targets(session)
        if _same(current, data):
            return current
        columns: dict[str, Any] = {}
        for category, (target, tolerance) in CATEGORY_COLUMNS.items():
            wanted = getattr(data.categories, category)
            columns[target], columns[tolerance] = wanted.target_percent, wanted.tolerance_percent
        record = await repo.add_target_set(
            session, PointsMixTargetSet(**columns, note=data.note, created_by=actor),
            [s.model_dump() for s in data.sources])
        return _targets(record, data.sources)

    # -- the report ------------------------------------------------------------------------

    async def report(self, session: AsyncSession, *, period: str | None, scope: MixScope,
                     tz: tzinfo) -> PointsMixReport:
        key = period or month_key(datetime.now(UTC), tz)
        try:
            start, end = period_bounds(key, tz)
        except (ValueError, OverflowError) as exc:
            raise InvalidPeriod(f"{key!r} is not a period the calendar has", errors=[
                FieldError(pointer="#/query/period", detail=str(exc))]) from exc
        if scope.department is not None and not await repo.department_known(
                session, scope.department):
            raise DepartmentNotFound(f"No employee known to points_api is in department "
                                     f"{scope.department!r} or below it")
        targets = await self.targets(session)
        rows = await repo.mix_rows(session, start=start, end=end, scope=scope)
        rule_ids = sorted({r.rule_id for r in rows if r.rule_id is not None}
                          | {rule_id for s in targets.sources for rule_id in s.rule_ids})
        names = {**BUILT_IN_SOURCES, **await repo.rule_names(session, rule_ids)}
        return _report(key, start, end, tz, scope, rows, names, targets)


def _report(key: str, start: datetime | None, end: datetime | None, tz: tzinfo,
            scope: MixScope, rows: list[assessment.MixRow],
            names: dict[str, assessment.RuleInfo], targets: Targets) -> PointsMixReport:
    paid = [r for r in rows if r.rule_id is not None]
    total = sum(r.points for r in paid)
    categories = assessment.categories(rows, targets, total)
    sources = assessment.sources(rows, names, total)
    named = assessment.source_targets(sources, targets.sources, total)
    return PointsMixReport(
        period=PeriodOut(
            key=key, first_day=start.astimezone(tz).date() if start else None,
            last_day=(end.astimezone(tz) - timedelta(days=1)).date() if end else None,
            timezone=str(tz)),
        scope=ScopeOut(department=scope.department, family=scope.family,
                       front_line=scope.front_line),
        total_points=total, entries=sum(r.entries for r in paid), categories=categories,
        sources=sources, source_targets=named, adjustments=assessment.adjustments(rows),
        alerts=assessment.alerts(categories, named, total, names),
        targets=TargetsRef(version=targets.version, is_default=targets.is_default,
                           updated_by=targets.updated_by, updated_at=targets.updated_at))


points_mix = PointsMixService()
