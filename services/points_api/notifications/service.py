"""The per-employee feed: what happened to my points, ranks and milestones.

Every notification is written in the transaction of its cause (an earning, a
grant, an honour), so a cause that rolls back leaves no message behind, and a
cause that may run again (a job re-run) carries a ``dedupe_key`` so that it
notifies once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api import employee_copies
from services.points_api.ledger.errors import AccountNotFound
from services.points_api.notifications import repository as repo
from services.points_api.notifications.models import Notification as NotificationRecord
from services.points_api.notifications.schemas import Notification
from shared.auth import Principal
from shared.contracts.points import PointsOutcome


def _rank_text(outcome: PointsOutcome) -> str:
    if outcome.month_rank is None:
        return ""
    change = outcome.month_rank_change or 0
    moved = (f"上升 {change} 名" if change > 0 else f"下降 {-change} 名" if change < 0
             else "排名不变")
    return f"本月排名第 {outcome.month_rank}（{moved}）"


def _points_row(outcome: PointsOutcome) -> dict[str, Any]:
    total = outcome.total_points
    reasons = "；".join(entry.reason for entry in outcome.awarded)
    rank = _rank_text(outcome)
    return {"employee_no": outcome.employee_no,
            "kind": "points_gained" if total >= 0 else "points_reversed",
            "title": f"{total:+d} 积分", "body": "；".join(p for p in (reasons, rank) if p),
            "data": {"total_points": total, "entry_ids": [e.entry_id for e in outcome.awarded],
                     "balance": outcome.balance, "month_points": outcome.month_points,
                     "month_rank": outcome.month_rank,
                     "month_rank_change": outcome.month_rank_change},
            "dedupe_key": None}


def _out(row: NotificationRecord) -> Notification:
    return Notification(id=row.id, kind=row.kind, title=row.title, body=row.body,
                        data=row.data or {}, created_at=row.created_at, read_at=row.read_at)


class NotificationService:
    async def notify(self, session: AsyncSession, employee_no: str, *, kind: str, title: str,
                     body: str = "", data: dict[str, Any] | None = None,
                     dedupe_key: str | None = None) -> None:
        await repo.add(session, [{"employee_no": employee_no, "kind": kind, "title": title,
                                  "body": body, "data": data or {},
                                  "dedupe_key": dedupe_key}])

    async def points_changed(self, session: AsyncSession, outcome: PointsOutcome) -> None:
        """``+20 积分`` (or the points a voided record took back), with the reasons and
        the move on this month's board. Nothing when the outcome moved no points."""
        await self.points_changed_many(session, [outcome])

    async def points_changed_many(self, session: AsyncSession,
                                  outcomes: list[PointsOutcome]) -> None:
        """:meth:`points_changed` for a batch of outcomes, in one statement."""
        await repo.add(session, self.points_rows(outcomes))

    @staticmethod
    def points_rows(outcomes: list[PointsOutcome]) -> list[dict[str, Any]]:
        """The notifications of these outcomes (those that moved points), as rows of
        the notification table."""
        return [_points_row(o) for o in outcomes if o.awarded]

    async def rank_changes(self, session: AsyncSession, *, period: str, previous: str,
                           shown: str, label: str) -> int:
        """At a period's close: each ranked employee's final rank against the period
        before (company board), ``shown`` as the period in the data. Idempotent."""
        return await repo.add_rank_changes(session, period=period, previous=previous,
                                           shown=shown, label=label)

    async def feed(self, session: AsyncSession, employee_no: str, *, principal: Principal,
                   unread_only: bool, before_id: int | None,
                   limit: int) -> tuple[list[Notification], int | None]:
        """Newest first; the employee's own feed, or any for HR."""
        await self._ensure_own(session, employee_no, principal)
        rows = await repo.feed(session, employee_no, unread_only=unread_only,
                               before_id=before_id, limit=limit + 1)
        items = [_out(row) for row in rows[:limit]]
        return items, (items[-1].id if len(rows) > limit else None)

    async def mark_read(self, session: AsyncSession, employee_no: str, *,
                        principal: Principal, ids: list[int] | None) -> int:
        """Marks the given ids (or all when None) read; ids of other employees' or
        already read notifications change nothing."""
        await self._ensure_own(session, employee_no, principal)
        return await repo.mark_read(session, employee_no, ids)

    async def _ensure_own(self, session: AsyncSession, employee_no: str,
                          principal: Principal) -> None:
        if principal.sub == employee_no:
            return
        if principal.has("hr_admin") and await employee_copies.get_copy(
                session, employee_no) is not None:
            return
        raise AccountNotFound(f"No notifications of employee {employee_no!r} visible to you")


notifications = NotificationService()
