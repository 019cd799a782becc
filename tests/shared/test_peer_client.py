"""The kit's peer request (shared.http.PeerClient) on a mock transport: what a call
answers, and the one error a peer that is away or failing gives, with whether the
request may have been applied and the peer's Retry-After."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from pydantic import BaseModel

from services.rewards_api.config import Settings
from shared.errors import DependencyUnavailable
from shared.http import PeerClient, make_peer_client
from shared.service_auth import DEV_SERVICE_PUBLIC_KEYS, verify_service_token


class Answer(BaseModel):
    points: int


def client(handler: Callable[[httpx.Request], httpx.Response]) -> PeerClient:
    peer = PeerClient(httpx.AsyncClient(base_url="http://peer.test",
                                        transport=httpx.MockTransport(handler)))
    peer.peer_name = "points_api"
    return peer


def failing(exc: type[httpx.TransportError]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc("down", request=request)
    return handler


async def test_an_answer_is_read_as_the_model_or_as_a_json_object():
    peer = client(lambda request: httpx.Response(200, json={"points": 7}))
    assert await peer._request("GET", "/x", Answer) == Answer(points=7)
    assert await peer._request("GET", "/x") == {"points": 7}
    assert await client(lambda request: httpx.Response(204))._request("DELETE", "/x") is None


async def test_a_refusal_is_left_to_the_caller():
    peer = client(lambda request: httpx.Response(409, json={"type": "x/insufficient-points"}))
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await peer._request("POST", "/x", Answer, maybe_applied=True)
    assert refused.value.response.status_code == 409


async def test_a_failing_peer_is_unavailable_with_its_retry_after():
    peer = client(lambda request: httpx.Response(503, headers={"Retry-After": "17"}))
    with pytest.raises(DependencyUnavailable) as down:
        await peer._request("GET", "/x", Answer)
    assert down.value.status == 503 and down.value.headers == {"Retry-After": "17"}
    assert "points_api answered 503" in down.value.detail
    for header, seconds in (("900", "60"), ("soon", "5")):
        peer = client(lambda request, h=header: httpx.Response(502, headers={"Retry-After": h}))
        with pytest.raises(DependencyUnavailable) as down:
            await peer._request("GET", "/x")
        assert down.value.headers == {"Retry-After": seconds}


class Recording(PeerClient):
    """A client whose callers must know whether a failed call may have been applied."""

    def unavailable(self, detail: str, *, maybe_applied: bool,
                    retry_after: int) -> DependencyUnavailable:
        error = DependencyUnavailable(detail, retry_after=retry_after)
        error.extra["maybe_applied"] = maybe_applied
        return error


@pytest.mark.parametrize(("exc", "status", "declared", "maybe_applied"), [
    (httpx.ConnectError, None, True, False),      # never sent
    (httpx.ConnectTimeout, None, True, False),    # never sent
    (httpx.ReadTimeout, None, True, True),        # sent, answer lost
    (httpx.RemoteProtocolError, None, True, True),
    (httpx.ReadTimeout, None, False, False),      # a read: nothing to apply
    (None, 500, True, True),                      # the peer failed while applying it
])
async def test_whether_a_failed_call_may_have_been_applied(exc, status, declared,
                                                          maybe_applied):
    handler = failing(exc) if exc else (lambda request: httpx.Response(status))
    peer = Recording(httpx.AsyncClient(base_url="http://peer.test",
                                       transport=httpx.MockTransport(handler)))
    with pytest.raises(DependencyUnavailable) as down:
        await peer._request("POST", "/x", Answer, maybe_applied=declared)
    assert down.value.extra["maybe_applied"] is maybe_applied


@pytest.mark.parametrize("base", ["http://peer.test", "http://peer.test/prefix/"])
async def test_a_fixed_paths_absolute_url_is_where_the_relative_path_goes(base):
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"points": 1})

    peer = PeerClient(httpx.AsyncClient(base_url=base, transport=httpx.MockTransport(handler)))
    url = peer.absolute("/points/v1/internal/spends")
    assert peer.absolute("/points/v1/internal/spends") is url  # made once per client
    await peer._request("POST", "/points/v1/internal/spends")
    await peer._request("POST", url)
    assert seen[0] == seen[1] == url


# PeerClient._post_json: the hot call, straight through the peer's aiohttp session, here
# against a small real server on a free port (what it sends, and every way it fails)

class _Peer(asyncio.Protocol):
    """A peer that answers each request with ``answer`` (None: never; b"": closes the
    connection once the request is in), keeping what it was sent."""

    def __init__(self, answer: bytes | None, seen: list[bytes]) -> None:
        self.answer, self.seen, self.buffer = answer, seen, b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head, _, body = self.buffer.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        if not _ or len(body) < length:
            return
        self.seen.append(self.buffer)
        self.buffer = b""
        if self.answer == b"":
            self.transport.close()
        elif self.answer is not None:
            self.transport.write(self.answer)


def _http(status: str, body: bytes = b"", *headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"content-length: {len(body)}",
             "content-type: application/json", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@contextlib.asynccontextmanager
async def peer_at(answer: bytes | None, seen: list[bytes] | None = None,
                  peer_timeout: float = 5.0) -> AsyncIterator[Recording]:
    """A Recording client of a peer answering ``answer``, made as the services make
    theirs (make_peer_client: the service token, the timeouts, the aiohttp session)."""
    server = await asyncio.get_running_loop().create_server(
        lambda: _Peer(answer, seen if seen is not None else []), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = Settings(peer_timeout_seconds=peer_timeout)
    client = make_peer_client(settings, f"http://127.0.0.1:{port}", audience="points")
    try:
        yield Recording(client)
    finally:
        await client.aclose()
        server.close()


async def test_the_hot_call_sends_json_signed_as_the_service_and_reads_the_model():
    seen: list[bytes] = []
    async with peer_at(_http("201 Created", b'{"points": 7}'), seen) as peer:
        url = peer.absolute("/points/v1/internal/spends")
        assert await peer._post_json(url, b'{"x": 1}', Answer, maybe_applied=True) \
            == Answer(points=7)
        assert await peer._post_json(url, b'{"x": 2}', Answer, maybe_applied=True) \
            == Answer(points=7)  # the same kept-alive connection
    head, _, body = seen[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {name.lower(): value for name, value in
               (line.split(": ", 1) for line in lines[1:])}
    assert lines[0] == "POST /points/v1/internal/spends HTTP/1.1" and body == b'{"x": 1}'
    assert headers["content-type"] == "application/json"
    assert "cookie" not in headers
    token = headers["authorization"].removeprefix("Bearer ")
    assert verify_service_token(token, audience="points",
                                public_keys=DEV_SERVICE_PUBLIC_KEYS) == "rewards"


async def test_the_hot_calls_refusal_is_left_to_the_caller_with_the_peers_answer():
    problem = b'{"type": "x/insufficient-points", "spendable": 3}'
    async with peer_at(_http("409 Conflict", problem)) as peer:
        with pytest.raises(httpx.HTTPStatusError) as refused:
            await peer._post_json(peer.absolute("/x"), b"{}", Answer, maybe_applied=True)
    assert refused.value.response.status_code == 409
    assert refused.value.response.json()["spendable"] == 3


@pytest.mark.parametrize(("answer", "peer_timeout", "maybe_applied", "retry_after"), [
    (_http("503 Service Unavailable", b"", "retry-after: 17"), 5.0, True, "17"),
    (_http("500 Internal Server Error"), 5.0, True, "5"),
    (b"", 5.0, True, "5"),       # the connection broke once the request was sent
    (None, 0.2, True, "5"),      # no answer within the peer timeout
])
async def test_a_hot_call_the_peer_did_not_answer_may_have_been_applied(
        answer, peer_timeout, maybe_applied, retry_after):
    async with peer_at(answer, peer_timeout=peer_timeout) as peer:
        with pytest.raises(DependencyUnavailable) as down:
            await peer._post_json(peer.absolute("/x"), b"{}", Answer, maybe_applied=True)
        with pytest.raises(DependencyUnavailable) as read:  # a call that applies nothing
            await peer._post_json(peer.absolute("/x"), b"{}", Answer, maybe_applied=False)
    assert down.value.extra["maybe_applied"] is maybe_applied
    assert read.value.extra["maybe_applied"] is False
    assert down.value.headers == {"Retry-After": retry_after}


async def test_a_hot_call_to_a_peer_not_listening_was_never_sent():
    async with peer_at(None) as peer:
        pass  # the server is closed: nothing listens on its port any more
    client = make_peer_client(Settings(), str(peer.client.base_url), audience="points")
    try:
        with pytest.raises(DependencyUnavailable) as down:
            await Recording(client)._post_json(client.base_url.join("/x"), b"{}", Answer,
                                               maybe_applied=True)
    finally:
        await client.aclose()
    assert down.value.extra["maybe_applied"] is False
    assert "peer is not reachable" in down.value.detail


async def test_a_hot_call_on_a_mock_transport_goes_through_httpx():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"points": 2})

    peer = PeerClient(httpx.AsyncClient(base_url="http://peer.test",
                                        transport=httpx.MockTransport(handler)))
    assert await peer._post_json(peer.absolute("/x"), b'{"a": 1}', Answer,
                                 maybe_applied=True) == Answer(points=2)
    assert seen[0].content == b'{"a": 1}'
    assert seen[0].headers["content-type"] == "application/json"
