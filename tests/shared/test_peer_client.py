"""The kit's peer request (shared.http.PeerClient) on a mock transport: what a call
answers, and the one error a peer that is away or failing gives, with whether the
request may have been applied and the peer's Retry-After."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from pydantic import BaseModel

from shared.errors import DependencyUnavailable
from shared.http import PeerClient


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
