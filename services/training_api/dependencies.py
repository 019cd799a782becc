"""training_api's settings as a typed request dependency (the kit's dependencies,
shared/dependencies.py, give the calendar)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.training_api.config import Settings


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


TrainingSettings = Annotated[Settings, Depends(_settings)]
