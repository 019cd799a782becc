"""Webhooks never reach inward: loopback, private, link-local, multicast,
reserved and unspecified addresses are refused in every spelling, when
subscribing and again at each delivery; redirects are not followed; only the
status and timing of a receiver's answer are kept unless excerpts are turned on.

The test stack allows 127.77.0.0/16 (where the test receivers listen) and
nothing else, so the rest of loopback, where the services and the gateway run,
shows what a deployment without an allow-list does."""

import ipaddress
import socket
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from services.points_api.webhooks.config import WebhookSettings
from services.points_api.webhooks.delivery import dispatcher, make_client
from services.points_api.webhooks.repository import insert_subscription
from services.points_api.webhooks.targets import TargetRefused, TargetUnresolved, vet
from tests.points_api.event_factories import HR
from tests.points_api.webhooks.helpers import delivery_of, publish_now
from tests.points_api.webhooks.receiver import RECEIVER_NETWORK, Receiver

WEBHOOKS = "/points/v1/webhooks"
ALLOWED = [ipaddress.ip_network(RECEIVER_NETWORK)]

INWARD = [
    "http://127.0.0.1:{gateway}/points/v1/webhooks", "http://localhost:{gateway}/",
    "http://[::1]/", "http://0.0.0.0/", "http://0/", "http://2130706433/",
    "http://0x7f000001/", "http://0x7f.1/", "http://127.1/", "http://0177.0.0.1/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[2002:7f00:1::]/",
    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://[fc00::1]/",
    "http://224.0.0.1/", "http://[ff02::1]/", "http://240.0.0.1/", "http://100.64.0.1/",
    "http://255.255.255.255/", "http://[::]/", "https://a.b.localhost/",
]


@pytest.mark.parametrize("url", INWARD)
async def test_inward_addresses_are_refused_in_every_spelling(gw, stack, url):
    url = url.format(gateway=stack.config.gateway_port)
    r = await gw.post(WEBHOOKS, headers=HR, json={"url": url, "event_types": ["*"]})
    assert r.status_code == 403, (url, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/webhook-target-forbidden"), r.text
    assert [e["pointer"] for e in r.json()["errors"]] == ["#/url"]


async def test_a_refused_name_does_not_tell_what_it_resolves_to(gw):
    """The answer names the kind of address, not the address: subscribing is no way to
    look up the internal network's names."""
    r = await gw.post(WEBHOOKS, headers=HR, json={"url": "http://localhost:9/",
                                                  "event_types": ["*"]})
    assert r.status_code == 403, r.text
    detail = r.json()["detail"]
    assert "localhost resolves to an address that is not public (loopback)" in detail
    assert "127.0.0.1" not in detail and "::1" not in detail


async def test_a_name_that_does_not_resolve_cannot_be_judged_and_is_refused(gw):
    r = await gw.post(WEBHOOKS, headers=HR, json={
        "url": "http://metadata.google.internal/computeMetadata/v1/", "event_types": ["*"]})
    assert r.status_code == 403, r.text
    assert r.json()["type"].endswith("/webhook-target-unresolvable")


async def test_changing_the_url_is_checked_like_creating(gw, subscribe, receiver, stack):
    sub = await subscribe(receiver.url, ["*"])
    inward = f"http://127.0.0.1:{stack.config.ports['points']}/points/v1/internal/events"
    patched = await gw.patch(f"{WEBHOOKS}/{sub['id']}", headers=HR, json={"url": inward})
    replaced = await gw.put(f"{WEBHOOKS}/{sub['id']}", headers=HR,
                            json={"url": inward, "event_types": ["*"]})
    for r in (patched, replaced):
        assert r.status_code == 403 and r.json()["type"].endswith("/webhook-target-forbidden")
    assert (await gw.get(f"{WEBHOOKS}/{sub['id']}", headers=HR)).json()["url"] == receiver.url
    ok = await gw.patch(f"{WEBHOOKS}/{sub['id']}", headers=HR, json={"description": "x"})
    assert ok.status_code == 200  # a change that keeps the URL does not resolve it again


async def test_each_delivery_checks_the_address_again(gw, points_db, receivers):
    """A subscription whose URL leads inward by now (a name that changed its answer,
    or one stored before these checks) is sent nothing; the attempt says why."""
    inside = Receiver(host="127.0.0.1").start()
    receivers.append(inside)
    sub_id = uuid.uuid4()
    async with points_db() as session, session.begin():
        await insert_subscription(session, {
            "id": sub_id, "url": inside.url, "event_types": ["leave.granted"],
            "secret": "whsec_test", "created_by": "HR001"})
    try:
        event_id, count = await publish_now(points_db, "leave.granted", {"employee_no": "E1"})
        assert count >= 1
        dead = await delivery_of(gw, str(sub_id), event_id, status="dead")
        assert all(a["status_code"] is None for a in dead["attempts"])
        assert "not a public address (loopback)" in dead["attempts"][0]["error"]
        assert inside.for_event(event_id) == []
    finally:
        await gw.delete(f"{WEBHOOKS}/{sub_id}", headers=HR)


@pytest.mark.parametrize(("answers", "reason"), [
    (["93.184.215.14", "127.0.0.1"], "loopback"),
    (["10.1.2.3"], "private"),
    (["2001:db8::1"], "private"),
    (["::ffff:169.254.169.254"], "link-local"),
])
async def test_every_address_a_name_resolves_to_must_be_public(monkeypatch, answers, reason):
    monkeypatch.setattr(socket, "getaddrinfo", _resolver(answers))
    with pytest.raises(TargetRefused, match=reason) as refused:
        await vet("https://hooks.example.com/in", allowed=[], within=2)
    assert not any(address in str(refused.value) for address in answers)


async def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _resolver(["127.77.3.4"]))
    target = await vet("https://hooks.example.com:8443/in?x=1", allowed=ALLOWED, within=2)
    assert str(target.url) == "https://127.77.3.4:8443/in?x=1"
    assert target.headers == {"Host": "hooks.example.com:8443"}
    assert target.extensions == {"sni_hostname": "hooks.example.com"}
    monkeypatch.setattr(socket, "getaddrinfo", _resolver([]))
    with pytest.raises(TargetUnresolved):
        await vet("https://hooks.example.com/in", allowed=ALLOWED, within=2)


async def test_redirects_are_not_followed_and_answers_are_not_kept_by_default():
    receiver = Receiver(lambda _request, _seen: 307).start()
    try:
        settings = WebhookSettings(allowed_networks=ALLOWED)
        async with make_client(settings) as client:
            outcome = await dispatcher.send(client, _claim(receiver.url), settings=settings)
            assert (outcome.succeeded, outcome.status_code) == (False, 307)
            assert outcome.response_excerpt is None
            kept = WebhookSettings(allowed_networks=ALLOWED, store_response_excerpts=True)
            outcome = await dispatcher.send(client, _claim(receiver.url), settings=kept)
            assert "已收到" in outcome.response_excerpt
        assert len(receiver.requests) == 2
        without = WebhookSettings()  # no allow-list: the receiver's loopback is refused
        async with make_client(without) as client:
            refused = await dispatcher.send(client, _claim(receiver.url), settings=without)
        assert refused.status_code is None and "loopback" in refused.error
        assert len(receiver.requests) == 2
    finally:
        receiver.stop()


def _resolver(answers: list[str]):
    def getaddrinfo(host, port, *args, **kwargs):
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port)) for a in answers]
    return getaddrinfo


def _claim(url: str) -> SimpleNamespace:
    return SimpleNamespace(
        id=1, url=url, event_id=uuid.uuid4(), event_type="webhook.ping",
        occurred_at=datetime.now(UTC), payload={"message": "ping"}, secret="whsec_test",
        previous_secret=None, previous_secret_expires_at=None)
