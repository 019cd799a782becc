"""Minting user tokens: what ``jifen token`` signs.

Apart from :mod:`shared.auth` (which verifies tokens inside FastAPI) so that the
command line can sign a token without importing the web stack.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import jwt

# The roles a user token can carry. ``service`` is not one of them: services sign
# their calls to each other with keys of their own (shared/service_auth.py).
ROLES = ("employee", "manager", "assessor", "hr_admin", "auditor", "integration")


def mint_token(
    *,
    secret: str,
    sub: str,
    roles: Iterable[str],
    issuer: str,
    audience: str,
    ttl_seconds: int = 3600,
    departments: Iterable[str] = (),
    algorithm: str = "HS256",
    name: str | None = None,
) -> str:
    roles = list(roles)
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(
            f"unknown role(s): {', '.join(sorted(unknown))}; known: {', '.join(ROLES)}"
        )
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": sub,
        "roles": roles,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if departments:
        claims["departments"] = list(departments)
    if name:
        claims["name"] = name
    return jwt.encode(claims, secret, algorithm=algorithm)
