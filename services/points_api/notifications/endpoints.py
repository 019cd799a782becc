"""The notification feed of an employee: list (all or unread) and mark read."""

from __future__ import annotations

from services.points_api.ledger.errors import AccountNotFound
from services.points_api.notifications.schemas import (
    Notification,
    NotificationsMarked,
    NotificationsRead,
)
from services.points_api.notifications.service import notifications
from shared.auth import CurrentUser
from shared.db import DBSession
from shared.errors import BadCursor, problems
from shared.identity import EmployeeNoPath
from shared.pagination import Cursor, Limit, Page, decode_id_cursor, encode_id_cursor
from shared.routing import APIRouter

router = APIRouter(prefix="/points/v1", tags=["notifications"])


@router.get("/accounts/{employee_no}/notifications", response_model=Page[Notification],
            operation_id="list_notifications", summary="An employee's notification feed",
            responses=problems(AccountNotFound, BadCursor))
async def list_notifications(employee_no: EmployeeNoPath, session: DBSession,
                             principal: CurrentUser, limit: Limit = 50, cursor: Cursor = None,
                             unread: bool = False) -> Page[Notification]:
    """Newest first: points gained or taken back, the final rank of each month,
    eligibility reached, certifications granted or revoked, honours won. ``unread=true``
    lists only unread ones. The employee reads their own feed, HR anyone's; others
    answer 404."""
    items, last = await notifications.feed(session, employee_no, principal=principal,
                                           unread_only=unread,
                                           before_id=decode_id_cursor(cursor), limit=limit)
    return Page(items=items, next_cursor=encode_id_cursor(last))


@router.post("/accounts/{employee_no}/notifications/read", response_model=NotificationsMarked,
             operation_id="mark_notifications_read", summary="Mark notifications read",
             responses=problems(AccountNotFound))
async def mark_notifications_read(employee_no: EmployeeNoPath, body: NotificationsRead,
                                  session: DBSession,
                                  principal: CurrentUser) -> NotificationsMarked:
    """``{"ids": [...]}`` marks those, ``{"all": true}`` every unread one. Marking
    twice is harmless (``marked`` counts only the ones that changed)."""
    marked = await notifications.mark_read(session, employee_no, principal=principal,
                                           ids=None if body.all else body.ids)
    return NotificationsMarked(marked=marked)
