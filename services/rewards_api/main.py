"""rewards_api: the rewards mall."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from services.rewards_api.catalogue.endpoints import router as catalogue_router
from services.rewards_api.config import Settings
from services.rewards_api.db import employee_copy, kit_tables
from services.rewards_api.integration_events.endpoints import router as integration_router
from services.rewards_api.redemptions.endpoints import router as redemptions_router
from services.rewards_api.redemptions.recovery import sweep
from services.rewards_api.redemptions.settlement import POINTS, WEBHOOKS, webhook_destination
from services.rewards_api.vouchers.endpoints import router as vouchers_router
from shared.app import ServiceSpec, create_service_app, every
from shared.consumer import events_router
from shared.contracts.events import EMPLOYEE_UPSERTED
from shared.employee_copy import apply_employee_upserted, employee_copy_router

HANDLERS = {
    EMPLOYEE_UPSERTED: partial(apply_employee_upserted, employee_copy),
}


def outbox_destinations(settings: Settings) -> dict[str, tuple[str, str]]:
    """Captures and releases go to points_api, and so do fulfilment events, since
    points_api dispatches every service's webhooks, unless another dispatcher is
    configured. With webhooks off the events are only recorded in
    integration_event, and nothing waits in the outbox for a consumer that is not
    there."""
    destinations = {POINTS: (settings.points_url, "/points/v1/internal/events")}
    if webhook_destination(settings) == WEBHOOKS:
        destinations[WEBHOOKS] = (settings.webhooks_url, settings.webhooks_path)
    return destinations


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(ServiceSpec(
        name="rewards",
        title="Jifen rewards API",
        description="Reward catalogue, stock, limits, redemptions and their approval and "
                    "fulfilment.",
        settings=settings,
        tables=kit_tables,
        # routes that share their first three path segments are matched in this order
        # (shared.routing.RouteIndex): redemptions first (no two routers' paths overlap)
        routers=[redemptions_router,
                 events_router("rewards", kit_tables.processed_event, HANDLERS,
                               producers={EMPLOYEE_UPSERTED: "training"}),
                 employee_copy_router("rewards", employee_copy), catalogue_router,
                 vouchers_router, integration_router],
        outbox_destinations=outbox_destinations(settings),
        peers={"points": settings.points_url},
        background=[every(settings.sweep_interval_seconds, sweep)],
        keyed_routes=["/rewards/v1/redemptions"],
    ))


app = create_app()
