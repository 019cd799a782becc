"""Typed httpx clients for service-to-service calls, each signed as this
service for the peer it talks to (shared/service_auth.py)."""

from __future__ import annotations

from typing import Any, TypeVar

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from pydantic import BaseModel

from shared.errors import DependencyUnavailable
from shared.service_auth import ServiceCredentials
from shared.settings import ServiceSettings

M = TypeVar("M", bound=BaseModel)


class PeerTransport(AiohttpTransport):
    """httpx's API over aiohttp's connection handling: a call to a peer costs a
    fraction of the CPU httpcore's costs (bench/peer_http.py measures both).

    One correction to the exceptions the transport maps: a connection that broke
    after the request was sent (the peer died mid-way, the socket was reset) comes
    out as ``ConnectTimeout``, which callers rightly read as "never sent". It is
    raised as ``RemoteProtocolError`` (maybe applied) instead, so that, for example,
    a hold whose answer was lost is looked up later rather than forgotten."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.ConnectTimeout as exc:
            cause = exc.__cause__
            if isinstance(cause, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
                raise
            if isinstance(cause, aiohttp.ClientConnectionError):
                raise httpx.RemoteProtocolError(str(exc), request=request) from cause
            raise


def peer_limits(settings: ServiceSettings) -> httpx.Limits:
    """Keep-alive connections for as many calls at once as the service serves
    requests, so that a full load never reconnects."""
    return httpx.Limits(max_connections=settings.concurrency * 2,
                        max_keepalive_connections=settings.concurrency, keepalive_expiry=4.0)


def make_peer_client(settings: ServiceSettings, base_url: str, *,
                     audience: str) -> httpx.AsyncClient:
    """A client of the peer ``audience`` (its service name) at ``base_url``."""
    limits = peer_limits(settings)
    return httpx.AsyncClient(
        base_url=base_url,
        auth=ServiceCredentials(settings, audience),
        timeout=httpx.Timeout(settings.peer_timeout_seconds, connect=2.0),
        limits=limits,
        transport=PeerTransport(limits=limits),
    )


class PeerClient:
    """Base of the typed clients: one method per remote operation, each returning a model."""

    peer_name = "peer"

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def _request(
        self, method: str, path: str, model: type[M] | None = None, **kwargs: Any
    ) -> M | dict[str, Any] | None:
        try:
            resp = await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise DependencyUnavailable(
                f"{self.peer_name} is not reachable: {exc.__class__.__name__}"
            ) from exc
        if resp.status_code >= 500:
            raise DependencyUnavailable(f"{self.peer_name} answered {resp.status_code}")
        resp.raise_for_status()
        if resp.status_code == 204:
            return None
        data = resp.json()
        return model.model_validate(data) if model is not None else data
