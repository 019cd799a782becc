"""Minting user tokens: what ``jifen token`` signs.

Apart from :mod:`shared.auth` (which verifies tokens inside FastAPI) so that the
command line can sign a token without importing the web stack.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from enum import StrEnum

import jwt


class Role(StrEnum):
    """Who a caller is, as tokens name it (API.md's roles)."""

    EMPLOYEE = "employee"
    MANAGER = "manager"
    ASSESSOR = "assessor"
    HR_ADMIN = "hr_admin"
    AUDITOR = "auditor"
    INTEGRATION = "integration"
    # A calling service proves who it is with its own key (shared/service_auth.py) and
    # gets this role only from there: a "service" role in a user token is ignored.
    SERVICE = "service"


# The roles a user token can carry: every one but ``service``.
ROLES = tuple(role.value for role in Role if role is not Role.SERVICE)


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
