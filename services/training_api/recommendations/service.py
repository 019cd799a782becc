"""Personal recommendations (推荐课程): who may see them, the live facts of one
employee, the precomputed colleague signals, the ranker, and what was shown."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.facts import repository as facts_repo
from services.training_api.recommendations import repository as repo
from services.training_api.recommendations import schemas
from services.training_api.recommendations.errors import EmployeeNotVisible, NotRecommendable
from services.training_api.recommendations.memory import memory
from services.training_api.recommendations.model import INTERRUPTED
from services.training_api.recommendations.models import ModelRunStatus
from services.training_api.recommendations.ranker import (
    Learner,
    Scored,
    Weights,
    rank,
)
from shared.auth import Principal


class DemandSource(Protocol):
    """Hook for the demand forecast: course -> (0-1, reason such as "新设备 X 将于 4月1日
    上线（需要此技能）") for one employee. Nothing feeds it yet; its weight is 0."""

    async def for_employee(self, session: AsyncSession, employee_no: str
                           ) -> Mapping[str, tuple[float, str]]: ...


class NoDemand:
    async def for_employee(self, session: AsyncSession, employee_no: str
                           ) -> Mapping[str, tuple[float, str]]:
        return {}


async def visible(session: AsyncSession, employee_no: str, principal: Principal) -> repo.Who:
    """The employee themself, managers of their department (with sub-departments)
    and HR; everyone else gets the same 404 as for an unknown employee."""
    return await _allowed(session, await repo.who(session, employee_no), employee_no, principal)


async def _allowed(session: AsyncSession, who: repo.Who | None, employee_no: str,
                   principal: Principal) -> repo.Who:
    if who is not None:
        if principal.sub == employee_no or principal.has("hr_admin"):
            return who
        if principal.has("manager") and principal.departments:
            paths = await facts_repo.department_paths(session, principal.departments)
            if any(who.department_path.startswith(p) for p in paths):
                return who
    raise EmployeeNotVisible(f"No employee {employee_no!r} visible to you")


def _settings(values: dict[str, Any] | None) -> schemas.RecommendationSettingsUpdate:
    return schemas.RecommendationSettingsUpdate(**(values or {}))


async def current_settings(session: AsyncSession) -> schemas.RecommendationSettings:
    row = await repo.settings_row(session)
    if row is None:
        return schemas.RecommendationSettings(updated_by=None, updated_at=None)
    return schemas.RecommendationSettings(**row.values, updated_by=row.updated_by,
                                          updated_at=row.updated_at)


async def model_status(session: AsyncSession, refresh_seconds: float) -> schemas.ModelStatus:
    """The latest build as it is: a ``running`` row whose build no longer holds the lock
    (its process stopped) reads failed."""
    latest = await repo.last_run(session, ready=False)
    interrupted = False
    if latest is not None and latest.status == ModelRunStatus.RUNNING \
            and not await repo.build_running(session):
        # a build that ends commits its outcome before it lets go of the lock, so a
        # build that finished between the two reads shows its outcome when read again
        latest = await repo.last_run(session, ready=False)
        interrupted = latest is not None and latest.status == ModelRunStatus.RUNNING \
            and not await repo.build_running(session)
    ready = latest if latest is not None and latest.status == ModelRunStatus.READY else \
        await repo.last_run(session, ready=True)
    state: str
    state, error = (latest.status, latest.error) if latest else ("never", None)
    if interrupted:
        state, error = ModelRunStatus.FAILED, INTERRUPTED
    progress = {ModelRunStatus.RUNNING.value: latest.progress if latest else None,
                ModelRunStatus.READY.value: 1.0}.get(state)
    return schemas.ModelStatus(
        status=state, started_at=latest.started_at if latest else None, progress=progress,
        phase=latest.phase if latest and state == ModelRunStatus.RUNNING else None, error=error,
        built_at=ready.finished_at if ready else None,
        employees=ready.employees if ready else None,
        completions=ready.completions if ready else None, refresh_seconds=refresh_seconds)


PLAN_ITEMS, RECENT_RECORDS = 20, 5


class RecommendationService:
    demand: DemandSource = NoDemand()

    async def for_employee(self, session: AsyncSession, employee_no: str, *,
                           principal: Principal, limit: int,
                           today: date) -> schemas.Recommendations:
        """The ranked list; what the employee themself is shown is remembered for the
        uptake report (others looking do not count as shown)."""
        ctx = await repo.context(session, employee_no)
        who = await _allowed(session, ctx.who if ctx else None, employee_no, principal)
        assert ctx is not None
        settings = _settings(ctx.settings)
        learner = await self._learner(session, who, today)
        catalogue = await memory.catalogue(session, ctx.catalogue_version)
        role = await memory.role(session, ctx.run_id, who.job_role_code)
        demand = await self.demand.for_employee(session, employee_no)
        weights = Weights(**settings.weights.model_dump(), diversity=settings.diversity)
        ranked = rank(catalogue.courses, learner, role, weights,
                      skill_names=catalogue.skill_names, limit=limit, demand=demand,
                      by_code=catalogue.by_code)
        now = datetime.now(UTC)
        if principal.sub == employee_no:
            await repo.mark_shown(session, employee_no,
                                  [(s.course.code, [r.kind for r in s.reasons]) for s in ranked],
                                  now)
        return schemas.Recommendations(
            employee_no=employee_no, job_role_code=who.job_role_code, generated_at=now,
            model_built_at=ctx.built_at, items=[_out(i, s) for i, s in enumerate(ranked, 1)])

    async def home(self, session: AsyncSession, employee_no: str, *, principal: Principal,
                   limit: int, today: date, tz: str) -> schemas.Home:
        """What the app's home screen shows from training's side: the top
        recommendations (shown, when the employee reads them), plan courses due, the
        latest records, and the calls for the points and the mall."""
        recs = await self.for_employee(session, employee_no, principal=principal,
                                       limit=limit, today=today)
        who = await repo.who(session, employee_no)
        assert who is not None  # for_employee answered 404 otherwise
        items = await repo.plan_items(session, who, today=today, tz=tz, limit=PLAN_ITEMS)
        records = await repo.recent_records(session, employee_no, limit=RECENT_RECORDS)
        return schemas.Home(
            employee_no=employee_no, name=who.name, department_code=who.department_code,
            job_role_code=who.job_role_code, generated_at=recs.generated_at,
            model_built_at=recs.model_built_at, recommendations=recs.items,
            plan_items=[schemas.PlanItem(plan_name=plan, course_code=code, course_title=title,
                                         due_on=due, overdue=due < today)
                        for plan, code, title, due in items],
            recent_records=[schemas.RecentRecord(id=str(i), fact_type=kind, occurred_at=at,
                                                 summary=summary)
                            for i, kind, at, summary in records],
            links=schemas.HomeLinks(
                points=f"/points/v1/accounts/{employee_no}",
                points_entries=f"/points/v1/accounts/{employee_no}/entries",
                mall="/rewards/v1/items",
                recommendations=f"/training/v1/employees/{employee_no}/recommendations",
                skills=f"/training/v1/employees/{employee_no}/skills"))

    async def _learner(self, session: AsyncSession, who: repo.Who, today: date) -> Learner:
        facts = await repo.learner_facts(session, who, today=today)
        return Learner(
            employee_no=who.employee_no, job_role=who.job_role_code, family=who.family,
            course_formats=frozenset(who.course_formats), required=facts.required,
            levels=facts.levels, completed=frozenset(facts.completed),
            record_skills=facts.record_skills, dismissed=frozenset(facts.dismissed),
            plans=facts.plans, today=today)

    async def dismiss(self, session: AsyncSession, employee_no: str, course_code: str, *,
                      principal: Principal, dismissed: bool) -> schemas.Dismissal:
        """不感兴趣: only the employee themself; remembered until they take it back."""
        if principal.sub != employee_no:
            raise EmployeeNotVisible(f"No employee {employee_no!r} visible to you")
        await visible(session, employee_no, principal)
        if not await repo.course_current(session, course_code):
            raise NotRecommendable(f"No current course {course_code!r}")
        if dismissed:
            await repo.dismiss(session, employee_no, course_code)
        else:
            await repo.undismiss(session, employee_no, course_code)
        return schemas.Dismissal(employee_no=employee_no, course_code=course_code,
                                 dismissed=dismissed)


def _out(rank_no: int, s: Scored) -> schemas.Recommendation:
    return schemas.Recommendation(
        rank=rank_no, course_code=s.course.code, title=s.course.title, format=s.course.format,
        score=round(s.score, 4), factors={k: round(v, 4) for k, v in s.factors.items()},
        reasons=[schemas.RecommendationReason(kind=r.kind, text=r.text) for r in s.reasons])


recommendations = RecommendationService()
