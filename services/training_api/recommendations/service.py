"""Personal recommendations (推荐课程): who may see them, the live facts of one
employee, the precomputed colleague signals, the ranker, and what was shown."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.facts import repository as facts_repo
from services.training_api.recommendations import repository as repo
from services.training_api.recommendations import schemas
from services.training_api.recommendations.errors import EmployeeNotVisible, NotRecommendable
from services.training_api.recommendations.model import INTERRUPTED
from services.training_api.recommendations.ranker import (
    Learner,
    RoleSignals,
    Scored,
    Weights,
    rank,
)
from services.training_api.reports.repository import skill_names
from services.training_api.skill_records import repository as skill_repo
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
    who = await repo.who(session, employee_no)
    if who is not None:
        if principal.sub == employee_no or principal.has("hr_admin"):
            return who
        if principal.has("manager") and principal.departments:
            paths = await facts_repo.department_paths(session, principal.departments)
            if any(who.department_path.startswith(p) for p in paths):
                return who
    raise EmployeeNotVisible(f"No employee {employee_no!r} visible to you")


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
    ready = latest if latest is not None and latest.status == "ready" else \
        await repo.last_run(session, ready=True)
    state, error = (latest.status, latest.error) if latest else ("never", None)
    if state == "running" and not await repo.build_running(session):
        state, error = "failed", INTERRUPTED
    progress = {"running": latest.progress if latest else None, "ready": 1.0}.get(state)
    return schemas.ModelStatus(
        status=state, started_at=latest.started_at if latest else None, progress=progress,
        phase=latest.phase if latest and state == "running" else None, error=error,
        built_at=ready.finished_at if ready else None,
        employees=ready.employees if ready else None,
        completions=ready.completions if ready else None, refresh_seconds=refresh_seconds)


class RecommendationService:
    demand: DemandSource = NoDemand()

    async def for_employee(self, session: AsyncSession, employee_no: str, *,
                           principal: Principal, limit: int,
                           today: date) -> schemas.Recommendations:
        """The ranked list; what the employee themself is shown is remembered for the
        uptake report (others looking do not count as shown)."""
        who = await visible(session, employee_no, principal)
        settings = await current_settings(session)
        learner = await self._learner(session, who, today)
        role = await self._role(session, who, learner)
        courses = await repo.catalogue(session)
        names = await skill_names(session, {s for c in courses for s in c.teaches})
        demand = await self.demand.for_employee(session, employee_no)
        weights = Weights(**settings.weights.model_dump(), diversity=settings.diversity)
        ranked = rank(courses, learner, role, weights, skill_names=names, limit=limit,
                      demand=demand)
        now = datetime.now(UTC)
        if principal.sub == employee_no:
            await repo.mark_shown(session, employee_no,
                                  [(s.course.code, [r.kind for r in s.reasons]) for s in ranked],
                                  now)
        run = await repo.last_run(session, ready=True)
        return schemas.Recommendations(
            employee_no=employee_no, job_role_code=who.job_role_code, generated_at=now,
            model_built_at=run.finished_at if run else None,
            items=[_out(i, s) for i, s in enumerate(ranked, 1)])

    async def _learner(self, session: AsyncSession, who: repo.Who, today: date) -> Learner:
        return Learner(
            employee_no=who.employee_no, job_role=who.job_role_code, family=who.family,
            course_formats=frozenset(who.course_formats),
            required=await repo.required(session, who.job_role_id),
            levels=await skill_repo.current_levels(session, who.employee_no),
            completed=frozenset(await repo.completed(session, who.employee_no)),
            record_skills=await repo.record_skills(session, who.employee_no),
            dismissed=frozenset(await repo.dismissed(session, who.employee_no)),
            plans=await repo.plan_courses(session, who, today=today), today=today)

    async def _role(self, session: AsyncSession, who: repo.Who, learner: Learner) -> RoleSignals:
        row = await repo.role_signal(session, who.job_role_code)
        similar = await repo.neighbours_of(session, sorted(learner.completed))
        if row is None:
            return RoleSignals(neighbours=similar)
        return RoleSignals(achievers=row.achievers, achiever_share=row.achiever_share,
                           popularity=row.popularity, neighbours=similar)

    async def dismiss(self, session: AsyncSession, employee_no: str, course_code: str, *,
                      principal: Principal, dismissed: bool) -> schemas.Dismissal:
        """不感兴趣: only the employee themself; remembered until they take it back."""
        if principal.sub != employee_no:
            raise EmployeeNotVisible(f"No employee {employee_no!r} visible to you")
        await visible(session, employee_no, principal)
        if not any(c.code == course_code for c in await repo.catalogue(session)):
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
        reasons=[schemas.Reason(kind=r.kind, text=r.text) for r in s.reasons])


recommendations = RecommendationService()
