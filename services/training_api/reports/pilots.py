"""Pilot against the rest (试点对比): participation, plan completion, skill attainment
and points per head of the employees of pilot departments (with sub-departments)
against everyone else in the scope."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.clients.points_analytics import PointsAnalyticsClient, ScopePoints
from services.training_api.plans import repository as plans_repo
from services.training_api.plans.service import plans
from services.training_api.reports import repository as repo
from services.training_api.reports import schemas
from services.training_api.reports.period import Period
from services.training_api.reports.scope import GroupBy, ReportScope, population
from services.training_api.reports.service import period_out, rate, scope_out


class PilotComparisonService:
    async def compare(self, session: AsyncSession, *, scope: ReportScope, period: Period,
                      points: PointsAnalyticsClient) -> schemas.PilotComparison:
        grouped = population(scope, group_by=GroupBy.pilot, hired_by=period.last_day)
        part = {c.key: c for c in await repo.participation(session, grouped,
                                                           start=period.start, end=period.end)}
        att = {c.key: c for c in (await repo.attainment(session, grouped,
                                                        as_of=period.end)).groups}
        plan = {p.key: p for p in await plans.progress_by_group(
            session, scope=scope, group_by=GroupBy.pilot, period=period)}
        keys = period.points_periods()
        figures = {}
        for group in ("pilot", "rest"):
            answer = None
            if keys is not None:
                answer = await points.scope_points(
                    keys, fraction=0, department=scope.department_code, family=scope.family,
                    is_front_line=scope.front_line, is_pilot=group == "pilot",
                    hired_by=period.last_day)
            figures[group] = _figures(group, part.get(group), att.get(group), plan.get(group),
                                      answer)
        return schemas.PilotComparison(
            period=period_out(period), scope=scope_out(scope),
            pilot_departments=sorted(p.strip("/").split("/")[-1] for p in scope.pilot_paths),
            pilot=figures["pilot"], rest=figures["rest"])


def _figures(group: str, part: repo.Counts | None, att: repo.Counts | None,
             plan: plans_repo.Progress | None,
             points: ScopePoints | None) -> schemas.GroupFigures:
    part = part or repo.Counts(group, 0, 0, 0, 0)
    att = att or repo.Counts(group, 0, 0, 0, 0)
    plan = plan or plans_repo.Progress(group, 0, 0, 0)
    per_head = None  # over the row's own head count, like every other figure of the row
    if points is not None and part.total:
        per_head = round(points.total_points / part.total, 1)
    return schemas.GroupFigures(
        group=group, employees=part.total, participation_rate=rate(part.hits, part.total),
        front_line_participation_rate=rate(part.front_line_hits, part.front_line_total),
        plan_completion_rate=rate(plan.completed, plan.assigned),
        plan_assignments=plan.assigned, attainment_rate=rate(att.hits, att.total),
        points_employees=points.employees if points else None,
        total_points=points.total_points if points else None, points_per_head=per_head)


pilot_comparison = PilotComparisonService()
