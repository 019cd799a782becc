"""Request dependencies of points_api's routers, typed: its settings and the
company's time zone, which decides the month, quarter and year an entry counts in."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

from services.points_api.config import Settings


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _tz(request: Request) -> ZoneInfo:
    settings: Settings = request.app.state.settings
    return settings.tz


PointsSettings = Annotated[Settings, Depends(_settings)]
CompanyTZ = Annotated[ZoneInfo, Depends(_tz)]
