"""rewards_api: the rewards mall."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from services.rewards_api.config import Settings
from services.rewards_api.db import employee_copy, kit_tables
from shared.app import ServiceSpec, create_service_app
from shared.consumer import events_router
from shared.contracts.events import EMPLOYEE_UPSERTED
from shared.employee_copy import apply_employee_upserted, employee_copy_router

HANDLERS = {
    EMPLOYEE_UPSERTED: partial(apply_employee_upserted, employee_copy),
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(ServiceSpec(
        name="rewards",
        title="Jifen rewards API",
        description="Reward catalogue, stock, limits, redemptions and their approval and "
                    "fulfilment.",
        settings=settings,
        tables=kit_tables,
        routers=[events_router("rewards", kit_tables.processed_event, HANDLERS),
                 employee_copy_router("rewards", employee_copy)],
    ))


app = create_app()
