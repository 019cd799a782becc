"""The forecast of a change: who needs which skill by the go-live, the courses and the
seats and sessions a week they take, the readiness curve the plant's own history
projects, a warning below the target share, and the proposed boost."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.changes import repository as repo
from services.training_api.changes import schemas
from services.training_api.changes.compute import readiness_projection
from services.training_api.changes.service import boost_rule, changes, weeks_between
from services.training_api.workers import in_worker

SELF_PACED = ("online",)  # formats without classes: seats, no sessions
DEFAULT_FACTOR = "1.5"


async def learning_history(session: AsyncSession, skills: list[tuple[str, int]], *,
                           now: datetime) -> dict[str, list[tuple[str, float, bool]]]:
    """Per required skill, everyone who took a course teaching it (first completion)
    and had not proven it before: (role, days from then to the proof or to now,
    proven)."""
    return {code: [(role, ((reached or now) - started).total_seconds() / 86400,
                    reached is not None)
                   for _, role, started, reached in await repo.learners(session, code, level)]
            for code, level in skills}


async def forecast(session: AsyncSession, code: str, *, today: date, tz: tzinfo,
                   class_size: int) -> schemas.Forecast:
    change = await changes.get(session, code)
    model = await repo.get(session, code)
    assert model is not None
    people = await repo.affected(session, model)
    nos = [p.employee_no for p in people]
    required = [(s.skill_code, s.level) for s in change.required_skills]
    held = await repo.levels(session, nos, [c for c, _ in required])
    now = datetime.now(UTC)
    pairs = await learning_history(session, required, now=now)
    names = await repo.skill_names(session, [c for c, _ in required])
    weeks = weeks_between(today, change.go_live_on)
    skills_out, courses_out, boost_courses = [], [], []
    missing: dict[str, list[str]] = {code: [] for code, _ in required}
    for person in people:
        for skill, level in required:
            if held.get((person.employee_no, skill), 0) < level:
                missing[skill].append(person.employee_no)
    started_of = {skill: await repo.started(session, skill, nos_) for skill, nos_ in
                  missing.items() if nos_}
    for skill, level in required:
        below = missing[skill]
        begun = started_of.get(skill, {})
        teaching = await repo.teaching(session, skill, level)
        seats = sum(1 for no in below if no not in begun)
        if teaching and below:
            code_, title, fmt, teaches = teaching[0]
            per_week = math.ceil(seats / max(1, weeks)) if seats else 0
            courses_out.append(schemas.CourseNeed(
                course_code=code_, title=title, format=fmt, teaches_level=teaches,
                skill_code=skill, seats=seats, seats_per_week=per_week,
                sessions_per_week=None if fmt in SELF_PACED
                else math.ceil(per_week / class_size)))
            boost_courses.append(code_)
        skills_out.append(schemas.SkillNeed(
            skill_code=skill, skill_name=names.get(skill, skill), level=level,
            employees_below=len(below), started=sum(1 for no in below if no in begun),
            courses=[t[0] for t in teaching], history={}))
    roles = {p.employee_no: p.job_role_code for p in people}
    learners = [[(roles[no], skill, (now - started_of[skill][no]).total_seconds() / 86400
                  if no in started_of.get(skill, {}) else None)
                 for skill, _ in required if no in missing[skill]]
                for no in dict.fromkeys(no for below in missing.values() for no in below)]
    ready = len(people) - len(learners)
    history, points = await in_worker("forecast", readiness_projection, pairs, learners,
                                      ready=ready, total=len(people), weeks=weeks)
    for need in skills_out:
        need.history = history[need.skill_code]
    projected = points[-1]
    return schemas.Forecast(
        change=change, as_of=today, weeks_to_go_live=weeks, class_size=class_size,
        affected=len(people), ready_now=ready, need_training=len(learners), skills=skills_out,
        courses=courses_out,
        readiness=[schemas.ReadinessPoint(week=w, on=min(today + timedelta(days=7 * w),
                                                         max(today, change.go_live_on)),
                                          ready_share=share) for w, share in enumerate(points)],
        projected_ready_share=projected, target_share=change.target_share,
        warning=_warning(projected, change.target_share, len(people), change.go_live_on),
        incentive=boost_rule(change, list(dict.fromkeys(boost_courses)), factor=DEFAULT_FACTOR,
                             tz=tz, today=today) if boost_courses else None)


def _warning(projected: float, target: float, affected: int,
             go_live: date) -> schemas.Warning | None:
    if affected == 0 or projected >= target:
        return None
    gap = round(target - projected, 4)
    people = math.ceil(target * affected - projected * affected - 1e-9)
    return schemas.Warning(
        message=f"预计上线日（{go_live.isoformat()}）就绪 {projected:.0%}，低于目标 "
                f"{target:.0%}，差 {gap * 100:.1f} 个百分点（约 {people} 人）",
        gap_share=gap, gap_employees=people)


async def needing_page(session: AsyncSession, code: str, *, after: str | None,
                       limit: int) -> tuple[list[schemas.NeedingEmployee], str | None]:
    """The affected employees below a required level, by number."""
    change = await changes.get(session, code)
    model = await repo.get(session, code)
    assert model is not None
    people = [p for p in await repo.affected(session, model)
              if after is None or p.employee_no > after]
    required = [(s.skill_code, s.level) for s in change.required_skills]
    out: list[schemas.NeedingEmployee] = []
    for start in range(0, len(people), 2000):
        chunk = people[start:start + 2000]
        held = await repo.levels(session, [p.employee_no for p in chunk],
                                 [c for c, _ in required])
        for p in chunk:
            missing = [{"skill_code": skill, "level": level,
                        "current_level": held.get((p.employee_no, skill), 0)}
                       for skill, level in required
                       if held.get((p.employee_no, skill), 0) < level]
            if missing:
                out.append(schemas.NeedingEmployee(
                    employee_no=p.employee_no, name=p.name, department_code=p.department_code,
                    job_role_code=p.job_role_code, missing=missing))
            if len(out) > limit:
                return out[:limit], out[limit - 1].employee_no
    return out, None
