"""A plant's own history as the offline evaluation reads it, from the training
database: employees (with the day leavers left), roles with their required levels
and the formats they attend, the current catalogue, dated standing completions and
proofs of levels, and the plans each employee is assigned with the day the plan
was set up. Dates are days on the company calendar."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.recommendations import repository as repo
from services.training_api.recommendations.evaluation import (
    History,
    Person,
    PlanAssignment,
    RoleModel,
)

PEOPLE = text("""
SELECT e.employee_no, r.code, r.family,
       CASE WHEN e.status = 'active' THEN NULL
            ELSE coalesce(e.left_on, timezone(:tz, e.updated_at)::date) END
FROM employee e JOIN job_role r ON r.id = e.job_role_id
""")
ROLES = text("""
SELECT r.code, r.course_formats, s.code, jrs.level
FROM job_role r LEFT JOIN job_role_skill jrs ON jrs.job_role_id = r.id
LEFT JOIN skill s ON s.id = jrs.skill_id
""")
COMPLETIONS = text("""
SELECT f.employee_no, cc.course_code, timezone(:tz, f.occurred_at)::date
FROM training_fact f JOIN course_completion cc ON cc.id = f.id
WHERE f.voided_at IS NULL
""")
PROOFS = text("""
SELECT employee_no, skill_code, level, timezone(:tz, since)::date FROM employee_skill
""")
# every (employee, plan course) a plan assigns, as repository.PLAN_APPLIES reads it
PLANS = text("""
SELECT e.employee_no, pc.course_code, p.name,
       coalesce(p.starts_on, timezone(:tz, p.created_at)::date), p.due_on
FROM training_plan p JOIN training_plan_course pc ON pc.plan_id = p.id
LEFT JOIN department pd ON pd.id = p.department_id
JOIN employee e ON (p.job_role_id IS NULL OR p.job_role_id = e.job_role_id)
JOIN department d ON d.id = e.department_id
  AND (p.department_id IS NULL OR starts_with(d.path, pd.path))
WHERE NOT p.by_list OR EXISTS (SELECT 1 FROM training_plan_member m
                               WHERE m.plan_id = p.id AND m.employee_no = e.employee_no)
""")


async def history(session: AsyncSession, *, tz: str) -> History:
    args = {"tz": tz}
    people = [Person(no, role, family, left) for no, role, family, left in
              (await session.execute(PEOPLE, args)).all()]
    roles: dict[str, RoleModel] = {}
    required: dict[str, dict[str, int]] = {}
    for code, formats, skill, level in (await session.execute(ROLES)).all():
        required.setdefault(code, {})
        if skill is not None:
            required[code][skill] = int(level)
        roles[code] = RoleModel(required[code], frozenset(formats or ()))
    completions: list[tuple[str, str, date]] = [
        tuple(r) for r in (await session.execute(COMPLETIONS, args)).all()]
    proofs: list[tuple[str, str, int, date]] = [
        (no, skill, int(level), day)
        for no, skill, level, day in (await session.execute(PROOFS, args)).all()]
    plans = [PlanAssignment(no, course, name, set_up, due) for no, course, name, set_up, due
             in (await session.execute(PLANS, args)).all()]
    return History(people=people, roles=roles, courses=await repo.catalogue(session),
                   skill_names=await repo.all_skill_names(session), completions=completions,
                   proofs=proofs, plans=plans)
