"""The operations routes every service answers, whatever its domain: liveness,
readiness, metrics, and the outbox's backlog and dead letters for operators.

They live apart from the app assembly (``shared.app``) because they are endpoints
like any domain's, only shared: one function per route, each registered on the
router the kit includes before the service's own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from shared.auth import AuditReader, HRAdmin
from shared.contracts.fields import RowId
from shared.db import DBSession
from shared.errors import problem_response
from shared.observability import metrics_endpoint
from shared.outbox import OutboxRelay
from shared.pagination import Cursor, Limit, Page
from shared.routing import APIRouter

TAG = "operations"


class Health(BaseModel):
    status: str
    service: str
    database: str | None = None
    migration: str | None = None


class OutboxStats(BaseModel):
    backlog: int
    dead_letters: int
    delivered: int
    oldest_pending_at: Any = None


class DeadLetter(BaseModel):
    id: int
    event_id: Any
    event_type: str
    destination: str
    attempts: int
    last_error: str | None
    created_at: Any
    dead_at: Any


class OutboxReport(OutboxStats):
    dead: Page[DeadLetter]


class RetryResult(BaseModel):
    requeued: int


def operations_router(service: str) -> APIRouter:
    """The operations routes of ``service`` (training | points | rewards) under its
    prefix."""
    router = APIRouter()
    _add_health(router, service)
    _add_readiness(router, service)
    router.add_api_route("/metrics", metrics_endpoint, include_in_schema=False)
    _add_outbox_report(router, service)
    _add_outbox_retry(router, service)
    return router


def _add_health(router: APIRouter, service: str) -> None:
    @router.get(f"/{service}/healthz", tags=[TAG], operation_id=f"{service}_healthz",
                summary="Process is up", response_model=Health)
    async def healthz() -> Health:
        """Answers 200 while the process runs; checks nothing else."""
        return Health(status="ok", service=service)


def _add_readiness(router: APIRouter, service: str) -> None:
    @router.get(
        f"/{service}/readyz", tags=[TAG], operation_id=f"{service}_readyz",
        summary="Ready to serve", response_model=Health,
        responses={503: {"description": "Not ready: the database is unreachable or its schema "
                                        "is not at the migrations' head"}},
    )
    async def readyz(request: Request) -> Any:
        """200 when the database answers and its schema is at the migrations' head."""
        head = request.app.state.migrations_head
        try:
            async with request.app.state.sessionmaker() as session:
                current = (
                    await session.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar_one_or_none()
        except Exception as exc:
            return _not_ready(request, f"database: {exc.__class__.__name__}",
                              headers={"Retry-After": "2"})
        if head is not None and current != head:
            return _not_ready(request, f"schema at {current}, code expects {head}")
        return Health(status="ready", service=service, database="ok", migration=current)


def _not_ready(request: Request, detail: str,
               headers: dict[str, str] | None = None) -> JSONResponse:
    return problem_response(request, status=503, slug="not-ready", title="Not ready",
                            detail=detail, headers=headers)


def _add_outbox_report(router: APIRouter, service: str) -> None:
    @router.get(f"/{service}/v1/admin/outbox", tags=[TAG], response_model=OutboxReport,
                operation_id=f"{service}_get_outbox",
                summary="Outbox backlog and dead letters")
    async def outbox_report(
        request: Request,
        session: DBSession,
        _: AuditReader,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> OutboxReport:
        """How many events wait for delivery, how many were dead-lettered, and the
        dead letters themselves (newest first) with their last error."""
        relay: OutboxRelay = request.app.state.relay
        stats = await relay.stats(session)
        letters, next_cursor = await relay.dead_letters(session, limit=limit, cursor=cursor)
        items = [DeadLetter.model_validate(letter, from_attributes=True) for letter in letters]
        return OutboxReport(**stats, dead=Page[DeadLetter](items=items, next_cursor=next_cursor))


def _add_outbox_retry(router: APIRouter, service: str) -> None:
    @router.post(f"/{service}/v1/admin/outbox/retry", tags=[TAG], response_model=RetryResult,
                 operation_id=f"{service}_retry_dead_letters",
                 summary="Requeue dead-lettered events")
    async def retry_dead(
        request: Request,
        session: DBSession,
        _: HRAdmin,
        ids: Annotated[list[RowId] | None, Query(description="Only these rows")] = None,
    ) -> RetryResult:
        """Puts dead letters (all, or the given ids) back in the delivery queue."""
        count = await request.app.state.relay.retry_dead(session, ids)  # sent after commit
        return RetryResult(requeued=count)
