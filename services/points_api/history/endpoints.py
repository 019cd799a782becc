"""What training_api's history import asks points_api (training_api only, never
through the gateway)."""

from __future__ import annotations

from services.points_api.history.service import history
from shared.contracts.history import HistoryPoints, HistoryPointsQuery
from shared.db import DBSession
from shared.routing import APIRouter
from shared.service_auth import FromTraining

router = APIRouter(prefix="/points/v1", tags=["internal"], include_in_schema=False)


@router.post("/internal/history-points", response_model=HistoryPoints,
             operation_id="get_history_points", summary="Points of imported history")
async def get_history_points(body: HistoryPointsQuery, session: DBSession,
                             _: FromTraining) -> HistoryPoints:
    """For training_api's history import: the net qualifying
    points each fact earned, by category, and each employee's opening points by
    category. At most 5,000 fact ids and 5,000 employee numbers a call."""
    return await history.points(session, body)
