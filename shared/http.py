"""Typed httpx clients for service-to-service calls, each signed as this
service for the peer it talks to (shared/service_auth.py)."""

from __future__ import annotations

import weakref
from typing import Any, TypeVar, overload

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


# transport failures after which the request certainly never reached the peer
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)


# each client's absolute URLs of its fixed paths (PeerClient.absolute)
_ABSOLUTE: weakref.WeakKeyDictionary[httpx.AsyncClient, dict[str, httpx.URL]] = (
    weakref.WeakKeyDictionary())


class PeerClient:
    """Base of the typed clients: one method per remote operation, each returning a
    model. Every call goes through :meth:`_send`, so that a peer that cannot be
    reached or fails (5xx) is one error, :meth:`unavailable`'s, wherever it happens."""

    peer_name = "peer"

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    def absolute(self, path: str) -> httpx.URL:
        """The peer's absolute URL of ``path``, made once per client, for a call made
        on every request of a hot route: httpx parses a relative path and merges it
        with the base URL on every call (tens of microseconds). Only for fixed paths:
        each one is kept for the client's life."""
        urls = _ABSOLUTE.setdefault(self.client, {})
        url = urls.get(path)
        if url is None:
            base = self.client.base_url
            url = urls[path] = base.copy_with(
                raw_path=base.raw_path + path.lstrip("/").encode("ascii"))
        return url

    def unavailable(self, detail: str, *, maybe_applied: bool,
                    retry_after: int) -> DependencyUnavailable:
        """The error a call that the peer did not answer raises: 503 with Retry-After.
        ``maybe_applied``: the request may have reached the peer and been applied with
        its answer lost (only for calls made with ``maybe_applied=True``). A client
        whose callers must tell that apart returns its own subclass."""
        return DependencyUnavailable(detail, retry_after=retry_after)

    async def _send(self, method: str, path: str | httpx.URL, *, maybe_applied: bool = False,
                    **kwargs: Any) -> httpx.Response:
        """The peer's answer below 500; :meth:`unavailable` when it cannot be reached
        or fails, ``HTTPStatusError`` for any other 4xx (the caller reads the refusal)."""
        try:
            resp = await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise self.unavailable(
                f"{self.peer_name} is not reachable: {exc.__class__.__name__}",
                maybe_applied=maybe_applied and not isinstance(exc, NOT_SENT),
                retry_after=5) from exc
        if resp.status_code >= 500:
            raise self.unavailable(f"{self.peer_name} answered {resp.status_code}",
                                   maybe_applied=maybe_applied, retry_after=retry_after(resp))
        resp.raise_for_status()
        return resp

    @overload
    async def _request(self, method: str, path: str | httpx.URL, model: type[M], *,
                       maybe_applied: bool = False, **kwargs: Any) -> M: ...

    @overload
    async def _request(self, method: str, path: str | httpx.URL, model: None = None, *,
                       maybe_applied: bool = False, **kwargs: Any) -> dict[str, Any] | None: ...

    async def _request(self, method: str, path: str | httpx.URL, model: type[M] | None = None, *,
                       maybe_applied: bool = False, **kwargs: Any) -> M | dict[str, Any] | None:
        """:meth:`_send`, its answer read as ``model`` (straight from the JSON text), or
        as a JSON object without one (None for 204)."""
        resp = await self._send(method, path, maybe_applied=maybe_applied, **kwargs)
        if model is not None:
            return model.model_validate_json(resp.content)
        if resp.status_code == 204:
            return None
        answer: dict[str, Any] = resp.json()
        return answer


def retry_after(resp: httpx.Response, default: int = 5) -> int:
    """The peer's Retry-After in seconds (1 to 60), ``default`` when it gives none."""
    try:
        return max(1, min(60, int(resp.headers.get("retry-after", str(default)))))
    except ValueError:
        return default
