"""Training metrics: participation, skill attainment (and who lacks which skill),
time to competency of new hires, and effectiveness (skill attainment of the top
20% by points against the bottom 20%, asked of points_api)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.clients.points_analytics import PointsAnalyticsClient, PointsSet
from services.training_api.reports import repository as repo
from services.training_api.reports import schemas
from services.training_api.reports.period import Period
from services.training_api.reports.scope import (
    GroupBy,
    ReportScope,
    group_labels,
    population,
)


def rate(count: int, total: int) -> float | None:
    return None if total == 0 else round(count / total, 4)


def period_out(period: Period) -> schemas.PeriodOut:
    return schemas.PeriodOut(key=period.key, first_day=period.first_day,
                             last_day=period.last_day, timezone=str(period.tz))


def scope_out(scope: ReportScope) -> schemas.ScopeOut:
    return schemas.ScopeOut(department_code=scope.department_code,
                            department_name=scope.department_name, family=scope.family,
                            front_line=scope.front_line)


def rate_group(counts: repo.Counts, label: str) -> schemas.RateGroup:
    return schemas.RateGroup(
        key=counts.key, label=label, employees=counts.total, count=counts.hits,
        rate=rate(counts.hits, counts.total), front_line_employees=counts.front_line_total,
        front_line_count=counts.front_line_hits,
        front_line_rate=rate(counts.front_line_hits, counts.front_line_total))


def total_of(rows: list[repo.Counts]) -> repo.Counts:
    return repo.Counts("all", sum(r.total for r in rows), sum(r.hits for r in rows),
                       sum(r.front_line_total for r in rows),
                       sum(r.front_line_hits for r in rows))


async def rate_groups(session: AsyncSession, rows: list[repo.Counts],
                      group_by: GroupBy | None) -> tuple[schemas.RateGroup,
                                                         list[schemas.RateGroup]]:
    labels = await group_labels(session, group_by, [r.key for r in rows])
    groups = [rate_group(r, labels.get(r.key, r.key)) for r in rows] if group_by else []
    return rate_group(total_of(rows), "合计"), groups


class MetricsService:
    async def participation(self, session: AsyncSession, *, scope: ReportScope, period: Period,
                            group_by: GroupBy | None) -> schemas.ParticipationReport:
        """Share of active employees (hired by the period's last day) with at least one
        standing training record of any kind in the period."""
        pop = population(scope, group_by=group_by, hired_by=period.last_day)
        rows = await repo.participation(session, pop, start=period.start, end=period.end)
        total, groups = await rate_groups(session, rows, group_by)
        return schemas.ParticipationReport(
            period=period_out(period), scope=scope_out(scope),
            group_by=group_by.value if group_by else None, total=total, groups=groups)

    async def attainment(self, session: AsyncSession, *, scope: ReportScope, period: Period,
                         group_by: GroupBy | None) -> schemas.AttainmentReport:
        """Share of employees holding every skill their role requires, at the end of the
        period; and per skill, how many need it and how many hold it."""
        pop = population(scope, group_by=group_by, hired_by=period.last_day)
        found = await repo.attainment(session, pop, as_of=period.end)
        total, groups = await rate_groups(session, found.groups, group_by)
        names = await repo.skill_names(session, {code for code, _, _ in found.skills})
        skills = [schemas.SkillAttainment(skill_code=code, skill_name=names.get(code, code),
                                          required_of=need, holding=held, lacking=need - held,
                                          rate=rate(held, need))
                  for code, need, held in found.skills]
        return schemas.AttainmentReport(
            as_of=period.last_day, period=period_out(period), scope=scope_out(scope),
            group_by=group_by.value if group_by else None, total=total, groups=groups,
            without_model=found.without_model, skills=skills)

    async def lacking(self, session: AsyncSession, *, scope: ReportScope, period: Period,
                      skill_code: str | None, after: str | None,
                      limit: int) -> tuple[list[schemas.LackingEmployee], str | None]:
        """Employees lacking required skills at the end of the period, by employee number."""
        pop = population(scope, hired_by=period.last_day)
        rows = await repo.lacking_page(session, pop, as_of=period.end, skill_code=skill_code,
                                       after=after, limit=limit + 1)
        page = rows[:limit]
        details = await repo.employee_details(session, [no for no, _ in page])
        names = await repo.skill_names(session, {c for _, codes in page for c in codes})
        items = []
        for no, missing in page:
            _, name, dept, dept_name, role, role_name, hired_on, front_line = details[no]
            items.append(schemas.LackingEmployee(
                employee_no=no, name=name, department_code=dept, department_name=dept_name,
                job_role_code=role, job_role_name=role_name, is_front_line=front_line,
                hired_on=hired_on, missing_skills=missing,
                missing_skill_names=[names.get(c, c) for c in missing]))
        return items, (page[-1][0] if len(rows) > limit else None)

    async def time_to_competency(self, session: AsyncSession, *, scope: ReportScope,
                                 period: Period) -> schemas.TimeToCompetencyReport:
        """New hires of the period per hiring month: how many now hold all their role's
        skills and how many days it took them (median and distribution)."""
        pop = population(scope, hired_from=period.first_day, hired_by=period.last_day)
        cohorts, total = await repo.time_to_competency(session, pop, timezone=str(period.tz))
        total = total or repo.Cohort("all", 0, 0, None, [0] * (len(repo.DAY_BUCKETS) + 1))
        return schemas.TimeToCompetencyReport(
            period=period_out(period), scope=scope_out(scope), total=cohort_out(total),
            cohorts=[cohort_out(c) for c in cohorts])

    async def effectiveness(self, session: AsyncSession, *, scope: ReportScope, period: Period,
                            fraction: float,
                            points: PointsAnalyticsClient) -> schemas.EffectivenessReport:
        """Ask points_api for the top and bottom ``fraction`` of the scope by qualifying
        points in the period, then measure each set's skill attainment here."""
        period = period.whole_months()  # points are totalled per month
        keys = period.points_periods()
        assert keys is not None
        answer = await points.scope_points(
            keys, fraction=fraction, department=scope.department_code, family=scope.family,
            is_front_line=scope.front_line, hired_by=period.last_day)
        found = {c.key: c for c in (await repo.attainment(session, population(
            scope, tagged={"top": answer.top.employee_nos,
                           "bottom": answer.bottom.employee_nos}), as_of=period.end)).groups}
        top, bottom = (_set_out(found.get(key), points_set)
                       for key, points_set in (("top", answer.top), ("bottom", answer.bottom)))
        difference = relative = None
        if top.rate is not None and bottom.rate is not None:
            difference = round(top.rate - bottom.rate, 4)
            relative = round(top.rate / bottom.rate - 1, 4) if bottom.rate else None
        return schemas.EffectivenessReport(
            period=period_out(period), scope=scope_out(scope), fraction=fraction,
            employees=answer.employees, top=top, bottom=bottom, difference=difference,
            relative_difference=relative)


def _set_out(counts: repo.Counts | None, points: PointsSet) -> schemas.SetAttainment:
    counts = counts or repo.Counts("", 0, 0, 0, 0)
    return schemas.SetAttainment(
        employees=len(points.employee_nos), measured=counts.total, attained=counts.hits,
        rate=rate(counts.hits, counts.total), min_points=points.min_points,
        max_points=points.max_points)


def bucket_labels() -> list[str]:
    return [f"<={d}" for d in repo.DAY_BUCKETS] + [f">{repo.DAY_BUCKETS[-1]}"]


def cohort_out(cohort: repo.Cohort) -> schemas.CohortOut:
    return schemas.CohortOut(cohort=cohort.month, hires=cohort.hires, competent=cohort.competent,
                             not_yet=cohort.hires - cohort.competent,
                             median_days=cohort.median_days,
                             distribution=dict(zip(bucket_labels(), cohort.buckets, strict=True)))


metrics = MetricsService()
