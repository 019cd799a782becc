"""Feedback: employees file it, HR lists, tags and closes it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import Path, Query, Request, Response, status

from services.training_api.facts.errors import ClientIdConflict, EmployeeLeft, UnknownEmployee
from services.training_api.feedback import csv_tables, schemas
from services.training_api.feedback.errors import (
    FeedbackClosed,
    FeedbackForOthers,
    FeedbackNotFound,
)
from services.training_api.feedback.models import FeedbackStatus
from services.training_api.feedback.repository import FeedbackFilters
from services.training_api.feedback.service import feedback
from services.training_api.org import repository as org_repo
from services.training_api.org.errors import DepartmentNotFound
from services.training_api.org.schemas import CODE_PATTERN
from services.training_api.reports.period import local_midnight
from shared.auth import AuditReader, CurrentUser, HRAdmin
from shared.contracts.fields import MAX_ID
from shared.db import DBSession
from shared.dependencies import CompanyTZ
from shared.errors import BadCursor, problems
from shared.export import CSV_RESPONSE, Format, csv_response, wants_csv
from shared.identity import EmployeeNoQuery
from shared.pagination import Cursor, Limit, Page, decode_id_cursor, encode_id_cursor
from shared.routing import APIRouter, created_or_ok

router = APIRouter(prefix="/training/v1", tags=["feedback"])
FeedbackId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/feedback", response_model=schemas.Feedback, status_code=status.HTTP_201_CREATED,
             operation_id="submit_feedback", summary="Give feedback on rules, courses or "
                                                     "rewards",
             responses={200: {"model": schemas.Feedback,
                              "description": "Replay: the feedback already filed under this "
                                             "client_id"},
                        **problems(FeedbackForOthers, UnknownEmployee, EmployeeLeft,
                                   ClientIdConflict)})
async def submit_feedback(body: schemas.FeedbackCreate, session: DBSession,
                          principal: CurrentUser, response: Response) -> schemas.Feedback:
    """An employee files feedback (意见反馈) on the points rules, a course, the rewards
    or anything else; it starts ``open``. HR and integrations may file it for an
    employee. With a ``client_id`` a resend answers 200 with the stored feedback."""
    item, created = await feedback.submit(session, body, principal=principal)
    created_or_ok(response, created)
    return item


@router.get("/feedback", response_model=Page[schemas.Feedback], operation_id="list_feedback",
            summary="List feedback",
            responses={**CSV_RESPONSE, **problems(BadCursor, DepartmentNotFound)})
async def list_feedback(
    request: Request, session: DBSession, _: AuditReader, tz: CompanyTZ, limit: Limit = 50,
    cursor: Cursor = None,
    feedback_status: Annotated[FeedbackStatus | None, Query(alias="status")] = None,
    topic: schemas.Topic | None = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    department: Annotated[str | None, Query(
        pattern=CODE_PATTERN, description="Authors' department, sub-departments included")
    ] = None,
    employee_no: EmployeeNoQuery = None,
    first_day: Annotated[date | None, Query(alias="from", description="Filed on or after this "
                                                                      "day")] = None,
    last_day: Annotated[date | None, Query(alias="to", description="Filed on or before this "
                                                                   "day")] = None,
    format: Format = None,  # noqa: A002
) -> Page[schemas.Feedback] | Response:
    """Newest first, filtered by status, topic, tag, department (with sub-departments),
    employee and the days filed (company calendar). HR and auditors. Paginated; the CSV
    holds every match."""
    path = None
    if department is not None:
        dept = await org_repo.get_department(session, department)
        if dept is None:
            raise DepartmentNotFound(f"No department with code {department!r}")
        path = dept.path
    filters = FeedbackFilters(
        status=feedback_status, topic=topic, tag=tag, department_path=path,
        employee_no=employee_no,
        created_from=local_midnight(first_day, tz) if first_day else None,
        created_to=local_midnight(last_day + timedelta(days=1), tz) if last_day else None)
    if wants_csv(request, format):
        everyone, before = [], None
        while True:
            items, before = await feedback.list(session, filters, before=before, limit=5000)
            everyone.extend(items)
            if before is None:
                return csv_response(csv_tables.feedback_list(everyone, tz))
    items, last = await feedback.list(session, filters, before=decode_id_cursor(cursor),
                                      limit=limit)
    return Page(items=items, next_cursor=encode_id_cursor(last))


@router.get("/feedback/{feedback_id}", response_model=schemas.Feedback,
            operation_id="get_feedback", summary="Get one feedback",
            responses=problems(FeedbackNotFound))
async def get_feedback(feedback_id: FeedbackId, session: DBSession,
                       principal: CurrentUser) -> schemas.Feedback:
    """HR and auditors read any feedback; an employee their own (with HR's tags and
    resolution); others get 404."""
    return await feedback.get(session, feedback_id, principal=principal)


@router.put("/feedback/{feedback_id}/tags", response_model=schemas.Feedback,
            operation_id="tag_feedback", summary="Tag feedback",
            responses=problems(FeedbackNotFound))
async def tag_feedback(feedback_id: FeedbackId, body: schemas.FeedbackTags, session: DBSession,
                       principal: HRAdmin) -> schemas.Feedback:
    """HR replaces the feedback's tags (open or closed), e.g. 课程时长, 兑换选项."""
    return await feedback.tag(session, feedback_id, body.tags, actor=principal.sub)


@router.post("/feedback/{feedback_id}/close", response_model=schemas.Feedback,
             operation_id="close_feedback", summary="Close feedback with a resolution",
             responses=problems(FeedbackNotFound, FeedbackClosed))
async def close_feedback(feedback_id: FeedbackId, body: schemas.FeedbackClose,
                         session: DBSession, principal: HRAdmin) -> schemas.Feedback:
    """HR closes the feedback with what was done about it; closing twice is 409
    ``feedback-closed``."""
    return await feedback.close(session, feedback_id, body.resolution, actor=principal.sub)
