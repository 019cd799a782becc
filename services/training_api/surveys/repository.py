"""Queries on surveys, responses and preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Row, Select, String, and_, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.models import Department, Employee, JobRole
from services.training_api.reports.scope import GroupBy, ReportScope, group_key
from services.training_api.surveys.models import (
    EmployeePreference,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)

Ts = TypeVarTuple("Ts")


async def get_survey(session: AsyncSession, code: str, *,
                     for_update: bool = False) -> Survey | None:
    stmt = select(Survey).where(Survey.code == code)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_surveys(session: AsyncSession, *, after: str | None, limit: int,
                       kind: str | None) -> list[Survey]:
    stmt = select(Survey).order_by(Survey.code).limit(limit)
    if after is not None:
        stmt = stmt.where(Survey.code > after)
    if kind is not None:
        stmt = stmt.where(Survey.kind == kind)
    return list((await session.execute(stmt)).scalars())


async def questions(session: AsyncSession, survey_ids: list[int]) -> dict[int,
                                                                          list[SurveyQuestion]]:
    out: dict[int, list[SurveyQuestion]] = {i: [] for i in survey_ids}
    rows = await session.execute(select(SurveyQuestion).where(
        SurveyQuestion.survey_id.in_(survey_ids)).order_by(SurveyQuestion.position))
    for q in rows.scalars():
        out[q.survey_id].append(q)
    return out


async def response_counts(session: AsyncSession, survey_ids: list[int]) -> dict[int, int]:
    rows = await session.execute(select(SurveyResponse.survey_id, func.count()).where(
        SurveyResponse.survey_id.in_(survey_ids)).group_by(SurveyResponse.survey_id))
    return {i: int(n) for i, n in rows.tuples()}


async def department_codes(session: AsyncSession, ids: set[int]) -> dict[int | None, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Department.id, Department.code).where(
        Department.id.in_(ids)))
    return dict(rows.tuples().all())


async def insert_response(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """The new response's id, or None when the employee already answered the survey."""
    stmt = (insert(SurveyResponse).values(values)
            .on_conflict_do_nothing(index_elements=["survey_id", "employee_no"])
            .returning(SurveyResponse.id))
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_answers(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await session.execute(insert(SurveyAnswer), rows)


async def employee_facts(session: AsyncSession,
                         employee_no: str) -> Row[str, int, str, str, bool] | None:
    """(status, department id, department path, role family, front-line) of an employee."""
    return (await session.execute(
        select(Employee.status, Employee.department_id, Department.path, JobRole.family,
               Employee.is_front_line)
        .join(Department, Department.id == Employee.department_id)
        .join(JobRole, JobRole.id == Employee.job_role_id)
        .where(Employee.employee_no == employee_no))).one_or_none()


async def department_path(session: AsyncSession, department_id: int | None) -> str | None:
    if department_id is None:
        return None
    return (await session.execute(select(Department.path).where(
        Department.id == department_id))).scalar_one_or_none()


async def preferences_for_update(session: AsyncSession,
                                 employee_no: str) -> EmployeePreference:
    await session.execute(insert(EmployeePreference).values(employee_no=employee_no)
                          .on_conflict_do_nothing(index_elements=["employee_no"]))
    return (await session.execute(select(EmployeePreference).where(
        EmployeePreference.employee_no == employee_no).with_for_update())).scalar_one()


async def get_preferences(session: AsyncSession, employee_no: str) -> EmployeePreference | None:
    return (await session.execute(select(EmployeePreference).where(
        EmployeePreference.employee_no == employee_no))).scalar_one_or_none()


def _in_scope(stmt: Select[*Ts], scope: ReportScope, start: datetime,
              end: datetime) -> Select[*Ts]:
    stmt = stmt.where(SurveyResponse.answered_at >= start, SurveyResponse.answered_at < end)
    if scope.department_path is not None:
        stmt = stmt.where(Department.path.startswith(scope.department_path, autoescape=True))
    return stmt


async def answer_counts(session: AsyncSession, survey_id: int, scope: ReportScope, *,
                        start: datetime, end: datetime) -> list[tuple[int, str, Any, Any, int]]:
    """(question id, department group, choice, scale, answers) for the survey's answers in
    the scope and period; text answers count under choice and scale null."""
    rows: Select[*tuple[Any, ...]] = (
        select(SurveyAnswer.question_id, group_key(GroupBy.department, scope).label("g"),
               SurveyAnswer.choice, SurveyAnswer.scale)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(Department, Department.id == SurveyResponse.department_id)
        .where(SurveyResponse.survey_id == survey_id))
    a = _in_scope(rows, scope, start, end).subquery()
    stmt = (select(a.c.question_id, a.c.g, a.c.choice, a.c.scale, func.count())
            .group_by(a.c.question_id, a.c.g, a.c.choice, a.c.scale))
    return [(q, str(g), c, s, int(n)) for q, g, c, s, n in (await session.execute(stmt)).all()]


async def count_responses(session: AsyncSession, survey_id: int, scope: ReportScope, *,
                          start: datetime, end: datetime) -> int:
    stmt = (select(func.count()).select_from(SurveyResponse)
            .join(Department, Department.id == SurveyResponse.department_id)
            .where(SurveyResponse.survey_id == survey_id))
    return int((await session.execute(_in_scope(stmt, scope, start, end))).scalar_one())


async def text_answers(session: AsyncSession, survey_id: int, scope: ReportScope, *,
                       question_id: int | None, start: datetime, end: datetime,
                       after: tuple[int, int] | None,
                       limit: int) -> list[Row[int, int, str, str, datetime, str | None]]:
    """(response id, question id, department code, department name, answered_at, text),
    oldest first."""
    stmt = (select(SurveyResponse.id, SurveyAnswer.question_id, Department.code,
                   Department.name, SurveyResponse.answered_at, SurveyAnswer.text)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .join(Department, Department.id == SurveyResponse.department_id)
            .where(SurveyResponse.survey_id == survey_id, SurveyAnswer.text.is_not(None))
            .order_by(SurveyResponse.id, SurveyAnswer.question_id).limit(limit))
    if question_id is not None:
        stmt = stmt.where(SurveyAnswer.question_id == question_id)
    if after is not None:
        stmt = stmt.where(func.row(SurveyResponse.id, SurveyAnswer.question_id)
                          > func.row(*after))
    return list((await session.execute(_in_scope(stmt, scope, start, end))).all())


async def satisfaction(session: AsyncSession, scope: ReportScope, *, kind: str,
                       question_code: str | None, start: datetime, end: datetime,
                       timezone: str, granularity: str) -> list[tuple[str, str | None, int, int]]:
    """(period, question code, scale answers, answers of 4 or 5) per period and question
    code, with rollups: question code None for all questions, period 'all' for the range."""
    local = func.timezone(timezone, SurveyResponse.answered_at)
    fmt = 'YYYY-"Q"Q' if granularity == "quarter" else "YYYY-MM"
    rows = (select(func.to_char(local, fmt).label("bucket"),
                   func.coalesce(SurveyQuestion.code, literal("", String)).label("qcode"),
                   SurveyAnswer.scale)
            .select_from(SurveyAnswer)
            .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .join(Survey, Survey.id == SurveyResponse.survey_id)
            .join(Department, Department.id == SurveyResponse.department_id)
            .where(and_(SurveyQuestion.kind == "scale", Survey.kind == kind)))
    if question_code is not None:
        rows = rows.where(SurveyQuestion.code == question_code)
    a = _in_scope(rows, scope, start, end).subquery()
    stmt = (select(a.c.bucket, a.c.qcode, func.count(), func.count().filter(a.c.scale >= 4))
            .group_by(func.cube(a.c.bucket, a.c.qcode)))
    return [(b or "all", None if c is None else (c or "-"), int(n), int(s))
            for b, c, n, s in (await session.execute(stmt)).all()]
