"""Training plans (培训计划): HR assigns required courses to a job role, a department
with its sub-departments, or a list of employees, with a due date; completion and
who is behind are computed from the standing course completions."""

from __future__ import annotations

import builtins
from datetime import date, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.courses.errors import UnknownCourse
from services.training_api.org import repository as org_repo
from services.training_api.org.errors import UnknownDepartment, UnknownJobRole
from services.training_api.plans import repository as repo
from services.training_api.plans import schemas
from services.training_api.plans.errors import PlanNotFound, StartsAfterDue, UnknownEmployees
from services.training_api.plans.models import TrainingPlan
from services.training_api.reports import repository as reports_repo
from services.training_api.reports.period import Period
from services.training_api.reports.scope import GroupBy, ReportScope, population
from services.training_api.reports.service import period_out, rate, scope_out
from shared.errors import FieldError


def _out(view: repo.PlanView) -> schemas.TrainingPlan:
    plan = view.plan
    return schemas.TrainingPlan(
        code=plan.code, name=plan.name,
        courses=[schemas.PlanCourse(course_code=c, course_title=t) for c, t in view.courses],
        job_role_code=view.job_role_code, department_code=view.department_code,
        listed_employees=view.listed, starts_on=plan.starts_on, due_on=plan.due_on,
        created_by=plan.created_by, updated_by=plan.updated_by, created_at=plan.created_at,
        updated_at=plan.updated_at)


class PlanService:
    async def upsert(self, session: AsyncSession, code: str, *,
                     data: schemas.TrainingPlanUpsert,
                     actor: str) -> tuple[schemas.TrainingPlan, bool]:
        """Create or replace a plan; every course, role, department and listed employee
        must exist (409 naming the missing ones); a plan cannot start after it is due."""
        if data.starts_on is not None and data.starts_on > data.due_on:
            raise StartsAfterDue(f"starts_on {data.starts_on} is after due_on {data.due_on}",
                                 errors=[FieldError(pointer="#/starts_on",
                                                    detail="must not be after due_on")])
        titles = await repo.existing_courses(session, data.course_codes)
        missing = [c for c in data.course_codes if c not in titles]
        if missing:
            raise UnknownCourse(f"Unknown course code(s): {', '.join(missing)}")
        role_id = dept_id = None
        if data.job_role_code is not None:
            role = await org_repo.get_job_role(session, data.job_role_code)
            if role is None:
                raise UnknownJobRole(f"Job role {data.job_role_code!r} does not exist")
            role_id = role.id
        if data.department_code is not None:
            dept = await org_repo.get_department(session, data.department_code)
            if dept is None:
                raise UnknownDepartment(f"Department {data.department_code!r} does not exist")
            dept_id = dept.id
        if data.employee_nos is not None:
            found = await repo.existing_employees(session, data.employee_nos)
            unknown = [no for no in data.employee_nos if no not in found]
            if unknown:
                raise UnknownEmployees(f"Unknown employee(s): {', '.join(unknown[:20])}"
                                       + (" ..." if len(unknown) > 20 else ""))
        plan = await repo.get_plan(session, code, for_update=True)
        created = plan is None
        values = {"name": data.name, "job_role_id": role_id, "department_id": dept_id,
                  "by_list": data.employee_nos is not None, "starts_on": data.starts_on,
                  "due_on": data.due_on, "updated_by": actor}
        if plan is None:
            plan = TrainingPlan(code=code, created_by=actor, **values)
            session.add(plan)
        else:
            for name, value in values.items():
                setattr(plan, name, value)
        await session.flush()
        await repo.replace_courses(session, plan.id, data.course_codes)
        await repo.replace_members(session, plan.id, data.employee_nos or [])
        await session.refresh(plan)
        return _out((await repo.views(session, [plan]))[0]), created

    async def get(self, session: AsyncSession, code: str) -> schemas.TrainingPlan:
        return _out((await repo.views(session, [await self._find(session, code)]))[0])

    async def list(self, session: AsyncSession, *, after: str | None, limit: int,
                   due_from: date | None, due_to: date | None
                   ) -> tuple[list[schemas.TrainingPlan], str | None]:
        rows = await repo.list_plans(session, after=after, limit=limit + 1, due_from=due_from,
                                     due_to=due_to)
        items = [_out(v) for v in await repo.views(session, rows[:limit])]
        return items, (items[-1].code if len(rows) > limit else None)

    async def _find(self, session: AsyncSession, code: str) -> TrainingPlan:
        plan = await repo.get_plan(session, code)
        if plan is None:
            raise PlanNotFound(f"No training plan {code!r}")
        return plan

    async def report(self, session: AsyncSession, *, scope: ReportScope, period: Period,
                     today: date) -> schemas.PlansReport:
        """Plans due in the period: per plan and in total, the employees they apply to
        (within the scope), those who completed every course, on time or not."""
        pop = population(scope)
        rows = await repo.list_plans(session, after=None, limit=10_000,
                                     due_from=period.first_day, due_to=period.last_day)
        progress = await repo.plans_progress(session, pop,
                                             await repo.targets(session, rows, period.tz))
        out = [_progress_out(view, _sum(view.plan.id, progress[view.plan.id].groups),
                             progress[view.plan.id].courses, today)
               for view in await repo.views(session, rows)]
        totals = repo.Progress("all", sum(p.assigned for p in out),
                               sum(p.completed for p in out),
                               sum(p.completed_on_time for p in out))
        return schemas.PlansReport(period=period_out(period), scope=scope_out(scope),
                                   total=totals_out(totals), plans=out)

    async def progress_by_group(self, session: AsyncSession, *, scope: ReportScope,
                                group_by: GroupBy, period: Period) -> builtins.list[repo.Progress]:
        """Assignments of the plans due in the period, per group of the population."""
        pop = population(scope, group_by=group_by)
        rows = await repo.list_plans(session, after=None, limit=10_000,
                                     due_from=period.first_day, due_to=period.last_day)
        found: dict[str, list[repo.Progress]] = {}
        progress = await repo.plans_progress(session, pop,
                                             await repo.targets(session, rows, period.tz))
        for plan in progress.values():
            for group in plan.groups:
                found.setdefault(str(group.key), []).append(group)
        return [_sum(key, groups) for key, groups in sorted(found.items())]

    async def behind(self, session: AsyncSession, code: str, *, scope: ReportScope,
                     tz: tzinfo, today: date, after: str | None,
                     limit: int) -> tuple[builtins.list[schemas.BehindEmployee], str | None]:
        """Employees the plan applies to who have not completed every course."""
        plan = await self._find(session, code)
        view = (await repo.views(session, [plan]))[0]
        (target,) = await repo.targets(session, [plan], tz)
        titles = dict(view.courses)
        rows = await repo.behind_page(session, population(scope), target, after=after,
                                      limit=limit + 1)
        page = rows[:limit]
        details = await reports_repo.employee_details(session, [no for no, _ in page])
        items = []
        for no, done in page:
            _, name, dept, dept_name, role, role_name, _, _ = details[no]
            missing = [c for c in target.course_codes if c not in done]
            items.append(schemas.BehindEmployee(
                employee_no=no, name=name, department_code=dept, department_name=dept_name,
                job_role_code=role, job_role_name=role_name, missing_courses=missing,
                missing_course_titles=[titles.get(c, c) for c in missing],
                completed_courses=len(done), total_courses=len(target.course_codes),
                past_due=plan.due_on < today))
        return items, (page[-1][0] if len(rows) > limit else None)


def _sum(key: int | str, groups: list[repo.Progress]) -> repo.Progress:
    return repo.Progress(key, sum(g.assigned for g in groups), sum(g.completed for g in groups),
                         sum(g.on_time for g in groups))


def _progress_out(view: repo.PlanView, p: repo.Progress, done: dict[str, int],
                  today: date) -> schemas.PlanProgress:
    return schemas.PlanProgress(
        code=view.plan.code, name=view.plan.name, due_on=view.plan.due_on,
        past_due=view.plan.due_on < today, assigned=p.assigned, completed=p.completed,
        completed_on_time=p.on_time, behind=p.assigned - p.completed,
        completion_rate=rate(p.completed, p.assigned), on_time_rate=rate(p.on_time, p.assigned),
        courses=[schemas.CourseProgress(course_code=c, course_title=t, completed=done.get(c, 0),
                                        rate=rate(done.get(c, 0), p.assigned))
                 for c, t in view.courses])


def totals_out(p: repo.Progress) -> schemas.PlanTotals:
    return schemas.PlanTotals(assigned=p.assigned, completed=p.completed,
                              completed_on_time=p.on_time, behind=p.assigned - p.completed,
                              completion_rate=rate(p.completed, p.assigned),
                              on_time_rate=rate(p.on_time, p.assigned))


plans = PlanService()
