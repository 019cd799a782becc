"""Typed client of points_api for the questions training_api asks it directly."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Depends, Request

from shared.contracts.history import HistoryPoints, HistoryPointsQuery
from shared.contracts.points import ConfirmerRange, ConfirmerRangeQuery
from shared.errors import DependencyUnavailable
from shared.http import PeerClient

CONFIRMER_RANGE_PATH = "/points/v1/internal/confirmer-range"
HISTORY_POINTS_PATH = "/points/v1/internal/history-points"


class PointsClient(PeerClient):
    peer_name = "points_api"

    async def confirmer_range(self, query: ConfirmerRangeQuery) -> ConfirmerRange | None:
        """The points a confirmer may choose for this event, or None when no rule
        applies (points_api answers 404). Raises DependencyUnavailable (503 with
        Retry-After) when points_api is down or refuses the question."""
        try:
            result = await self._request("POST", CONFIRMER_RANGE_PATH, ConfirmerRange,
                                         json=query.model_dump(mode="json"))
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404:
                return None
            raise DependencyUnavailable(
                f"points_api refused the range question: HTTP {exc.response.status_code}"
            ) from exc
        assert isinstance(result, ConfirmerRange)
        return result


    async def history_points(self, query: HistoryPointsQuery) -> HistoryPoints:
        """What the ledger holds for imported facts and employees. Raises
        DependencyUnavailable when points_api is down or refuses."""
        try:
            result = await self._request("POST", HISTORY_POINTS_PATH, HistoryPoints,
                                         json=query.model_dump(mode="json"))
        except httpx.HTTPStatusError as exc:
            raise DependencyUnavailable(
                f"points_api refused the history question: HTTP {exc.response.status_code}"
            ) from exc
        assert isinstance(result, HistoryPoints)
        return result


async def get_points_client(request: Request) -> PointsClient:
    return PointsClient(request.app.state.peers["points"])


PointsAPI = Annotated[PointsClient, Depends(get_points_client)]
