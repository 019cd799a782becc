"""The demo plant's history as the offline evaluation reads it, straight from the
generator (no database): people, roles with their levels, the catalogue with its
progressions, dated completions, the levels proven by exams and practicals, and
the training plans with the day each was set up."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from jifen import demo_plant as dp
from services.training_api.recommendations.evaluation import (
    History,
    Person,
    PlanAssignment,
    RoleModel,
)
from services.training_api.recommendations.ranker import CourseInfo


def catalogue() -> list[CourseInfo]:
    core = [CourseInfo(c.code, c.title, c.format,
                       {c.skill: dp.ROLE_LEVEL} if c.skill else {}) for c in dp.COURSES]
    steps = [CourseInfo(c.code, c.title, c.format, {c.skill: c.level}, (c.prerequisite,))
             for c in dp.PATH_COURSES]
    electives = [CourseInfo(c.code, c.title, c.format, {c.skill: c.level} if c.skill else {})
                 for c in dp.ELECTIVES]
    return core + steps + electives


def history(seed: int, today: date, count: int = 1500) -> History:
    timeline = dp.Timeline(today=today, tz=UTC)
    plant = dp.plant(seed, timeline, count=count)
    roles = {code: RoleModel({s: dp.ROLE_LEVEL for s in required})
             for code, (_, _, required, _) in dp.ROLES.items()}
    people = [Person(e.no, e.role, dp.ROLES[e.role][1], e.left_on) for e in plant.employees]
    completions: list[tuple[str, str, date]] = []
    proofs: list[tuple[str, str, int, date]] = []
    for path, body in plant.facts:
        no = body["employee_no"]
        if path.endswith("course-completions"):
            completions.append((no, body["course_code"], _day(body["completed_at"])))
        elif path.endswith("exam-attempts") and body["score"] >= 60:
            skill = next(c.skill for c in dp.COURSES
                         if c.skill and c.code + "-X" == body["exam_code"])
            proofs.append((no, skill, dp.ROLE_LEVEL, _day(body["attempted_at"])))
        elif path.endswith("practical-assessments") and body["passed"]:
            proofs.append((no, body["skill_code"], body["level"], _day(body["assessed_at"])))
    plans = [PlanAssignment(e.no, course, p.name, today - timedelta(days=p.starts_days_ago),
                            today + timedelta(days=p.due_in_days))
             for p in dp.PLANS for e in plant.employees if p.applies_to(e) for course in p.courses]
    return History(people=people, roles=roles, courses=catalogue(), skill_names=dp.SKILLS,
                   completions=completions, proofs=proofs, plans=plans)


def _day(moment: str) -> date:
    return date.fromisoformat(moment[:10])
