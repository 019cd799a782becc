"""Routes only services call are not public, and a service proves who it is with
its own key: the gateway answers 404 for every internal path, and at the
services themselves a token signed with the user key, whatever its roles, is no
service credential. Each route accepts the one service that calls it."""

import base64
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.points_api.config import Settings as PointsSettings
from shared.service_auth import (
    DEV_SERVICE_KEYS,
    DEV_SERVICE_PUBLIC_KEYS,
    generate_key,
    mint_service_token,
    public_key_of,
)
from shared.settings import InsecureSettingsError
from tests.conftest import auth, call_direct, service_headers, signed_with_user_key
from tests.points_api.event_factories import account, envelope, fact, new_employee

HR = auth("HR001", "hr_admin")
# The master key of the report: a "service" role in a token signed with the user key.
FORGED = signed_with_user_key({"sub": "svc", "roles": ["service"]})
NO = "E10001"
INTERNAL = [
    ("POST", "/points/v1/internal/events"),
    ("GET", f"/points/v1/internal/employees/{NO}"),
    ("POST", "/points/v1/internal/confirmer-range"),
    ("GET", "/points/v1/internal/analytics/quantiles"),
    ("POST", "/points/v1/internal/holds"),
    ("GET", f"/points/v1/internal/holds/{uuid.uuid4()}"),
    ("GET", f"/points/v1/internal/accounts/{NO}"),
    ("POST", "/rewards/v1/internal/events"),
    ("GET", f"/rewards/v1/internal/employees/{NO}"),
    ("GET", f"/training/v1/internal/employees/{NO}/skills"),
]
SPELLINGS = ["/points/v1/%69nternal/events", "/points//v1/internal/events",
             "/points/v1/./internal/events", "/points/v1/x/../internal/events",
             "/points/v1/internal%2Fevents", "/points/v1/INTERNAL/events",
             "/points/v1/internal"]


@pytest.mark.parametrize(("method", "path"), INTERNAL)
async def test_the_gateway_does_not_route_internal_paths(gw, method, path):
    callee = path.split("/")[1]
    for headers in (HR, FORGED, service_headers("rewards", callee)):
        r = await gw.request(method, path, headers=headers, json={"events": []})
        assert r.status_code == 404, (path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"].endswith("/not-found")


@pytest.mark.parametrize("path", SPELLINGS)
async def test_no_spelling_of_an_internal_path_gets_through(gw, path):
    r = await gw.post(path, headers=service_headers("training", "points"), json={"events": []})
    assert r.status_code == 404, (path, r.text)


async def test_a_forged_service_token_earns_nothing_even_at_the_service(gw):
    """The report's attack: +100 points from a skill_application.confirmed event with no
    fact behind it, posted with a user-key token that says it is a service."""
    no = (await new_employee(gw))["employee_no"]
    forged = envelope("skill_application.confirmed",
                      fact(no, summary="伪造", points=100, confirmer="M1"))
    for headers in (FORGED, HR, signed_with_user_key({"iss": "training", "aud": "points",
                                                      "sub": "service:training"})):
        r = await call_direct(gw, "POST", "/points/v1/internal/events", headers=headers,
                              json={"events": [forged]})
        assert r.status_code == 401, r.text
        assert r.json()["type"].endswith("/unauthorized")
    assert (await account(gw, no))["balance"] == 0


async def test_holds_and_copies_cannot_be_touched_with_user_keys(gw):
    no = (await new_employee(gw))["employee_no"]
    hold = {"hold_id": str(uuid.uuid4()), "employee_no": no, "points": 1, "reason": "冻结",
            "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    r = await call_direct(gw, "POST", "/points/v1/internal/holds", headers=FORGED, json=hold)
    assert r.status_code == 401
    moved = envelope("employee.upserted", {"employee_no": no,
                                           "occurred_at": datetime.now(UTC).isoformat()})
    r = await call_direct(gw, "POST", "/rewards/v1/internal/events", headers=FORGED,
                          json={"events": [moved]})
    assert r.status_code == 401
    r = await call_direct(gw, "GET", f"/points/v1/internal/accounts/{no}", headers=FORGED)
    assert r.status_code == 401


@pytest.mark.parametrize(("case", "token"), [
    ("for another service", lambda: mint_service_token(
        key=DEV_SERVICE_KEYS["training"], caller="training", audience="rewards")),
    ("signed by a key nobody configured", lambda: mint_service_token(
        key=generate_key(), caller="training", audience="points")),
    ("claims to be another service", lambda: jwt.encode(
        {"iss": "training", "sub": "service:training", "aud": "points",
         "iat": int(time.time()), "exp": int(time.time()) + 60},
        Ed25519PrivateKey.from_private_bytes(_raw(DEV_SERVICE_KEYS["rewards"])),
        algorithm="EdDSA")),
    ("lives too long", lambda: mint_service_token(
        key=DEV_SERVICE_KEYS["training"], caller="training", audience="points",
        ttl_seconds=86_400)),
    ("expired", lambda: jwt.encode(
        {"iss": "training", "sub": "service:training", "aud": "points",
         "iat": int(time.time()) - 400, "exp": int(time.time()) - 200},
        Ed25519PrivateKey.from_private_bytes(_raw(DEV_SERVICE_KEYS["training"])),
        algorithm="EdDSA")),
    ("unsigned", lambda: jwt.encode(
        {"iss": "training", "sub": "service:training", "aud": "points",
         "iat": int(time.time()), "exp": int(time.time()) + 60}, None, algorithm="none")),
])
async def test_service_tokens_are_checked(gw, case, token):
    r = await call_direct(gw, "POST", "/points/v1/internal/events", json={"events": []},
                          headers={"Authorization": f"Bearer {token()}"})
    assert r.status_code == 401, (case, r.text)


async def test_each_route_accepts_its_own_caller(gw):
    ok = await call_direct(gw, "POST", "/points/v1/internal/events", caller="training",
                           json={"events": []})
    assert ok.status_code == 200, ok.text
    wrong = await call_direct(gw, "POST", "/rewards/v1/internal/events", caller="points",
                              json={"events": []})
    assert wrong.status_code == 403 and wrong.json()["type"].endswith("/forbidden")
    skills = f"/training/v1/internal/employees/{NO}/skills"
    assert (await call_direct(gw, "GET", skills, caller="rewards")).status_code == 403
    assert (await call_direct(gw, "GET", skills, caller="points")).status_code in (200, 404)


def test_development_service_keys_are_refused_outside_development():
    real = {"environment": "production", "database_url": "postgresql+asyncpg://u:p@db/x",
            "jwt_secret": "s" * 48}
    with pytest.raises(InsecureSettingsError, match="service key"):
        PointsSettings(**real)
    with pytest.raises(InsecureSettingsError, match="service key"):
        PointsSettings(**real, service_key=DEV_SERVICE_KEYS["points"])
    key = generate_key()
    with pytest.raises(InsecureSettingsError, match="SERVICE_PUBLIC_KEYS"):
        PointsSettings(**real, service_key=key)
    with pytest.raises(InsecureSettingsError, match="development key"):
        PointsSettings(**real, service_key=key,
                       service_public_keys={"training": DEV_SERVICE_PUBLIC_KEYS["training"]})
    peer = public_key_of(generate_key())
    s = PointsSettings(**real, service_key=key, service_public_keys={"training": peer})
    assert s.service_public_keys == {"training": peer}


def _raw(key: str) -> bytes:
    return base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))


def test_a_verified_service_token_is_answered_from_memory_until_it_expires(monkeypatch):
    from shared import service_auth

    keys = {"training": DEV_SERVICE_PUBLIC_KEYS["training"]}
    token = mint_service_token(key=DEV_SERVICE_KEYS["training"], caller="training",
                               audience="points")
    assert service_auth.verify_service_token(token, audience="points",
                                             public_keys=keys) == "training"
    checks = []
    real = service_auth._verify
    monkeypatch.setattr(service_auth, "_verify", lambda *a, **k: checks.append(1) or real(
        *a, **k))
    for _ in range(3):
        assert service_auth.verify_service_token(token, audience="points",
                                                 public_keys=keys) == "training"
    assert checks == []  # no signature checked again
    with pytest.raises(Exception, match="not valid"):  # another audience: checked in full
        service_auth.verify_service_token(token, audience="rewards", public_keys=keys)
    assert checks == [1]
    rotated = {"training": public_key_of(generate_key())}
    with pytest.raises(Exception, match="not valid"):  # the key that verified it is gone
        service_auth.verify_service_token(token, audience="points", public_keys=rotated)
    assert len(checks) == 2
    for _ in range(2):  # checked in full once more under the key configured again
        assert service_auth.verify_service_token(token, audience="points",
                                                 public_keys=keys) == "training"
    assert len(checks) == 3
    after_expiry = time.time() + service_auth.TOKEN_TTL_SECONDS + 1
    monkeypatch.setattr(service_auth.time, "time", lambda: after_expiry)
    service_auth.verify_service_token(token, audience="points", public_keys=keys)
    assert len(checks) == 4  # past its exp, the token is checked in full again


def test_the_service_token_cache_stays_bounded(monkeypatch):
    from shared import service_auth

    monkeypatch.setattr(service_auth, "_VERIFIED_MAX", 8)
    keys = {"training": DEV_SERVICE_PUBLIC_KEYS["training"]}
    for ttl in range(10, 30):
        token = mint_service_token(key=DEV_SERVICE_KEYS["training"], caller="training",
                                   audience="points", ttl_seconds=ttl)
        service_auth.verify_service_token(token, audience="points", public_keys=keys)
        assert len(service_auth._VERIFIED) <= 8
