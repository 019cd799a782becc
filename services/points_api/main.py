"""points_api: rules, the ledger, and growth."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from services.points_api.analytics.monthly import router as monthly_points_router
from services.points_api.analytics.quantiles import router as quantiles_router
from services.points_api.config import Settings
from services.points_api.db import employee_copy, kit_tables
from services.points_api.earning.batch import batch_earning
from services.points_api.earning.service import earning
from services.points_api.history.endpoints import router as history_router
from services.points_api.history.service import history
from services.points_api.holds.endpoints import internal_router as holds_internal
from services.points_api.holds.endpoints import router as holds_router
from services.points_api.holds.service import holds
from services.points_api.honours.endpoints import router as honours_router
from services.points_api.honours.job import growth_jobs
from services.points_api.leaderboards.endpoints import router as leaderboards_router
from services.points_api.ledger.endpoints import internal_router as ledger_internal
from services.points_api.ledger.endpoints import router as ledger_router
from services.points_api.milestones.endpoints import router as milestones_router
from services.points_api.milestones.skills import connect_skills
from services.points_api.mix.endpoints import router as mix_router
from services.points_api.notifications.digests import apply_attrition_digest
from services.points_api.notifications.endpoints import router as notifications_router
from services.points_api.rules.endpoints import router as rules_router
from services.points_api.rules.service import install_default_rule_set
from services.points_api.webhooks.config import WebhookSettings
from services.points_api.webhooks.delivery import webhook_delivery_job, webhook_startup
from services.points_api.webhooks.endpoints import router as webhooks_router
from services.points_api.webhooks.event_types import EVENT_TYPES, FORWARDED_EVENT_TYPES
from services.points_api.webhooks.forwarding import (
    forwarded_batch_handlers,
    forwarded_event_handlers,
)
from services.points_api.whatif.endpoints import router as whatif_router
from shared.app import ServiceSpec, create_service_app, every
from shared.consumer import BatchHandler, ClaimingBatchHandler, EventHandler, events_router
from shared.contracts.digests import ATTRITION_DIGEST
from shared.contracts.events import EMPLOYEE_UPSERTED
from shared.contracts.history import OPENING_BALANCE
from shared.contracts.holds import HOLD_CAPTURE, HOLD_RELEASE
from shared.contracts.training_events import FACT_VOIDED, TRAINING_EVENT_TYPES
from shared.employee_copy import apply_employee_upserted, employee_copy_router


def event_handlers(settings: Settings) -> dict[str, EventHandler]:
    """What each event type does here: employee facts refresh the read copy; every
    training event earns (or, when a fact is voided, reverses) points. Periods and
    caps follow the company's time zone."""
    return {
        EMPLOYEE_UPSERTED: partial(apply_employee_upserted, employee_copy),
        **{event_type: partial(earning.apply, tz=settings.tz)
           for event_type in sorted(TRAINING_EVENT_TYPES)},
        HOLD_CAPTURE: partial(holds.capture, tz=settings.tz),
        HOLD_RELEASE: partial(holds.release, tz=settings.tz),
        OPENING_BALANCE: partial(history.apply_opening, tz=settings.tz),
        **forwarded_event_handlers(),
        ATTRITION_DIGEST: apply_attrition_digest,
    }


def batch_event_handlers(settings: Settings) -> dict[str, BatchHandler]:
    """Training facts earn many at a time (voids reverse one at a time); the captures
    of a batch confirm their spends together, and the fulfilment events travelling
    with them are forwarded to webhooks in the same transaction."""
    apply = ClaimingBatchHandler(partial(batch_earning.apply, tz=settings.tz))
    return {**{event_type: apply for event_type in sorted(TRAINING_EVENT_TYPES)
               if event_type != FACT_VOIDED},
            HOLD_CAPTURE: partial(holds.capture_many, tz=settings.tz),
            **forwarded_batch_handlers()}


# The one service each event type is accepted from.
EVENT_PRODUCERS = {
    EMPLOYEE_UPSERTED: "training",
    **{event_type: "training" for event_type in TRAINING_EVENT_TYPES},
    HOLD_CAPTURE: "rewards",
    HOLD_RELEASE: "rewards",
    **{event_type: EVENT_TYPES[event_type][0] for event_type in FORWARDED_EVENT_TYPES},
    ATTRITION_DIGEST: "training",
    OPENING_BALANCE: "training",
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    handlers = event_handlers(settings)
    webhook_settings = WebhookSettings()
    return create_service_app(ServiceSpec(
        name="points",
        title="Jifen points API",
        description="Rule sets, the points ledger (accounts, entries, holds), leaderboards and "
                    "growth milestones.",
        settings=settings,
        tables=kit_tables,
        # routes that share their first three path segments are matched in this order
        # (shared.routing.RouteIndex): among /points/v1/internal, the spend every
        # redemption calls comes first, then the relays' deliveries (no two routers'
        # paths overlap)
        routers=[holds_internal,
                 events_router("points", kit_tables.processed_event, handlers,
                               batch_event_handlers(settings), producers=EVENT_PRODUCERS),
                 employee_copy_router("points", employee_copy), rules_router, ledger_router,
                 holds_router, webhooks_router, quantiles_router, monthly_points_router,
                 mix_router, leaderboards_router,
                 milestones_router, honours_router, notifications_router, whatif_router,
                 history_router, ledger_internal],
        peers={"training": settings.training_url},
        on_startup=[install_default_rule_set, webhook_startup(webhook_settings),
                    connect_skills],
        background=[every(settings.hold_expiry_poll_seconds, holds.expire_due),
                    webhook_delivery_job(webhook_settings), *growth_jobs(settings)],
    ))


app = create_app()
