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
JSON_HEADERS = {"content-type": "application/json"}


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

    def get_client(self) -> aiohttp.ClientSession:
        """The transport's aiohttp session, without a cookie jar: peers set no cookies,
        and the jar would be searched and filled on every answer."""
        if isinstance(self.client, aiohttp.ClientSession):
            return self.client
        connector = aiohttp.TCPConnector(keepalive_timeout=self.limits.keepalive_expiry,
                                         limit=self.limits.max_connections or 0,
                                         ssl=self.ssl_context)
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    def session(self) -> aiohttp.ClientSession:
        """The aiohttp session the transport sends with (made at the first call, in the
        running event loop)."""
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()
        return self.client


class PeerHTTPClient(httpx.AsyncClient):
    """The httpx client of one peer, which keeps its transport at hand: a hot call
    (:meth:`PeerClient._post_json`) goes straight to the transport's aiohttp session."""

    def __init__(self, *, transport: PeerTransport, credentials: ServiceCredentials,
                 timeout: httpx.Timeout, **kwargs: Any) -> None:
        super().__init__(transport=transport, auth=credentials, timeout=timeout, **kwargs)
        self.peer_transport = transport
        self.credentials = credentials
        # httpx's timeouts as the transport gives them to aiohttp
        self.aiohttp_timeout = aiohttp.ClientTimeout(
            sock_connect=timeout.connect, sock_read=timeout.read, connect=timeout.pool)

    async def post_json_direct(self, url: str, content: bytes
                               ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """POST JSON text to ``url`` (absolute) straight through the transport's aiohttp
        session, with the service token and httpx's timeouts, without httpx's request
        and response objects and auth flow around it (about a third of a call's CPU):
        the answer's status, raw headers and body; aiohttp's errors as they come."""
        headers = {**JSON_HEADERS, "authorization": self.credentials.bearer()}
        async with self.peer_transport.session().post(
                url, data=content, headers=headers, timeout=self.aiohttp_timeout,
                allow_redirects=False, auto_decompress=False) as resp:
            return resp.status, list(resp.raw_headers), await resp.read()


def peer_limits(settings: ServiceSettings) -> httpx.Limits:
    """Keep-alive connections for as many calls at once as the service serves
    requests, so that a full load never reconnects."""
    return httpx.Limits(max_connections=settings.concurrency * 2,
                        max_keepalive_connections=settings.concurrency, keepalive_expiry=4.0)


def make_peer_client(settings: ServiceSettings, base_url: str, *,
                     audience: str) -> PeerHTTPClient:
    """A client of the peer ``audience`` (its service name) at ``base_url``."""
    limits = peer_limits(settings)
    return PeerHTTPClient(
        base_url=base_url,
        credentials=ServiceCredentials(settings, audience),
        timeout=httpx.Timeout(settings.peer_timeout_seconds, connect=2.0),
        limits=limits,
        transport=PeerTransport(limits=limits),
    )


# transport failures after which the request certainly never reached the peer
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)
# the same, from aiohttp (PeerClient._post_json): no connection was made, or none came
# free of the pool in time
AIOHTTP_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


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

    async def _post_json(self, url: httpx.URL, content: bytes, model: type[M], *,
                         maybe_applied: bool) -> M:
        """POST ``content`` (JSON text) to ``url`` (:meth:`absolute`) and read a 2xx
        answer as ``model``, as :meth:`_request` does, failing the same way (the
        refusal as ``HTTPStatusError`` with the peer's answer), for a call made on
        every request of a hot route: straight through the peer's aiohttp session,
        without httpx's request and response objects and auth flow around it (about
        a third of the call's CPU). A client without that session (a mock transport)
        goes through :meth:`_request`."""
        client = self.client
        if not isinstance(client, PeerHTTPClient):
            return await self._request("POST", url, model, content=content,
                                       headers=JSON_HEADERS, maybe_applied=maybe_applied)
        try:
            status, raw_headers, body = await client.post_json_direct(str(url), content)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self.unavailable(
                f"{self.peer_name} is not reachable: {exc.__class__.__name__}",
                maybe_applied=maybe_applied and not isinstance(exc, AIOHTTP_NOT_SENT),
                retry_after=5) from exc
        if 200 <= status < 300:
            return model.model_validate_json(body)
        answer = httpx.Response(status, headers=raw_headers, content=body,
                                request=httpx.Request("POST", url))
        if status >= 500:
            raise self.unavailable(f"{self.peer_name} answered {status}",
                                   maybe_applied=maybe_applied,
                                   retry_after=retry_after(answer))
        raise httpx.HTTPStatusError(f"{self.peer_name} answered {status}",
                                    request=answer.request, response=answer)


def retry_after(resp: httpx.Response, default: int = 5) -> int:
    """The peer's Retry-After in seconds (1 to 60), ``default`` when it gives none."""
    try:
        return max(1, min(60, int(resp.headers.get("retry-after", str(default)))))
    except ValueError:
        return default
