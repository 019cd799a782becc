"""JWT bearer authentication and role dependencies.

Tokens carry ``sub`` (employee number or integration name), ``roles`` and,
for managers, ``departments``. Algorithms are fixed by configuration, and
``exp``, ``iss`` and ``aud`` are required: a token without them is refused.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from shared.errors import Forbidden, Unauthorized
from shared.identity import canonical_employee_no
from shared.tokens import ROLES, Role
from shared.tokens import mint_token as mint_token  # re-exported for the tests and the CLI

# The longest a user token may still be valid for (jifen token signs 8 h by default).
MAX_TOKEN_LIFETIME_SECONDS = 31 * 86400



@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject, roles and managed departments."""

    sub: str
    roles: frozenset[str]
    departments: tuple[str, ...] = field(default_factory=tuple)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_privileged_reader(self) -> bool:
        """HR, auditors, integrations and services read every record."""
        return self.has(Role.HR_ADMIN, Role.AUDITOR, Role.INTEGRATION, Role.SERVICE)

    @property
    def reads_training_records(self) -> bool:
        """Who reads every employee and every training record: the privileged readers,
        and assessors, who record exam and practical results about anyone and must find
        the employee and their record to do so. Points, honours and redemptions are not
        theirs to read: there an assessor is an employee like any other."""
        return self.is_privileged_reader or self.has(Role.ASSESSOR)

    def manages(self, departments: Iterable[str]) -> bool:
        """A manager whose token names one of ``departments``: an employee's department
        and every department above it, so that a manager sees their sub-departments."""
        return self.has(Role.MANAGER) and not set(self.departments).isdisjoint(departments)

    def may_read_employee(self, employee_no: str, departments: Iterable[str], *,
                          training_records: bool = False) -> bool:
        """Whether this caller reads what belongs to one employee (in ``departments``,
        as for :meth:`manages`): their own, their managers', and the privileged
        readers' (assessors too for ``training_records``). The one definition every
        service asks, so that a role reads the same employees everywhere."""
        everyone = self.reads_training_records if training_records else self.is_privileged_reader
        return everyone or self.sub == employee_no or self.manages(departments)


_VERIFIED: dict[tuple[str, ...], tuple[Principal, float]] = {}
_VERIFIED_MAX = 10_000


def decode_token(
    token: str, *, secret: str, algorithms: list[str], issuer: str, audience: str
) -> Principal:
    """Verify a token. A token verified before is answered from memory until it
    expires (mobile clients send the same token on every request)."""
    key = (token, secret, issuer, audience, *algorithms)
    cached = _VERIFIED.get(key)
    if cached is not None:
        if cached[1] > time.time():
            return cached[0]
        _VERIFIED.pop(key, None)
    principal, expires = _verify(
        token, secret=secret, algorithms=algorithms, issuer=issuer, audience=audience
    )
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = (principal, expires)
    return principal


def _verify(
    token: str, *, secret: str, algorithms: list[str], issuer: str, audience: str
) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=algorithms,
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"The token is not valid: {exc}") from exc
    expires = _expiry(claims)
    roles = claims.get("roles") or []
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Unauthorized("The token's roles claim must be a list of strings")
    departments = claims.get("departments") or []
    if not isinstance(departments, list):
        raise Unauthorized("The token's departments claim must be a list")
    granted = frozenset(r for r in roles if r in ROLES)
    sub = str(claims["sub"])
    if granted - {Role.INTEGRATION}:  # a person: the subject is their employee number
        sub = canonical_employee_no(sub)
    principal = Principal(sub=sub, roles=granted,
                          departments=tuple(str(d) for d in departments))
    return principal, expires


def _expiry(claims: dict[str, Any]) -> float:
    """``exp`` as a number of seconds (PyJWT also takes "123" and 1e308), no further
    away than MAX_TOKEN_LIFETIME_SECONDS: a token that never expires is refused."""
    exp, iat = claims["exp"], claims.get("iat")
    for name, value in (("exp", exp), ("iat", iat)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise Unauthorized(f"The token's {name} claim must be a whole number of seconds")
    if exp - time.time() > MAX_TOKEN_LIFETIME_SECONDS:
        raise Unauthorized(f"The token expires more than {MAX_TOKEN_LIFETIME_SECONDS // 86400} "
                           "days from now; tokens must be short-lived")
    return float(exp)


class _BearerPrincipal(HTTPBearer):
    """The caller's principal from their bearer token, in the dependency that also
    declares the HTTP bearer scheme in the OpenAPI document: one dependency for FastAPI
    to solve per request instead of two (about 10 us each)."""

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        credentials = await super().__call__(request)
        if credentials is None:
            raise Unauthorized("Send Authorization: Bearer <token>")
        settings = request.app.state.settings
        principal = decode_token(
            credentials.credentials,
            secret=settings.jwt_secret,
            algorithms=settings.jwt_algorithms,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        request.state.principal = principal
        return principal


current_principal = _BearerPrincipal(
    auto_error=False, scheme_name="HTTPBearer",
    description="JWT minted by the identity provider or `jifen token`")


def require_roles(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Dependency factory: the caller must hold at least one of ``roles``."""

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.has(*roles):
            raise Forbidden(f"This operation needs one of the roles: {', '.join(roles)}")
        return principal

    dependency.__name__ = "require_" + "_or_".join(roles)
    return dependency


CurrentUser = Annotated[Principal, Depends(current_principal)]
HRAdmin = Annotated[Principal, Depends(require_roles(Role.HR_ADMIN))]
OrgWriter = Annotated[Principal, Depends(require_roles(Role.HR_ADMIN, Role.INTEGRATION))]
PrivilegedReader = Annotated[
    Principal, Depends(require_roles(Role.HR_ADMIN, Role.AUDITOR, Role.INTEGRATION))
]
StaffReader = Annotated[
    Principal,
    Depends(require_roles(Role.HR_ADMIN, Role.AUDITOR, Role.INTEGRATION, Role.MANAGER,
                          Role.ASSESSOR)),
]
AuditReader = Annotated[Principal, Depends(require_roles(Role.HR_ADMIN, Role.AUDITOR))]
