"""Request dependencies every rewards_api router uses."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rewards_api.config import Settings
from shared.outbox import OutboxRelay


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _tz(request: Request) -> ZoneInfo:
    settings: Settings = request.app.state.settings
    return settings.tz


async def _relay(request: Request) -> OutboxRelay:
    relay: OutboxRelay = request.app.state.relay
    return relay


async def _sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return sessionmaker


RewardsSettings = Annotated[Settings, Depends(_settings)]
CompanyTZ = Annotated[ZoneInfo, Depends(_tz)]
Relay = Annotated[OutboxRelay, Depends(_relay)]
SessionMaker = Annotated[async_sessionmaker[AsyncSession], Depends(_sessionmaker)]
