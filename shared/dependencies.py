"""Request dependencies the kit gives every service's routes, typed: what
``shared.app`` keeps on the app (the outbox relay, the session factory, the job
runner) and the company's calendar. A service's own settings come from its
``dependencies.py``, typed as that service's Settings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.jobs import JobRunner
from shared.outbox import OutboxRelay
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


async def _relay(request: Request) -> OutboxRelay:
    relay: OutboxRelay = request.app.state.relay
    return relay


async def _sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return sessionmaker


async def _jobs(request: Request) -> JobRunner:
    runner: JobRunner | None = request.app.state.jobs
    assert runner is not None, "only a service with durable jobs has a job runner"
    return runner


CompanyTZ = Annotated[ZoneInfo, Depends(_tz)]
CompanyToday = Annotated[date, Depends(_today)]
Relay = Annotated[OutboxRelay, Depends(_relay)]
SessionMaker = Annotated[async_sessionmaker[AsyncSession], Depends(_sessionmaker)]
Jobs = Annotated[JobRunner, Depends(_jobs)]
