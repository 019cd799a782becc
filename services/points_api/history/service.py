"""Opening balances from a history import, and what the ledger holds for imported
records (the import's reconciliation asks).

An opening balance is posted as an ``opening`` entry: it counts in the employee's
balance, qualifying points and category totals, and in the all-time board, but in
no month, quarter or year (the points were earned before Jifen, in periods whose
boards and honours are long closed) and in no period's points mix. A corrected
import posts the difference as another opening entry; a correction downwards
takes away no more than the account holds, like a reversal.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.history import repository as repo
from services.points_api.ledger import repository as ledger_repo
from services.points_api.ledger.service import Posting, bounded, ledger
from shared.consumer import RejectEvent
from shared.contracts.events import EventEnvelope
from shared.contracts.history import (
    FactPoints,
    HistoryPoints,
    HistoryPointsQuery,
    OpeningBalanceChanged,
    OpeningPoints,
)

CATEGORY_NAMES = {"participation": "参与度", "outcome": "成果", "growth": "成长"}


class HistoryService:
    async def apply_opening(self, session: AsyncSession, envelope: EventEnvelope, *,
                            tz: tzinfo) -> dict[str, Any]:
        """Consumer handler of ``history.opening_balance``: one opening entry."""
        try:
            change = OpeningBalanceChanged.model_validate(envelope.payload)
        except ValidationError as exc:
            raise RejectEvent(f"invalid opening balance: {exc}") from exc
        if change.points == 0:
            return {"posted": 0}
        account = await ledger_repo.lock_account(session, change.employee_no)
        held = getattr(account, f"{change.category}_points")
        amount = bounded(change.points, account.balance - account.held)
        qualifying = bounded(change.points, min(account.qualifying, held))
        label = CATEGORY_NAMES[change.category]
        reason = (f"期初余额 {label}积分 {change.balance}（历史数据迁移，截至 "
                  f"{change.cut_over_on.isoformat()}）")
        if change.balance != change.points:
            reason = f"期初余额更正 {label}积分 {change.points:+d}，" + reason
        details = {"import_id": str(change.import_id), "opening_balance": change.balance,
                   "cut_over_on": change.cut_over_on.isoformat()}
        if amount != change.points:
            details["shortfall"] = change.points - amount
        posting = Posting(kind="opening", amount=amount, qualifying_amount=qualifying,
                          category=change.category, reason=reason,
                          occurred_at=change.occurred_at, source_event_id=envelope.event_id,
                          actor=f"history-import:{change.import_id}", details=details)
        await ledger.post(session, change.employee_no, [posting], tz=tz)
        return {"posted": amount}

    async def points(self, session: AsyncSession, query: HistoryPointsQuery) -> HistoryPoints:
        """Net qualifying points of the facts, and opening points of the employees."""
        facts = await repo.fact_points(session, [str(f) for f in query.fact_ids])
        openings = await repo.opening_points(session, query.employee_nos)
        return HistoryPoints(
            facts=[FactPoints(fact_id=f, employee_no=no, category=c, points=p)
                   for f, no, c, p in facts],
            openings=[OpeningPoints(employee_no=no, category=c, points=p)
                      for no, c, p in openings])


history = HistoryService()
