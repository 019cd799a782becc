"""The delivery worker: claims due deliveries with a lease, POSTs each signed
event to its subscriber, and records the attempt.

No transaction stays open across an HTTP call: a short transaction leases the
rows (``FOR UPDATE SKIP LOCKED``, then ``locked_until``), the requests run
concurrently, and each outcome is recorded in a transaction of its own. A worker
that dies mid-way loses its lease after ``lease_seconds`` and the rows are
claimed again. Any number of replicas can run the worker.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import structlog
from fastapi import FastAPI
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.points_api.webhooks import repository as repo
from services.points_api.webhooks.config import WebhookSettings
from services.points_api.webhooks.models import DeliveryStatus
from services.points_api.webhooks.signing import body_bytes, signature_header
from services.points_api.webhooks.targets import TargetRefused, TargetUnresolved, vet
from shared.app import every
from shared.retry import backoff

log = structlog.get_logger("jifen.webhooks")

WEBHOOK_ATTEMPTS = Counter("jifen_webhook_attempts_total",
                           "Webhook delivery attempts by outcome", ["outcome"])
EXCERPT_CHARS = 500
_READ_LIMIT = 4 * EXCERPT_CHARS  # bytes of a receiver's answer read at most
USER_AGENT = "Jifen-Webhooks/1.0"


@dataclass(frozen=True)
class Outcome:
    attempted_at: datetime
    succeeded: bool
    duration_ms: int
    status_code: int | None = None
    error: str | None = None
    response_excerpt: str | None = None


def request_for(claim: Any, *, now: datetime) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt, signed with the current secret (and the
    previous one while it is still valid)."""
    body = body_bytes({"id": str(claim.event_id), "type": claim.event_type,
                       "occurred_at": claim.occurred_at.isoformat(), "data": claim.payload})
    timestamp = int(now.timestamp())
    keys = [claim.secret]
    if claim.previous_secret and (claim.previous_secret_expires_at or now) > now:
        keys.append(claim.previous_secret)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Jifen-Event-Id": str(claim.event_id),
        "Jifen-Event-Type": claim.event_type,
        "Jifen-Delivery-Id": str(claim.id),
        "Jifen-Timestamp": str(timestamp),
        "Jifen-Signature": signature_header(keys, timestamp, body),
    }
    return body, headers


class WebhookDispatcher:
    async def run(self, app: FastAPI) -> int:
        """One pass of the background job."""
        return await self.deliver_due(app.state.sessionmaker, app.state.webhook_client,
                                      app.state.webhook_settings)

    async def deliver_due(self, sessionmaker: async_sessionmaker[AsyncSession],
                          client: httpx.AsyncClient, settings: WebhookSettings) -> int:
        """Claim what is due and deliver it. Returns how many were delivered."""
        lease_id = uuid.uuid4()
        async with sessionmaker() as session, session.begin():
            claims = await repo.claim_due(session, lease_id=lease_id, limit=settings.batch_size,
                                          lease=timedelta(seconds=settings.lease_seconds))
        if not claims:
            return 0
        results = await asyncio.gather(
            *(self._deliver_one(sessionmaker, client, settings, c) for c in claims),
            return_exceptions=True)
        for claim, result in zip(claims, results, strict=True):
            if isinstance(result, BaseException):  # its lease runs out; retried then
                log.warning("webhook_record_failed", delivery_id=claim.id, error=repr(result))
        return sum(1 for r in results if r is True)

    async def _deliver_one(self, sessionmaker: async_sessionmaker[AsyncSession],
                           client: httpx.AsyncClient, settings: WebhookSettings,
                           claim: Any) -> bool:
        outcome = await self.send(client, claim, settings=settings)
        WEBHOOK_ATTEMPTS.labels("delivered" if outcome.succeeded else "failed").inc()
        async with sessionmaker() as session, session.begin():
            await self.record(session, claim, outcome, settings)
        return outcome.succeeded

    async def send(self, client: httpx.AsyncClient, claim: Any, *,
                   settings: WebhookSettings) -> Outcome:
        """POST one event to the address its URL leads to now, checked again at each
        attempt (a name may have changed its answer since it was subscribed). 2xx is
        success; anything else, a refused target, a timeout or a refused connection
        is a failure (redirects are not followed)."""
        attempted_at = datetime.now(UTC)
        body, headers = request_for(claim, now=attempted_at)
        started = time.monotonic()

        def failed(error: str) -> Outcome:
            elapsed = int((time.monotonic() - started) * 1000)
            return Outcome(attempted_at, False, elapsed, error=error[:EXCERPT_CHARS])

        try:
            target = await vet(claim.url, allowed=settings.allowed_networks,
                               within=settings.resolve_timeout_seconds)
        except (TargetRefused, TargetUnresolved) as exc:
            return failed(f"not sent: {exc}")
        limit = settings.timeout_seconds
        try:
            async with client.stream("POST", target.url, content=body,
                                     headers={**headers, **target.headers},
                                     extensions=target.extensions, timeout=limit) as response:
                excerpt = (await _read_excerpt(response)
                           if settings.store_response_excerpts else None)
        except httpx.TimeoutException:
            return failed(f"timed out after {limit:g} s")
        except Exception as exc:  # refused, TLS, protocol: all worth a retry
            return failed(f"{exc.__class__.__name__}: {exc}")
        ok = 200 <= response.status_code < 300
        return Outcome(attempted_at, ok, int((time.monotonic() - started) * 1000),
                       status_code=response.status_code,
                       error=None if ok else f"HTTP {response.status_code}",
                       response_excerpt=excerpt)

    async def record(self, session: AsyncSession, claim: Any, outcome: Outcome,
                     settings: WebhookSettings) -> None:
        """Log the attempt and move the delivery on: delivered, retried later with
        backoff, or dead after ``max_attempts`` failures in a row. A worker whose lease
        was taken over (it ran out) still logs its attempt and a success, but leaves
        the schedule to the new holder."""
        row = await repo.get_delivery_row(session, claim.id, lock=True)
        assert row is not None, "a claimed delivery is never deleted"
        attempt_no = row.attempts + 1
        await repo.insert_attempt(session, {
            "delivery_id": claim.id, "attempt_no": attempt_no,
            "attempted_at": outcome.attempted_at, "succeeded": outcome.succeeded,
            "status_code": outcome.status_code, "duration_ms": outcome.duration_ms,
            "error": outcome.error, "response_excerpt": outcome.response_excerpt})
        values: dict[str, Any] = {"attempts": attempt_no, "last_status_code": outcome.status_code,
                                  "last_error": outcome.error}
        ours = row.lease_id == claim.lease_id
        if ours:
            values.update(locked_until=None, lease_id=None, round_attempts=row.round_attempts + 1)
        if outcome.succeeded:
            values.update(status=DeliveryStatus.DELIVERED, delivered_at=outcome.attempted_at,
                          dead_at=None)
        elif ours and row.status == DeliveryStatus.PENDING:
            if values["round_attempts"] >= settings.max_attempts:
                values.update(status=DeliveryStatus.DEAD, dead_at=datetime.now(UTC))
                log.warning("webhook_dead_letter", delivery_id=claim.id, error=outcome.error)
            else:
                delay = backoff(values["round_attempts"],
                                base_seconds=settings.backoff_base_seconds,
                                max_seconds=settings.backoff_max_seconds)
                values["next_attempt_at"] = datetime.now(UTC) + timedelta(seconds=delay)
        await repo.update_delivery(session, claim.id, values)



async def _read_excerpt(response: httpx.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= _READ_LIMIT:
            break
    return b"".join(chunks)[:_READ_LIMIT].decode("utf-8", "replace")[:EXCERPT_CHARS]


def make_client(settings: WebhookSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=settings.timeout_seconds, follow_redirects=False,
        limits=httpx.Limits(max_connections=settings.batch_size,
                            max_keepalive_connections=settings.batch_size))


dispatcher = WebhookDispatcher()


def webhook_startup(
    settings: WebhookSettings,
) -> Callable[[FastAPI], Coroutine[Any, Any, None]]:
    """Startup hook: the settings the endpoints and the worker read."""

    async def install_webhook_settings(app: FastAPI) -> None:
        app.state.webhook_settings = settings

    return install_webhook_settings


def webhook_delivery_job(
    settings: WebhookSettings,
) -> Callable[[FastAPI], Coroutine[Any, Any, None]]:
    """Background job: the delivery worker, with an HTTP client of its own that is
    closed when the job is cancelled at shutdown."""
    loop = every(settings.poll_seconds, dispatcher.run)

    async def webhook_delivery(app: FastAPI) -> None:
        if not settings.enabled:
            return
        async with make_client(settings) as client:
            app.state.webhook_client = client
            await loop(app)

    return webhook_delivery
