"""Where the ``jifen`` command finds Jifen: the environment variables and defaults
that ``make run`` (``jifen run``) starts the stack with, read in one place so that
every command finds the stack that ``make run`` started, on whatever ports.

    JIFEN_URL               the gateway; default http://127.0.0.1:$JIFEN_GATEWAY_PORT
    JIFEN_GATEWAY_PORT      8080
    JIFEN_PG_PORT           55432 (the embedded PostgreSQL)
    JIFEN_TRAINING_PORT, JIFEN_POINTS_PORT, JIFEN_REWARDS_PORT   8001, 8002, 8003
    JIFEN_DATA_DIR          var/ of the repository
    TRAINING_/POINTS_/REWARDS_DATABASE_URL   an external PostgreSQL instead
    JIFEN_JWT_SECRET, JIFEN_JWT_ISSUER, JIFEN_JWT_AUDIENCE   token signing: the
                            CLI signs with them and `jifen run` hands them to the
                            services (as <SERVICE>_JWT_SECRET, ...), so both agree
    JIFEN_RATE_PER_SECOND, JIFEN_BURST   the gateway's limit per client (1000, 2000)
    JIFEN_ADDRESS_RATE_PER_SECOND, JIFEN_ADDRESS_BURST   and per address (10x those)

Light on imports on purpose: ``jifen token`` and ``jifen --help`` read it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, TypedDict
from urllib.parse import urlsplit, urlunsplit

from shared.defaults import DEFAULT_PORTS, DEV_JWT_SECRET, dev_database_url

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("training", "points", "rewards")
DEFAULT_GATEWAY_PORT = 8080
DEFAULT_PG_PORT = 55432


def _port(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"jifen: {name}={value!r} is not a port number") from None


def gateway_port() -> int:
    return _port("JIFEN_GATEWAY_PORT", DEFAULT_GATEWAY_PORT)


def gateway_url() -> str:
    """JIFEN_URL when set (a gateway elsewhere), else the local gateway's port."""
    return os.environ.get("JIFEN_URL") or f"http://127.0.0.1:{gateway_port()}"


def pg_port() -> int:
    return _port("JIFEN_PG_PORT", DEFAULT_PG_PORT)


def service_port(service: str) -> int:
    return _port(f"JIFEN_{service.upper()}_PORT", DEFAULT_PORTS[service])


class GatewayLimits(TypedDict, total=False):
    """The gateway's limits a ``StackConfig`` takes, each only when set."""

    rate_per_second: int
    burst: int
    address_rate_per_second: int
    address_burst: int


GATEWAY_LIMIT_NAMES: tuple[Literal["rate_per_second", "burst", "address_rate_per_second",
                                   "address_burst"], ...] = (
    "rate_per_second", "burst", "address_rate_per_second", "address_burst")


def gateway_limits() -> GatewayLimits:
    """The gateway's rate limits set in the environment (the others keep their
    defaults), as keyword arguments of the stack's configuration."""
    limits: GatewayLimits = {}
    for name in GATEWAY_LIMIT_NAMES:
        value = os.environ.get(f"JIFEN_{name.upper()}")
        if value:
            try:
                limits[name] = int(value)
            except ValueError:
                raise SystemExit(f"jifen: JIFEN_{name.upper()}={value!r} is not a number") \
                    from None
    return limits


def data_dir() -> Path:
    return Path(os.environ.get("JIFEN_DATA_DIR") or REPO_ROOT / "var")


def external_database_url(service: str) -> str | None:
    return os.environ.get(f"{service.upper()}_DATABASE_URL") or None


def database_url(service: str) -> str:
    """The service's database as ``make run`` configured it: its own URL when set,
    else the embedded PostgreSQL on JIFEN_PG_PORT."""
    return external_database_url(service) or dev_database_url(
        service, host=f"127.0.0.1:{pg_port()}")


def without_password(url: str) -> str:
    """A URL fit for a message: the password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def token_settings() -> tuple[str, str, str]:
    """(secret, issuer, audience) to sign tokens with; the defaults match `make run`."""
    return (
        os.environ.get("JIFEN_JWT_SECRET", DEV_JWT_SECRET),
        os.environ.get("JIFEN_JWT_ISSUER", "jifen"),
        os.environ.get("JIFEN_JWT_AUDIENCE", "jifen"),
    )


def service_token_env() -> dict[str, str]:
    """What `jifen run` gives each service so that it accepts the tokens the CLI signs:
    <SERVICE>_JWT_SECRET, _JWT_ISSUER and _JWT_AUDIENCE from :func:`token_settings`.
    A service variable set apart and different from it would make the services refuse
    the CLI's tokens (or one service refuse another's callers): that is an error."""
    values = dict(zip(("JWT_SECRET", "JWT_ISSUER", "JWT_AUDIENCE"), token_settings(),
                      strict=True))
    env = {}
    for service in SERVICES:
        for name, value in values.items():
            variable = f"{service.upper()}_{name}"
            if os.environ.get(variable, value) != value:
                raise SystemExit(
                    f"jifen: {variable} differs from JIFEN_{name} (or its development "
                    f"default); `jifen run` gives every service JIFEN_{name}, which the "
                    f"CLI signs tokens with: set JIFEN_{name} and unset {variable}")
            env[variable] = value
    return env


def default_token() -> str:
    """A development hr_admin token (subject ``JIFEN-CLI``) for commands run without
    --token."""
    from shared.tokens import mint_token

    secret, issuer, audience = token_settings()
    return mint_token(secret=secret, sub="JIFEN-CLI", roles=["hr_admin"], issuer=issuer,
                      audience=audience, ttl_seconds=3600)
