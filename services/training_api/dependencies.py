"""Request dependencies of training_api's routers, typed: what the kit keeps on the
app (settings, outbox relay, job runner) and the company's calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

from services.training_api.config import Settings
from shared.jobs import JobRunner
from shared.outbox import OutboxRelay


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _tz(request: Request) -> ZoneInfo:
    settings: Settings = request.app.state.settings
    return settings.tz


def company_today(request: Request) -> date:
    settings: Settings = request.app.state.settings
    return datetime.now(UTC).astimezone(settings.tz).date()


async def _today(request: Request) -> date:
    return company_today(request)


async def _relay(request: Request) -> OutboxRelay:
    relay: OutboxRelay = request.app.state.relay
    return relay


async def _jobs(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs  # training_api has jobs, so a runner
    return runner


TrainingSettings = Annotated[Settings, Depends(_settings)]
CompanyTZ = Annotated[ZoneInfo, Depends(_tz)]
CompanyToday = Annotated[date, Depends(_today)]  # today on the company's calendar
Relay = Annotated[OutboxRelay, Depends(_relay)]
Jobs = Annotated[JobRunner, Depends(_jobs)]
