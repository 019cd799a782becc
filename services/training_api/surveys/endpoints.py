"""Surveys: definitions (HR), answers (employees, once), results per question and
department, the satisfaction trend, and employees' training preferences."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query, Request, Response, status

from services.training_api.employees.errors import EmployeeNotFound
from services.training_api.facts.errors import EmployeeLeft, UnknownEmployee
from services.training_api.org.errors import DepartmentNotFound, UnknownDepartment
from services.training_api.org.schemas import CODE_PATTERN
from services.training_api.reports.errors import (
    DepartmentRequired,
    InvalidPeriod,
    NotYourDepartment,
)
from services.training_api.reports.params import (
    AllTimePeriod,
    DepartmentScope,
    Last12Months,
)
from services.training_api.surveys import csv_tables, schemas
from services.training_api.surveys.errors import (
    AlreadyAnswered,
    AnsweringForOthers,
    InvalidAnswers,
    InvalidSurvey,
    NotInAudience,
    SurveyHasResponses,
    SurveyNotFound,
    SurveyNotOpen,
)
from services.training_api.surveys.results import results
from services.training_api.surveys.service import surveys
from shared.auth import CurrentUser, HRAdmin
from shared.db import DBSession
from shared.errors import BadCursor, problems
from shared.export import CSV_RESPONSE, Format, csv_response, wants_csv
from shared.identity import EmployeeNoPath
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    decode_keyset,
    encode_cursor,
    text_key,
)
from shared.routing import APIRouter, created_or_ok, upsert_responses

router = APIRouter(prefix="/training/v1", tags=["surveys"])
SurveyCode = Annotated[str, Path(pattern=CODE_PATTERN, description="The survey's code")]
SCOPE_PROBLEMS = (InvalidPeriod, DepartmentRequired, NotYourDepartment, DepartmentNotFound)


@router.put("/surveys/{code}", response_model=schemas.Survey, operation_id="upsert_survey",
            summary="Create or update a survey",
            responses=upsert_responses(schemas.Survey, UnknownDepartment, SurveyHasResponses,
                                       InvalidSurvey))
async def upsert_survey(code: SurveyCode, body: schemas.SurveyUpsert, session: DBSession,
                        principal: HRAdmin, response: Response) -> schemas.Survey:
    """HR defines a questionnaire: single-choice, scale (1-5) and free-text questions in
    Chinese, an optional audience (department with sub-departments, role family,
    front-line flag) and the window it is open. ``training_needs`` surveys may mark
    single-choice questions as setting a preference (format, length, time_of_day).
    Idempotent by code (201 created, 200 otherwise); once answered, its questions cannot
    change (409 ``survey-has-responses``)."""
    survey, created = await surveys.upsert(session, code, data=body, actor=principal.sub)
    created_or_ok(response, created)
    return survey


@router.get("/surveys/{code}", response_model=schemas.Survey, operation_id="get_survey",
            summary="Get a survey", responses=problems(SurveyNotFound))
async def get_survey(code: SurveyCode, session: DBSession, _: CurrentUser) -> schemas.Survey:
    """A survey with its questions, status and number of responses; anyone signed in."""
    return await surveys.get(session, code)


@router.get("/surveys", response_model=Page[schemas.Survey], operation_id="list_surveys",
            summary="List surveys", responses=problems(BadCursor))
async def list_surveys(
    session: DBSession, principal: CurrentUser, limit: Limit = 50, cursor: Cursor = None,
    kind: schemas.SurveyKind | None = None,
    survey_status: Annotated[Literal["scheduled", "open", "closed"] | None,
                             Query(alias="status")] = None,
) -> Page[schemas.Survey]:
    """Surveys by code. HR, auditors, managers and integrations see all; an employee sees
    the surveys addressed to them (``status=open``: the ones they can answer now)."""
    after = decode_keyset(cursor, text_key)
    items, last = await surveys.list(session, principal=principal,
                                     after=after[0] if after else None, limit=limit,
                                     kind=kind, status=survey_status)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)


@router.post("/surveys/{code}/close", response_model=schemas.Survey,
             operation_id="close_survey", summary="Close a survey now",
             responses=problems(SurveyNotFound))
async def close_survey(code: SurveyCode, session: DBSession, _: HRAdmin) -> schemas.Survey:
    """HR closes the survey now; later answers are refused (409 ``survey-not-open``).
    Closing a closed survey changes nothing."""
    return await surveys.close(session, code)


@router.post("/surveys/{code}/responses", response_model=schemas.SurveyResponse,
             status_code=status.HTTP_201_CREATED, operation_id="answer_survey",
             summary="Answer a survey",
             responses=problems(SurveyNotFound, AlreadyAnswered, SurveyNotOpen, NotInAudience,
                                AnsweringForOthers, InvalidAnswers, UnknownEmployee,
                                EmployeeLeft))
async def answer_survey(code: SurveyCode, body: schemas.ResponseCreate, session: DBSession,
                        principal: CurrentUser) -> schemas.SurveyResponse:
    """An employee answers once per survey (a second answer is 409
    ``survey-already-answered``), while it is open and if it is addressed to them (403
    ``not-in-audience``). Answers name questions by position; every required question
    must be answered with the field its kind takes (422 ``invalid-answers`` points at
    each wrong one). HR and integrations may enter answers collected elsewhere with
    ``employee_no`` and ``answered_at``. Training-needs answers update the employee's
    preferences (``preferences_updated``)."""
    return await surveys.answer(session, code, data=body, principal=principal)


@router.get("/surveys/{code}/results", response_model=schemas.SurveyResults,
            operation_id="get_survey_results", summary="Survey results per question and "
                                                       "department",
            responses={**CSV_RESPONSE, **problems(SurveyNotFound, *SCOPE_PROBLEMS)},
            tags=["reports"])
async def get_survey_results(request: Request, code: SurveyCode, session: DBSession,
                             scope: DepartmentScope, period: AllTimePeriod,
                             format: Format = None) -> schemas.SurveyResults | Response:  # noqa: A002
    """Answers given in the period (default: all) by employees of the scope (by their
    department when answering): per question the answers, option counts and shares,
    the mean and distribution of scale answers and the satisfaction share (answers 4-5 /
    answers); the same per sub-department of the scope. HR and auditors read any scope,
    managers their departments."""
    report = await results.results(session, code, scope=scope, period=period)
    return csv_response(csv_tables.results(report)) if wants_csv(request, format) else report


@router.get("/surveys/{code}/text-answers", response_model=Page[schemas.TextAnswer],
            operation_id="list_survey_text_answers", summary="Free-text answers of a survey",
            responses={**CSV_RESPONSE, **problems(SurveyNotFound, BadCursor, *SCOPE_PROBLEMS)},
            tags=["reports"])
async def list_survey_text_answers(
    request: Request, code: SurveyCode, session: DBSession, scope: DepartmentScope,
    period: AllTimePeriod, question: Annotated[int | None, Query(ge=1, le=100)] = None,
    limit: Limit = 50, cursor: Cursor = None, format: Format = None,  # noqa: A002
) -> Page[schemas.TextAnswer] | Response:
    """The free-text answers, oldest first, with the department and day but not the
    author. Paginated; the CSV holds every answer. Same readers as the results."""
    if wants_csv(request, format):
        everyone, after = [], None
        while True:
            items, after = await results.text_answers(session, code, scope=scope,
                                                      period=period, question=question,
                                                      cursor=after, limit=5000)
            everyone.extend(items)
            if after is None:
                return csv_response(csv_tables.text_answers(code, everyone))
    items, last = await results.text_answers(session, code, scope=scope, period=period,
                                             question=question, cursor=cursor, limit=limit)
    return Page(items=items, next_cursor=last)


@router.get("/reports/satisfaction", response_model=schemas.SatisfactionReport,
            operation_id="report_satisfaction", summary="Satisfaction share per period",
            responses={**CSV_RESPONSE, **problems(*SCOPE_PROBLEMS)}, tags=["reports"])
async def report_satisfaction(
    request: Request, session: DBSession, scope: DepartmentScope, period: Last12Months,
    granularity: Literal["month", "quarter"] = "month",
    survey_kind: Annotated[schemas.SurveyKind, Query(
        description="Surveys of this kind count (default satisfaction)")] = "satisfaction",
    question_code: Annotated[str | None, Query(
        pattern=CODE_PATTERN, description="Only questions with this code, e.g. fairness")] = None,
    format: Format = None,  # noqa: A002
) -> schemas.SatisfactionReport | Response:
    """Satisfaction share (满意度) = scale answers of 4 or 5 / scale answers, over the
    scale questions of every survey of ``survey_kind``, per month or quarter of
    answering (company calendar), per question code (``-`` for questions without one)
    and overall (``question_code`` null; period ``all`` for the whole range). Default
    period: the current month and the 11 before it. HR and auditors read any scope,
    managers their departments."""
    report = await results.satisfaction(session, scope=scope, period=period,
                                        granularity=granularity, kind=survey_kind,
                                        question_code=question_code)
    return csv_response(csv_tables.satisfaction(report)) if wants_csv(request, format) else report


@router.get("/employees/{employee_no}/preferences", response_model=schemas.EmployeePreferences,
            operation_id="get_employee_preferences", summary="An employee's training "
                                                             "preferences",
            responses=problems(EmployeeNotFound), tags=["employees"])
async def get_employee_preferences(employee_no: EmployeeNoPath, session: DBSession,
                                   principal: CurrentUser) -> schemas.EmployeePreferences:
    """The format, length and time of day the employee prefers, as they answered in their
    latest training-needs survey (null until they answer one). Employees read their own,
    managers their departments', HR, auditors, assessors and integrations all; others
    answer 404."""
    return await results.preferences(session, employee_no, principal=principal)
