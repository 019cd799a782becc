"""Request dependencies the kit gives every service's routes, typed: what
``shared.app`` keeps on the app (the session factory) and the company's calendar.
A service's own settings come from its ``dependencies.py``, typed as that service's
Settings. No route needs the outbox relay or the job runner: what a transaction
enqueues is delivered or started once it commits (shared/outbox.py, shared/jobs.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.settings import ServiceSettings

# Coroutines, not plain functions: FastAPI runs a plain function dependency in a
# thread of its pool, a hop per request for reading an attribute.


def company_today(request: Request) -> date:
    """Today on the company's calendar (its time zone, not UTC)."""
    settings: ServiceSettings = request.app.state.settings
    return datetime.now(UTC).astimezone(settings.tz).date()


async def _tz(request: Request) -> ZoneInfo:
    settings: ServiceSettings = request.app.state.settings
    return settings.tz


async def _today(request: Request) -> date:
    return company_today(request)


async def _sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return sessionmaker


CompanyTZ = Annotated[ZoneInfo, Depends(_tz)]
CompanyToday = Annotated[date, Depends(_today)]
SessionMaker = Annotated[async_sessionmaker[AsyncSession], Depends(_sessionmaker)]

