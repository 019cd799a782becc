"""Service-to-service credentials: who is calling, proven with a key no user
token can stand in for.

Each service has its own Ed25519 signing key (``<PREFIX>SERVICE_KEY``). A call
to a peer carries a short-lived token signed with it (EdDSA) whose ``iss``
names the calling service, ``sub`` is ``service:<caller>`` and ``aud`` names
the callee. The callee holds only the public keys of the services that may
call it (``<PREFIX>SERVICE_PUBLIC_KEYS``) and each internal route names the
caller it accepts, so:

- a user token (HMAC with the user signing key) never verifies here: the
  algorithm is fixed to EdDSA and the key is looked up by the issuing service;
- a service cannot speak as another one, since it holds no other private key
  (unlike a shared secret, which every holder could sign with);
- a token meant for one service is refused by the others (audience).

Transport-independent: :class:`ServiceCredentials` plugs into any httpx client
and :func:`service_caller` into any FastAPI route.

Cost: a caller mints one token per callee and reuses it until 30 s before it
expires; a callee verifies the signature of a token once and then answers it
from a bounded cache until the token expires, as long as the public key of its
issuer is still the one configured (docs/benchmarks.md has the figures).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import TYPE_CHECKING, Annotated

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from shared.auth import Principal
from shared.errors import Forbidden, Unauthorized
from shared.tokens import Role

if TYPE_CHECKING:  # shared.settings imports this module
    from shared.settings import ServiceSettings

SERVICES = ("training", "points", "rewards")
ALGORITHM = "EdDSA"
TOKEN_TTL_SECONDS = 120
MAX_TTL_SECONDS = 600  # a longer-lived token is refused, whatever signed it
CLOCK_SKEW_SECONDS = 30


def _dev_key(service: str) -> str:
    seed = hashlib.sha256(f"jifen-dev-only-insecure-service-key:{service}".encode()).digest()
    return base64.urlsafe_b64encode(seed).decode().rstrip("=")


# Clearly marked development-only keys, derived from public strings: anyone can
# compute them, so the services refuse them outside development and test.
DEV_SERVICE_KEYS = {service: _dev_key(service) for service in SERVICES}


def _raw(key: str, what: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(key.strip() + "=" * (-len(key.strip()) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what} is not base64url") from exc
    if len(raw) != 32:
        raise ValueError(f"{what} must be 32 bytes (base64url), got {len(raw)}")
    return raw


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@functools.lru_cache(maxsize=16)
def private_key(key: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_raw(key, "a service key"))


@functools.lru_cache(maxsize=64)
def public_key(key: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_raw(key, "a service public key"))


def public_key_of(key: str) -> str:
    """The public half of a service key, as the services that it calls configure it."""
    raw = private_key(key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _b64(raw)


def generate_key() -> str:
    """A new random service key (base64url of a 32-byte Ed25519 seed)."""
    return _b64(Ed25519PrivateKey.generate().private_bytes_raw())


DEV_SERVICE_PUBLIC_KEYS = {s: public_key_of(k) for s, k in DEV_SERVICE_KEYS.items()}


def mint_service_token(*, key: str, caller: str, audience: str,
                       ttl_seconds: int = TOKEN_TTL_SECONDS) -> str:
    now = int(time.time())
    claims = {"iss": caller, "sub": f"service:{caller}", "aud": audience,
              "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, private_key(key), algorithm=ALGORITHM,
                      headers={"typ": "service+jwt"})


# (token, audience) -> (issuer, the issuer's public key it was verified with, exp)
_VERIFIED: dict[tuple[str, str], tuple[str, str, float]] = {}
_VERIFIED_MAX = 1024  # a few tokens per caller are live at once; a flood only clears it


def verify_service_token(token: str, *, audience: str,
                         public_keys: Mapping[str, str]) -> str:
    """The calling service's name. Raises Unauthorized for anything but a valid,
    short-lived token signed by a service whose public key is configured here.
    A token verified before answers from memory until its ``exp`` (no leeway), and
    only while its issuer's configured public key is the one that verified it."""
    cached = _VERIFIED.get((token, audience))
    if cached is not None:
        issuer, key, expires = cached
        if expires > time.time() and public_keys.get(issuer) == key:
            return issuer
        _VERIFIED.pop((token, audience), None)
    issuer, key, expires = _verify(token, audience=audience, public_keys=public_keys)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[(token, audience)] = (issuer, key, expires)
    return issuer


def _verify(token: str, *, audience: str, public_keys: Mapping[str, str]
            ) -> tuple[str, str, float]:
    """(issuer, its public key, exp) of a token checked in full: signature included."""
    try:
        header = jwt.get_unverified_header(token)
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"Not a service token: {exc}") from exc
    if header.get("alg") != ALGORITHM or not isinstance(issuer, str):
        raise Unauthorized("Not a service token: this route is called by services only")
    key = public_keys.get(issuer)
    if key is None:
        raise Unauthorized(f"No public key is configured here for service {issuer!r}")
    try:
        claims = jwt.decode(token, public_key(key), algorithms=[ALGORITHM], audience=audience,
                            issuer=issuer, leeway=CLOCK_SKEW_SECONDS,
                            options={"require": ["exp", "iat", "iss", "aud", "sub"]})
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"The service token is not valid: {exc}") from exc
    lifetime = claims["exp"] - claims["iat"]
    if claims["sub"] != f"service:{issuer}" or not 0 < lifetime <= MAX_TTL_SECONDS:
        raise Unauthorized("The service token's subject or lifetime is not acceptable")
    return issuer, key, float(claims["exp"])


class ServiceCredentials(httpx.Auth):
    """Signs each request to ``audience`` as this service; the token is re-minted
    before it expires."""

    def __init__(self, settings: ServiceSettings, audience: str) -> None:
        self.settings = settings
        self.audience = audience
        self._token = ""
        self._header = ""
        self._expires = 0.0

    def bearer(self) -> str:
        """The Authorization header's value: the token, minted anew 30 s before the
        last one expires."""
        now = time.time()
        if now > self._expires - 30:
            self._token = mint_service_token(key=self.settings.service_key,
                                             caller=self.settings.service_name,
                                             audience=self.audience)
            self._expires = now + TOKEN_TTL_SECONDS
            self._header = f"Bearer {self._token}"
        return self._header

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.bearer()
        yield request


class _ServiceCaller(HTTPBearer):
    """The calling service from its bearer token, in the dependency that also declares
    the bearer scheme (one dependency for FastAPI to solve per request, not two)."""

    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__(auto_error=False, scheme_name="HTTPBearer",
                         description="A service token (services only)")
        self.allowed = allowed

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        credentials = await super().__call__(request)
        if credentials is None:
            raise Unauthorized("Send Authorization: Bearer <service token>")
        settings = request.app.state.settings
        caller = verify_service_token(credentials.credentials, audience=settings.service_name,
                                      public_keys=settings.service_public_keys)
        if caller not in self.allowed:
            raise Forbidden(f"Service {caller!r} may not call this route; "
                            f"only {', '.join(self.allowed)}")
        principal = Principal(sub=f"service:{caller}", roles=frozenset({Role.SERVICE}))
        request.state.principal = principal
        return principal


def service_caller(*allowed: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency factory: the caller must be one of the services ``allowed``.
    Yields a Principal with the ``service`` role, which no user token carries."""
    return _ServiceCaller(allowed)


# ``caller: FromRewards`` in a route's signature: only that service may call the route.
FromTraining = Annotated[Principal, Depends(service_caller("training"))]
FromPoints = Annotated[Principal, Depends(service_caller("points"))]
# the dependency itself, for a lean route's handler (shared.routing.lean)
from_rewards = service_caller("rewards")
FromRewards = Annotated[Principal, Depends(from_rewards)]


def caller_name(principal: Principal) -> str:
    return principal.sub.removeprefix("service:")
