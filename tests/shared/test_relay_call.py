"""The relay's call to a consumer goes straight through the peer client's aiohttp
session (shared.outbox._post_json): every way the call ends must come out as it did
through httpx, since what the relay does next (retry without counting, count toward dead
letters, dead-letter at once) depends on it. Against a small real server on a free port."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData

from services.rewards_api.config import Settings
from shared.contracts.events import EventBatchReceipt, EventReceipt
from shared.http import make_peer_client
from shared.outbox import OutboxRelay, outbox_table
from tests.shared.test_peer_client import _http, peer_at

PATH = "/points/v1/internal/events"


def relay_of(client) -> OutboxRelay:
    return OutboxRelay(service="training", table=outbox_table(MetaData()), sessionmaker=None,
                       destinations={"points": (client, PATH)}, settings=Settings())


def rows(n: int) -> list[dict]:
    return [{"id": i, "event_id": uuid.uuid4(), "event_type": "course.completed",
             "occurred_at": datetime.now(UTC), "payload": {"n": i}} for i in range(n)]


async def test_a_batch_is_posted_signed_and_its_receipts_read():
    batch, seen = rows(2), []
    receipt = EventBatchReceipt(receipts=[
        EventReceipt(event_id=batch[0]["event_id"], status="applied", result={"points": 5}),
        EventReceipt(event_id=batch[1]["event_id"], status="failed", error="later")])
    async with peer_at(_http("200 OK", receipt.model_dump_json().encode()), seen) as peer:
        deliveries = await relay_of(peer.client)._post_batch("points", batch)
    head = seen[0].partition(b"\r\n\r\n")[0].decode().lower()
    assert head.startswith(f"post {PATH} http/1.1") and "authorization: bearer " in head
    assert [(d.delivered, d.error) for d in deliveries] == [(True, None), (False, "later")]
    assert deliveries[0].response == {"event_id": str(batch[0]["event_id"]),
                                      "status": "applied", "result": {"points": 5}}


@pytest.mark.parametrize(("answer", "peer_timeout", "transient", "permanent", "error"), [
    (_http("503 Service Unavailable", b"busy"), 5.0, True, False, "HTTP 503: busy"),
    (_http("500 Internal Server Error", b"oops"), 5.0, False, False, "HTTP 500: oops"),
    (_http("422 Unprocessable Entity", b"{}"), 5.0, False, True, "HTTP 422: {}"),
    (b"", 5.0, True, False, "ServerDisconnectedError"),  # broke once the batch was sent
    (None, 0.2, True, False, "Timeout"),                 # no answer within the peer timeout
])
async def test_a_call_that_fails_is_told_as_through_httpx(answer, peer_timeout, transient,
                                                           permanent, error):
    async with peer_at(answer, peer_timeout=peer_timeout) as peer:
        deliveries = await relay_of(peer.client)._post_batch("points", rows(1))
    [d] = deliveries
    assert (d.delivered, d.transient, d.permanent) == (False, transient, permanent)
    assert error in (d.error or "")


async def test_a_consumer_not_listening_is_a_transient_failure():
    async with peer_at(None) as peer:
        pass  # the server is closed: nothing listens on its port any more
    client = make_peer_client(Settings(), str(peer.client.base_url), audience="points")
    try:
        [d] = await relay_of(client)._post_batch("points", rows(1))
    finally:
        await client.aclose()
    assert (d.delivered, d.transient, d.permanent) == (False, True, False)
