"""Changes HR knows are coming, and what they will take: who needs which skill by the
go-live, the courses, seats and sessions a week, the readiness curve the plant's own
history projects, a warning below the target, and a proposed time-boxed boost."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.changes import repository as repo
from services.training_api.changes import schemas
from services.training_api.changes.errors import ChangeNotFound, UnknownReference
from services.training_api.changes.models import TrainingChange
from services.training_api.models import Department, JobRole, Skill
from services.training_api.org.schemas import RequiredSkill
from shared.errors import FieldError


def _out(change: TrainingChange, skills: list[tuple[str, int]]) -> schemas.Change:
    return schemas.Change(
        code=change.code, name=change.name, kind=change.kind, go_live_on=change.go_live_on,
        required_skills=[RequiredSkill(skill_code=c, level=lvl) for c, lvl in skills],
        department_codes=list(change.department_codes), job_role_codes=list(change.job_role_codes),
        target_share=float(change.target_share), description=change.description,
        updated_by=change.updated_by, created_at=change.created_at,
        updated_at=change.updated_at)


class ChangeService:
    async def upsert(self, session: AsyncSession, code: str, data: schemas.ChangeUpsert, *,
                     actor: str) -> tuple[schemas.Change, bool]:
        """Create or replace; every skill, department and role named must exist (409)."""
        skills = list(dict.fromkeys((s.skill_code, s.level) for s in data.required_skills))
        await self._check(session, data)
        change = await repo.get(session, code, for_update=True)
        created = change is None
        values = {"name": data.name, "kind": data.kind, "go_live_on": data.go_live_on,
                  "target_share": data.target_share, "description": data.description,
                  "department_codes": list(dict.fromkeys(data.department_codes)),
                  "job_role_codes": list(dict.fromkeys(data.job_role_codes)),
                  "updated_by": actor}
        if change is None:
            change = TrainingChange(code=code, **values)
            session.add(change)
        else:
            for key, value in values.items():
                setattr(change, key, value)
        await session.flush()
        await repo.replace_skills(session, change.id, skills)
        await session.refresh(change)
        return _out(change, sorted(skills)), created

    async def _check(self, session: AsyncSession, data: schemas.ChangeUpsert) -> None:
        errors = []
        codes = [s.skill_code for s in data.required_skills]
        if len(set(codes)) != len(codes):
            errors.append(FieldError(pointer="#/required_skills",
                                     detail="each skill once, with one level"))
        for field, model, values in (("required_skills", Skill, codes),
                                     ("department_codes", Department, data.department_codes),
                                     ("job_role_codes", JobRole, data.job_role_codes)):
            errors += [FieldError(pointer=f"#/{field}", detail=f"unknown code {code!r}")
                       for code in await repo.missing_codes(session, model, values)]
        if errors:
            raise UnknownReference("The change names skills, departments or roles that do not "
                                   "exist, or a skill twice", errors=errors)

    async def get(self, session: AsyncSession, code: str) -> schemas.Change:
        change = await self._change(session, code)
        return _out(change, (await repo.skills_of(session, [change.id]))[change.id])

    async def list(self, session: AsyncSession, *, after: str | None,
                   limit: int) -> tuple[list[schemas.Change], str | None]:
        rows = await repo.list_page(session, after=after, limit=limit + 1)
        page = rows[:limit]
        skills = await repo.skills_of(session, [c.id for c in page])
        items = [_out(c, skills[c.id]) for c in page]
        return items, (page[-1].code if len(rows) > limit else None)

    async def _change(self, session: AsyncSession, code: str) -> TrainingChange:
        change = await repo.get(session, code)
        if change is None:
            raise ChangeNotFound(f"No change with code {code!r}")
        return change


changes = ChangeService()


def boost_rule(change: schemas.Change, course_codes: list[str], *, factor: str,
               tz: tzinfo, today: date) -> dict[str, Any]:
    """A multiplier of the participation points of the courses that close the gap, from
    tomorrow until the go-live (the end of its day), as a rule of the rule set."""
    start = datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz)
    end = datetime.combine(max(change.go_live_on, today + timedelta(days=1))
                           + timedelta(days=1), time(0), tzinfo=tz)
    return {"id": f"boost.change.{change.code}".lower()[:64],
            "name": f"{change.name} 上线前课程加成"[:200], "event_type": "course.completed",
            "category": "participation", "filters": {"course_codes": course_codes},
            "award": {"kind": "multiplier", "factor": factor,
                      "target_categories": ["participation"]},
            "active_from": start.isoformat(), "active_until": end.astimezone(UTC).isoformat()}


def weeks_between(today: date, go_live: date) -> int:
    return max(0, math.ceil((go_live - today).days / 7))

