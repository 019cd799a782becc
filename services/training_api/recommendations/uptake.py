"""Uptake of the recommendations (推荐采纳), for the dashboard: what employees were
shown, what they took, by group and by reason, and whether those who took one
train more than those who did not.

A recommendation counts in the period its employee was first shown it (the
employee reading their own list; a manager or HR looking does not count). It is
taken when the employee completed the course (a standing completion) between the
first time it was shown and ``taken_within_days`` after the last time; it is open
while that window has not closed and it is not taken."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CTE, Select, and_, case, distinct, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.facts.models import CourseCompletion, TrainingFact
from services.training_api.recommendations import schemas
from services.training_api.recommendations.models import RecommendationShown
from services.training_api.reports.period import Period
from services.training_api.reports.scope import GroupBy, ReportScope, group_labels, population
from services.training_api.reports.service import period_out, rate, scope_out

REASON_LABELS = {
    "gap": "岗位技能差距", "progression": "进阶路线", "colleagues": "同事在学",
    "plan": "培训计划", "demand": "技能需求预测", "popular": "同岗位热门",
    "no_history": "暂无培训记录",
}
COHORT_LABELS = {
    "took": "采纳过推荐", "shown_not_taken": "看过推荐未采纳", "not_shown": "未看推荐",
}


@dataclass(frozen=True)
class _Counts:
    key: str
    employees: int
    employees_shown: int
    shown: int
    taken: int
    employees_took: int
    open: int


def _completions() -> Select[str, str, datetime]:
    """Standing course completions: employee_no, course_code, occurred_at."""
    f, cc = TrainingFact.__table__, CourseCompletion.__table__
    return (select(f.c.employee_no, cc.c.course_code, f.c.occurred_at)
            .select_from(f.join(cc, cc.c.id == f.c.id)).where(f.c.voided_at.is_(None)))


def _shown(pop: CTE, period: Period, window: timedelta) -> CTE:
    """The pairs (employee, course) of the population first shown in the period, with
    whether each was taken and whether its window is still open."""
    rs = RecommendationShown
    done = _completions().subquery("done")
    completed = exists().where(
        done.c.employee_no == rs.employee_no, done.c.course_code == rs.course_code,
        done.c.occurred_at >= rs.first_shown_at, done.c.occurred_at <= rs.last_shown_at + window)
    return (select(rs.employee_no, rs.course_code, rs.first_shown_at, rs.last_shown_at,
                   rs.reasons, pop.c.group_key, completed.label("taken"),
                   (rs.last_shown_at + window > func.now()).label("window_open"))
            .join(pop, pop.c.employee_no == rs.employee_no)
            .where(rs.first_shown_at >= period.start, rs.first_shown_at < period.end)
            .cte("shown"))


async def _groups(session: AsyncSession, pop: Any, shown: Any) -> list[_Counts]:
    stmt = (select(pop.c.group_key, func.count(distinct(pop.c.employee_no)),
                   func.count(distinct(shown.c.employee_no)), func.count(shown.c.course_code),
                   func.count().filter(shown.c.taken),
                   func.count(distinct(shown.c.employee_no)).filter(shown.c.taken),
                   func.count().filter(and_(~shown.c.taken, shown.c.window_open)))
            .select_from(pop.outerjoin(shown, shown.c.employee_no == pop.c.employee_no))
            .group_by(pop.c.group_key).order_by(pop.c.group_key))
    return [_Counts(str(k), *map(int, rest)) for k, *rest in (await session.execute(stmt)).all()]


async def _reasons(session: AsyncSession, shown: Any) -> list[schemas.UptakeReason]:
    kind = func.unnest(shown.c.reasons).label("kind")
    per = select(kind, shown.c.taken).subquery()
    rows = (await session.execute(
        select(per.c.kind, func.count(), func.count().filter(per.c.taken))
        .group_by(per.c.kind).order_by(func.count().desc(), per.c.kind))).all()
    return [schemas.UptakeReason(kind=k, label=REASON_LABELS.get(k, k), shown=int(n),
                                 taken=int(t), taken_rate=rate(int(t), int(n)))
            for k, n, t in rows]


async def _cohorts(session: AsyncSession, pop: Any, shown: Any, period: Period,
                   window: timedelta) -> list[schemas.UptakeCohort]:
    """Participation in the period of those who took a recommendation shown in it,
    those who were shown some and took none, and those shown none."""
    f = TrainingFact
    records = (select(f.employee_no, func.count().label("n")).where(
        f.occurred_at >= period.start, f.occurred_at < period.end, f.voided_at.is_(None))
        .group_by(f.employee_no).subquery("records"))
    done = _completions().where(TrainingFact.__table__.c.occurred_at >= period.start,
                                TrainingFact.__table__.c.occurred_at < period.end
                                ).subquery("done_in_period")
    took = (select(done.c.employee_no, func.count().label("n"))
            .join(shown, and_(shown.c.employee_no == done.c.employee_no,
                              shown.c.course_code == done.c.course_code, shown.c.taken))
            .where(done.c.occurred_at >= shown.c.first_shown_at,
                   done.c.occurred_at <= shown.c.last_shown_at + window)
            .group_by(done.c.employee_no).subquery("took"))
    per_employee = (select(shown.c.employee_no, func.bool_or(shown.c.taken).label("any_taken"))
                    .group_by(shown.c.employee_no).subquery("per_employee"))
    cohort = case((per_employee.c.any_taken, literal("took")),
                  (per_employee.c.employee_no.is_not(None), literal("shown_not_taken")),
                  else_=literal("not_shown")).label("cohort")
    n = func.coalesce(records.c.n, 0)
    rows = (await session.execute(
        select(cohort, func.count(), func.count().filter(n > 0), func.sum(n),
               func.sum(n - func.coalesce(took.c.n, 0)))
        .select_from(pop.outerjoin(per_employee, per_employee.c.employee_no == pop.c.employee_no)
                     .outerjoin(records, records.c.employee_no == pop.c.employee_no)
                     .outerjoin(took, took.c.employee_no == pop.c.employee_no))
        .group_by(cohort))).all()
    found = {c: (int(e), int(p), int(r or 0), int(o or 0)) for c, e, p, r, o in rows}
    out = []
    for key, label in COHORT_LABELS.items():
        employees, participating, all_records, other = found.get(key, (0, 0, 0, 0))
        out.append(schemas.UptakeCohort(
            cohort=key, label=label, employees=employees, participating=participating,
            participation_rate=rate(participating, employees),
            records_per_head=round(all_records / employees, 2) if employees else None,
            other_records_per_head=round(other / employees, 2) if employees else None))
    return out


def _group_out(c: _Counts, label: str) -> schemas.UptakeGroup:
    return schemas.UptakeGroup(
        key=c.key, label=label, employees=c.employees, employees_shown=c.employees_shown,
        shown=c.shown, taken=c.taken, taken_rate=rate(c.taken, c.shown),
        employees_took=c.employees_took, open=c.open)


def _total(rows: list[_Counts]) -> _Counts:
    return _Counts("all", *(sum(getattr(r, f) for r in rows) for f in (
        "employees", "employees_shown", "shown", "taken", "employees_took", "open")))


async def uptake(session: AsyncSession, *, scope: ReportScope, period: Period,
                 group_by: GroupBy | None, taken_within_days: int) -> schemas.UptakeReport:
    window = timedelta(days=taken_within_days)
    pop: Select[Any] = population(scope, group_by=group_by, hired_by=period.last_day)
    pop_cte = pop.cte("pop")
    shown = _shown(pop_cte, period, window)
    rows = await _groups(session, pop_cte, shown)
    labels = await group_labels(session, group_by, [r.key for r in rows])
    return schemas.UptakeReport(
        period=period_out(period), scope=scope_out(scope),
        group_by=group_by.value if group_by else None, taken_within_days=taken_within_days,
        total=_group_out(_total(rows), "合计"),
        groups=[_group_out(r, labels.get(r.key, r.key)) for r in rows] if group_by else [],
        by_reason=await _reasons(session, shown),
        participation=await _cohorts(session, pop_cte, shown, period, window))
