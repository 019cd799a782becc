"""Typed client of points_api's internal analytics: points of a scope of employees
and its top and bottom fraction. Mirrors points_api's ``ScopeQuantiles``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, TypeVar

import httpx
from fastapi import Depends, Request
from pydantic import BaseModel

from shared.errors import DependencyUnavailable
from shared.http import PeerClient

M = TypeVar("M", bound=BaseModel)
QUANTILES_PATH = "/points/v1/internal/analytics/quantiles"
MONTHLY_PATH = "/points/v1/internal/analytics/monthly-points"


class PointsSet(BaseModel):
    employee_nos: list[str]
    min_points: int | None = None
    max_points: int | None = None


class ScopePoints(BaseModel):
    periods: list[str]
    employees: int
    total_points: int
    participation_points: int = 0
    outcome_points: int = 0
    growth_points: int = 0
    fraction: float
    top: PointsSet
    bottom: PointsSet


class PointsAnalyticsClient(PeerClient):
    peer_name = "points_api"

    async def _get(self, path: str, model: type[M], params: Any, what: str) -> M:
        """One answer of points_api's analytics; DependencyUnavailable (503 with
        Retry-After) when it is down or refuses."""
        try:
            result = await self._request("GET", path, model, params=params)
        except httpx.HTTPStatusError as exc:
            raise DependencyUnavailable(
                f"points_api refused the {what}: HTTP {exc.response.status_code}") from exc
        assert isinstance(result, model)
        return result

    async def scope_points(self, periods: list[str], *, fraction: float,
                           department: str | None = None, family: str | None = None,
                           is_front_line: bool | None = None,
                           is_pilot: bool | None = None,
                           hired_by: date | None = None) -> ScopePoints:
        """Only employees hired by ``hired_by`` (or without a hire date) count. Raises
        DependencyUnavailable (503 with Retry-After) when points_api is down
        or cannot answer. No periods (an empty report period): nobody, no points."""
        if not periods:
            return ScopePoints(periods=[], employees=0, total_points=0, fraction=fraction,
                               top=PointsSet(employee_nos=[]), bottom=PointsSet(employee_nos=[]))
        params: list[tuple[str, str]] = [("period", p) for p in periods]
        params.append(("fraction", str(fraction)))
        for name, value in (("department", department), ("family", family),
                            ("is_front_line", is_front_line), ("is_pilot", is_pilot)):
            if value is not None:
                params.append((name, str(value).lower() if isinstance(value, bool) else value))
        if hired_by is not None:
            params.append(("hired_by", hired_by.isoformat()))
        return await self._get(QUANTILES_PATH, ScopePoints, params, "points question")


class EmployeeMonths(BaseModel):
    employee_no: str
    months: dict[str, int]
    milestones: list[date]


class MonthsPage(BaseModel):
    items: list[EmployeeMonths]
    next_cursor: str | None = None


class PointsHistoryClient(PointsAnalyticsClient):
    async def monthly_points(self, first: str, last: str) -> list[EmployeeMonths]:
        """Every employee's points per month (YYYY-MM, ``first``..``last``) and growth
        milestone days, page by page. Raises DependencyUnavailable when points_api
        cannot answer."""
        out: list[EmployeeMonths] = []
        cursor: str | None = None
        while True:
            params = {"from": first, "to": last, "limit": "5000"}
            if cursor:
                params["cursor"] = cursor
            page = await self._get(MONTHLY_PATH, MonthsPage, params, "points history")
            out.extend(page.items)
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor


async def get_points_analytics(request: Request) -> PointsAnalyticsClient:
    return PointsAnalyticsClient(request.app.state.peers["points"])


PointsAnalytics = Annotated[PointsAnalyticsClient, Depends(get_points_analytics)]
