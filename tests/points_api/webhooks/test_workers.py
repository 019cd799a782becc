"""Several delivery workers at once (the service's own and two more racing it
here) never send one delivery twice."""

import asyncio
import time
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import select

from services.points_api.webhooks import repository as repo
from services.points_api.webhooks.config import WebhookSettings
from services.points_api.webhooks.delivery import WebhookDispatcher
from services.points_api.webhooks.models import WebhookAttempt, WebhookDelivery
from services.points_api.webhooks.publish import publish
from tests.points_api.webhooks.helpers import delivery_of
from tests.points_api.webhooks.receiver import RECEIVER_NETWORK, Receiver

EVENTS = 40


async def test_concurrent_workers_send_each_delivery_once(gw, subscribe, receivers, points_db):
    slow = Receiver(delay=0.05).start()
    receivers.append(slow)
    sub = await subscribe(slow.url, ["points.awarded"])
    settings = WebhookSettings(batch_size=7, backoff_base_seconds=0.2, backoff_max_seconds=0.5,
                               max_attempts=4, lease_seconds=30,
                               allowed_networks=[RECEIVER_NETWORK])
    ids = [uuid.uuid4() for _ in range(EVENTS)]
    async with points_db() as session, session.begin():
        for i, event_id in enumerate(ids):
            await publish(session, event_type="points.awarded", event_id=event_id,
                          payload={"employee_no": f"E{i:04d}", "points": i, "reason": "完成课程"})

    async def worker(client: httpx.AsyncClient) -> int:
        dispatcher, sent = WebhookDispatcher(), 0
        for _ in range(60):
            sent += await dispatcher.deliver_due(points_db, client, settings)
        return sent

    async with httpx.AsyncClient() as one, httpx.AsyncClient() as two:
        sent = await asyncio.gather(worker(one), worker(two))
    assert sum(sent) > 0  # the racing workers here took part, not only the service's
    for event_id in ids:
        await slow.wait_for(event_id)
    await asyncio.sleep(0.5)
    counts = {event_id: len(slow.for_event(event_id)) for event_id in ids}
    assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}

    d, a = WebhookDelivery.__table__, WebhookAttempt.__table__
    async with points_db() as session:
        rows = (await session.execute(
            select(d.c.status, d.c.locked_until)
            .where(d.c.subscription_id == uuid.UUID(sub["id"])))).all()
        succeeded = (await session.execute(
            select(a.c.delivery_id).join(d, d.c.id == a.c.delivery_id)
            .where(d.c.subscription_id == uuid.UUID(sub["id"]), a.c.succeeded))).scalars().all()
    assert len(rows) == EVENTS
    assert {(r.status, r.locked_until) for r in rows} == {("delivered", None)}
    assert len(succeeded) == len(set(succeeded)) == EVENTS


async def test_a_crashed_workers_claim_comes_back_after_its_lease(gw, subscribe, receiver,
                                                                  points_db):
    sub = await subscribe(receiver.url, ["honour.awarded"])
    event_id = uuid.uuid4()
    async with points_db() as session, session.begin():
        await publish(session, event_type="honour.awarded", event_id=event_id,
                      payload={"employee_no": "E1001", "honour": "年度优秀员工"})
        # a worker claims it in the publishing transaction, then dies before sending
        claims = await repo.claim_due(session, lease_id=uuid.uuid4(),
                                      lease=timedelta(seconds=1), limit=500)
        assert event_id in [c.event_id for c in claims]
    leased_at = time.monotonic()
    [request] = await receiver.wait_for(event_id)
    assert request.at - leased_at >= 0.8  # nobody touched it while the lease held
    detail = await delivery_of(gw, sub["id"], event_id, status="delivered")
    assert [a["attempt_no"] for a in detail["attempts"]] == [1]
