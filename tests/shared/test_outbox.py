"""The outbox: nothing lost while a consumer is down, redelivery harmless,
several relays never deliver a row twice, dead letters visible and retryable."""

import asyncio
import json
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import MetaData, func, select, text

from services.training_api.config import Settings
from services.training_api.db import kit_tables
from shared.db import create_engine, make_sessionmaker
from shared.http import make_peer_client
from shared.outbox import DELIVERY_LANES, OutboxRelay, enqueue, outbox_table
from shared.pagination import encode_cursor
from tests.conftest import call_direct
from tests.factories import create_employee, create_org, uid


async def wait_for(predicate, within: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + within
    while True:
        result = await predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


def facts(no: str, version: int, name: str = "张伟") -> dict:
    return {
        "employee_no": no,
        "name": name,
        "department_code": "D1",
        "department_path": ["D1"],
        "department_is_pilot": False,
        "job_role_code": "R1",
        "job_role_family": "production",
        "is_front_line": True,
        "hired_on": None,
        "status": "active",
        "version": version,
    }


def batch(*events: tuple[uuid.UUID, dict]) -> dict:
    return {
        "events": [
            {
                "event_id": str(eid),
                "event_type": "employee.upserted",
                "occurred_at": datetime.now(UTC).isoformat(),
                "producer": "training",
                "payload": payload,
            }
            for eid, payload in events
        ]
    }


async def outbox_in_schema(training_db, schema: str):
    """An outbox table of its own, in a fresh schema: no relay of the stack sees it."""
    t = outbox_table(MetaData(schema=schema))
    async with training_db() as session, session.begin():
        await session.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        await session.execute(text(f"CREATE SCHEMA {schema}"))
        await session.run_sync(lambda s: t.metadata.create_all(s.connection()))
    return t


async def test_points_down_during_sync_then_catches_up(stack, gw, hr):
    org = await create_org(gw)
    stack.stop_service("points")
    try:
        made = [
            await create_employee(
                gw, department=org["department"]["code"], role=org["role"]["code"]
            )
            for _ in range(20)
        ]
        report = (await gw.get("/training/v1/admin/outbox", headers=hr)).json()
        assert report["backlog"] >= 20
    finally:
        stack.start_service("points")

    async def all_synced():
        for emp in made:
            r = await call_direct(gw, "GET", f"/points/v1/internal/employees/"
                                  f"{emp['employee_no']}", headers=hr)
            if r.status_code != 200 or r.json()["version"] != emp["version"]:
                return False
        return True

    await wait_for(all_synced, within=120)
    # rewards never went down: it has them too
    r = await call_direct(gw, "GET", f"/rewards/v1/internal/employees/{made[0]['employee_no']}",
                          headers=hr)
    assert r.status_code == 200 and r.json()["name"] == "张伟"


async def test_redelivery_and_stale_versions_change_nothing(gw, hr):
    no, first = uid("RD"), uuid.uuid4()
    receipts = []
    for _ in range(3):
        r = await call_direct(
            gw, "POST", "/points/v1/internal/events", caller="training",
            json=batch((first, facts(no, 10, "原名"))),
        )
        assert r.status_code == 200, r.text
        receipts.append(r.json()["receipts"][0]["status"])
    assert receipts == ["applied", "duplicate", "duplicate"]
    # an older version arriving late (another relay was slower) is ignored
    r = await call_direct(
        gw, "POST", "/points/v1/internal/events", caller="training",
        json=batch((uuid.uuid4(), facts(no, 9, "旧名"))),
    )
    assert r.json()["receipts"][0]["result"]["stale"] is True
    copy = (await call_direct(gw, "GET", f"/points/v1/internal/employees/{no}",
                              headers=hr)).json()
    assert (copy["name"], copy["version"]) == ("原名", 10)


@pytest.fixture
async def training_db(stack):
    engine = create_engine(stack.database_url("training"))
    yield make_sessionmaker(engine)
    await engine.dispose()


async def test_two_relays_never_deliver_a_row_twice(stack, training_db):
    """Two relays drain one outbox (a table of its own, so the running service's
    relay stays out of the count): every row is POSTed exactly once."""
    settings = Settings(outbox_batch_size=25)
    t = await outbox_in_schema(training_db, "relay_test")
    posted: Counter[str] = Counter()

    async def count(request: httpx.Request) -> None:
        for event in __import__("json").loads(request.content)["events"]:
            posted[event["event_id"]] += 1

    nos = [uid("TR") for _ in range(200)]
    async with training_db() as session, session.begin():
        ids = []
        for i, no in enumerate(nos):
            ids += [e.row_id for e in await enqueue(
                session,
                t,
                event_type="employee.upserted",
                payload=facts(no, i + 1),
                destinations=["points"],
            )]
    relays = []
    for _ in range(2):
        client = make_peer_client(settings, stack.direct_url("points"), audience="points")
        client.event_hooks["request"] = [count]
        relays.append(
            OutboxRelay(
                service="training",
                table=t,
                sessionmaker=training_db,
                settings=settings,
                destinations={"points": (client, "/points/v1/internal/events")},
            )
        )
    try:

        async def drain(relay):
            while await relay.deliver_pending():
                pass

        await asyncio.gather(drain(relays[0]), drain(relays[1]), drain(relays[0]), drain(relays[1]))
    finally:
        for relay in relays:
            for client, _ in relay.destinations.values():
                await client.aclose()
    async with training_db() as session:
        rows = (
            await session.execute(
                select(t.c.event_id, t.c.delivered_at, t.c.attempts).where(t.c.id.in_(ids))
            )
        ).all()
    assert [r for r in rows if r.delivered_at is None or r.attempts != 1] == []
    mine = {str(r.event_id) for r in rows}
    assert {e: n for e, n in posted.items() if e in mine} == {e: 1 for e in mine}


async def test_rejected_event_is_dead_lettered_and_can_be_retried(stack, gw, hr, training_db):
    async with training_db() as session, session.begin():
        ids = [e.row_id for e in await enqueue(
            session,
            kit_tables.outbox,
            event_type="employee.upserted",
            payload={"employee_no": "BROKEN"},
            destinations=["points"],
        )]
    t = kit_tables.outbox

    async def dead():
        async with training_db() as session:
            return (
                await session.execute(select(t.c.dead_at, t.c.last_error).where(t.c.id == ids[0]))
            ).one().dead_at is not None

    await wait_for(dead)
    report = (await gw.get("/training/v1/admin/outbox", headers=hr)).json()
    assert report["dead_letters"] >= 1
    letter = next(d for d in report["dead"]["items"] if d["id"] == ids[0])
    assert "invalid employee facts" in letter["last_error"]
    r = await gw.post("/training/v1/admin/outbox/retry", headers=hr, params={"ids": ids[0]})
    assert r.json() == {"requeued": 1}
    await wait_for(dead)  # rejected again: a retry cannot fix a bad payload


async def test_the_relay_loop_leaves_a_fresh_row_to_the_producer_delivering_it(
        stack, training_db):
    """A recording delivers its fact event itself right after commit and answers with
    the points: the relay loop must not take that row in between (deliver_now would
    find nothing, and the answer would say pending). It takes over after the grace."""
    settings = Settings()
    t = await outbox_in_schema(training_db, "grace_test")
    no = uid("GR")
    async with training_db() as session, session.begin():
        mine, other = [(await enqueue(
            session, t, event_type="employee.upserted", payload=facts(n, 1),
            destinations=["points"], delivered_by_caller=by_caller))[0].row_id
            for n, by_caller in ((no, True), (uid("GR"), False))]
    client = make_peer_client(settings, stack.direct_url("points"), audience="points")
    relay = OutboxRelay(service="training", table=t, sessionmaker=training_db,
                        settings=settings,
                        destinations={"points": (client, "/points/v1/internal/events")})
    try:
        looped = await relay.deliver_pending()
        (delivered,) = await relay.deliver_now([mine])
    finally:
        await client.aclose()
    assert looped == 1  # the other row only
    assert delivered.row_id == mine and delivered.delivered
    async with training_db() as session:
        rows = dict((await session.execute(select(t.c.id, t.c.delivered_at))).all())
    assert rows[mine] is not None and rows[other] is not None


async def test_rows_handed_over_leave_by_their_ids_and_on_stop(stack, training_db):
    """Rows a producer hands over to the loop (outbox.hand_over) leave in its next batch,
    read by their ids: other due rows wait for the loop's look for everything due. The
    ids handed over since the last batch are delivered when the relay stops."""
    settings = Settings()
    t = await outbox_in_schema(training_db, "handed_test")
    async with training_db() as session, session.begin():
        handed, other, last = [(await enqueue(
            session, t, event_type="employee.upserted", payload=facts(uid("HO"), 1),
            destinations=["points"]))[0].row_id for _ in range(3)]
    client = make_peer_client(settings, stack.direct_url("points"), audience="points")
    relay = OutboxRelay(service="training", table=t, sessionmaker=training_db,
                        settings=settings,
                        destinations={"points": (client, "/points/v1/internal/events")})

    async def delivered() -> set[int]:
        async with training_db() as session:
            return set((await session.execute(
                select(t.c.id).where(t.c.delivered_at.is_not(None)))).scalars())

    try:
        relay.hand_over([handed])
        more = await relay.deliver_handed()
        after_batch = await delivered()
        relay.hand_over([last])
        await relay.stop()
        after_stop = await delivered()
    finally:
        await client.aclose()
    assert more is False
    assert after_batch == {handed}
    assert after_stop == {handed, last}  # ``other`` waits for the look for what is due
    assert other not in after_stop


async def test_deliveries_at_the_same_moment_travel_together(stack, training_db):
    """Events their producers deliver at the same moment leave in a few calls, not one
    each: while DELIVERY_LANES calls are on their way the others wait and go together.
    Each caller still gets its own event's receipt, and the rows are marked delivered."""
    settings = Settings()
    t = await outbox_in_schema(training_db, "lanes_test")
    nos = [uid("LN") for _ in range(12)]
    async with training_db() as session, session.begin():
        events = await enqueue(session, t, event_type="employee.upserted",
                                      payload=[facts(no, 1) for no in nos],
                                      destinations=["points"], delivered_by_caller=True)
    calls: list[int] = []

    async def count(request: httpx.Request) -> None:
        calls.append(len(json.loads(request.content)["events"]))

    client = make_peer_client(settings, stack.direct_url("points"), audience="points")
    client.event_hooks["request"].append(count)
    relay = OutboxRelay(service="training", table=t, sessionmaker=training_db,
                        settings=settings,
                        destinations={"points": (client, "/points/v1/internal/events")})
    try:
        answers = await asyncio.gather(*[relay.deliver_events([e], timeout=30) for e in events])
        await relay.stop()  # lets the batched mark of the delivered rows finish
    finally:
        await client.aclose()
    assert [a[0].row_id for a in answers] == [e.row_id for e in events]
    assert all(a[0].delivered and a[0].response["status"] == "applied" for a in answers)
    assert sum(calls) == len(events) and len(calls) <= DELIVERY_LANES + 1 < len(events)
    async with training_db() as session:
        marked = (await session.execute(
            select(func.count()).select_from(t).where(t.c.delivered_at.is_not(None)))).scalar()
    assert marked == len(events)


@pytest.mark.parametrize("service", ["training", "points", "rewards"])
@pytest.mark.parametrize("values", [["x"], [0], [2**63], [1.5], [True], [None], [1, 2]])
async def test_a_dead_letter_cursor_not_made_by_the_list_is_a_problem(gw, hr, service, values):
    """The cursor is opaque but only base64 JSON: one that holds anything but a row id
    names no page of the dead letters (404 invalid-cursor), never a server error."""
    r = await gw.get(f"/{service}/v1/admin/outbox", headers=hr,
                     params={"cursor": encode_cursor(values)})
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/invalid-cursor")


def scripted_consumer(script: list):
    """A consumer (httpx.MockTransport) that answers each call with the next step of
    ``script``: "timeout" (no answer within the peer timeout), an HTTP status, or the
    receipt status every event of the call gets ("applied", "failed")."""

    def answer(request: httpx.Request) -> httpx.Response:
        step = script.pop(0)
        if step == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if isinstance(step, int):
            return httpx.Response(step, json={"title": "busy"})
        events = json.loads(request.content)["events"]
        return httpx.Response(200, json={"receipts": [
            {"event_id": e["event_id"], "status": step, "error": "not yet"} for e in events]})

    return httpx.AsyncClient(base_url="http://points.test", transport=httpx.MockTransport(answer))


async def deliver_script(training_db, schema: str, script: list, max_attempts: int):
    """One event, delivered by the relay loop once for each step of ``script``; the
    row as each pass left it (the backoff is skipped between passes)."""
    t = await outbox_in_schema(training_db, schema)
    async with training_db() as session, session.begin():
        (event,) = await enqueue(session, t, event_type="employee.upserted",
                                      payload=facts(uid("TT"), 1), destinations=["points"])
    row_id = event.row_id
    client = scripted_consumer(script)
    relay = OutboxRelay(service="training", table=t, sessionmaker=training_db,
                        settings=Settings(outbox_max_attempts=max_attempts),
                        destinations={"points": (client, "/points/v1/internal/events")})
    passes = []
    try:
        while script:
            await relay.deliver_pending()
            async with training_db() as session, session.begin():
                row = (await session.execute(
                    select(t, t.c.available_at > func.now()).where(t.c.id == row_id))).one()
                passes.append(row)
                await session.execute(t.update().values(available_at=func.now()))
    finally:
        await client.aclose()
    return passes


async def test_an_event_whose_consumer_does_not_answer_is_never_dead_lettered(training_db):
    """Read timeouts and busy answers are transient: the event is retried with backoff
    for as long as they last (here more often than outbox_max_attempts) and delivered
    once the consumer answers; nothing is lost."""
    script = ["timeout", 503, "timeout", 504, "timeout", 429, "timeout", "applied"]
    passes = await deliver_script(training_db, "transient_test", script, max_attempts=3)
    waiting, delivered = passes[:-1], passes[-1]
    assert [p.dead_at for p in waiting] == [None] * 7
    assert all(p[-1] for p in waiting), "every failure backs off"
    assert [p.attempts for p in waiting] == [1, 2, 3, 4, 5, 6, 7]
    assert "ReadTimeout" in waiting[-1].last_error
    assert delivered.delivered_at is not None and delivered.dead_at is None


async def test_failures_the_consumer_answers_count_toward_dead_letters(training_db):
    """A consumer that answers "failed" (or 500) each time dead-letters the event after
    outbox_max_attempts of its answers, however many timeouts came between them."""
    script = ["failed", "timeout", 500, "timeout", "timeout", "failed"]
    passes = await deliver_script(training_db, "answered_test", script, max_attempts=3)
    assert [p.dead_at is not None for p in passes] == [False] * 5 + [True]
    assert (passes[-1].attempts, passes[-1].transient_failures) == (6, 3)
