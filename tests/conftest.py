"""Test fixtures: the real system (embedded PostgreSQL, three services, nginx)
started once per test session on ports of its own, and HTTP clients for it."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from jifen.stack import Stack, StackConfig
from shared.auth import mint_token
from shared.service_auth import DEV_SERVICE_KEYS, mint_service_token
from shared.settings import DEV_JWT_SECRET


def free_port() -> int:
    """A loopback port free right now, so that several test sessions can run at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_token(sub: str, *roles: str, departments: tuple[str, ...] = (), ttl: int = 3600) -> str:
    return mint_token(
        secret=DEV_JWT_SECRET,
        sub=sub,
        roles=roles or ("employee",),
        issuer="jifen",
        audience="jifen",
        ttl_seconds=ttl,
        departments=departments,
    )


def auth(sub: str, *roles: str, departments: tuple[str, ...] = ()) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(sub, *roles, departments=departments)}"}


def signed_with_user_key(claims: dict) -> dict[str, str]:
    """Any claims signed with the (development) user signing key, as someone who holds
    that key could make them, whatever ``mint_token`` allows."""
    now = int(time.time())
    token = jwt.encode({"iss": "jifen", "aud": "jifen", "iat": now, "exp": now + 600, **claims},
                       DEV_JWT_SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


def service_headers(caller: str, callee: str) -> dict[str, str]:
    """Signed as service ``caller`` (its development key) for service ``callee``."""
    token = mint_service_token(key=DEV_SERVICE_KEYS[caller], caller=caller, audience=callee)
    return {"Authorization": f"Bearer {token}"}


# gateway URL -> the stack behind it, so that helpers given a gateway client can
# reach the services directly (the gateway does not route internal paths)
_STACKS: dict[str, Stack] = {}


def register_stack(stack: Stack) -> None:
    """Let ``call_direct`` find the services behind this stack's gateway."""
    _STACKS[stack.gateway_url] = stack


async def call_direct(gw: httpx.AsyncClient, method: str, path: str, *,
                      caller: str | None = None, headers: dict[str, str] | None = None,
                      **kwargs) -> httpx.Response:
    """A request straight to the service that owns ``path`` (its first segment), the
    way a peer service or an operator on the service network makes it; signed as
    service ``caller`` when given."""
    stack = _STACKS[str(gw.base_url).rstrip("/")]
    service = path.split("/")[1]
    headers = {**(headers or {}), **(service_headers(caller, service) if caller else {})}
    return await gw.request(method, stack.direct_url(service) + path, headers=headers, **kwargs)


TEST_ENV = {
    # small pools: every test session runs a whole system (two with replicas) on a
    # shared two-core machine
    "TRAINING_CONCURRENCY": "8",
    "POINTS_CONCURRENCY": "8",
    "REWARDS_CONCURRENCY": "8",
    "TRAINING_OUTBOX_BACKOFF_BASE_SECONDS": "0.2",
    "TRAINING_OUTBOX_POLL_SECONDS": "0.2",
    "POINTS_OUTBOX_POLL_SECONDS": "0.2",
    "REWARDS_OUTBOX_POLL_SECONDS": "0.2",
    "POINTS_HOLD_EXPIRY_POLL_SECONDS": "0.3",
    "TRAINING_OUTBOX_BACKOFF_MAX_SECONDS": "2",
    # with backoff capped at 2 s, 60 attempts outlast a service restart on a loaded
    # machine (half a minute and more), as the production settings' 12 attempts up to
    # 300 s apart do
    "TRAINING_OUTBOX_MAX_ATTEMPTS": "60",
    "REWARDS_OUTBOX_MAX_ATTEMPTS": "60",
    "POINTS_OUTBOX_MAX_ATTEMPTS": "60",
    "POINTS_OUTBOX_BACKOFF_MAX_SECONDS": "2",
    "REWARDS_OUTBOX_BACKOFF_MAX_SECONDS": "2",
    "POINTS_WEBHOOK_POLL_SECONDS": "0.1",
    "POINTS_WEBHOOK_BACKOFF_BASE_SECONDS": "0.2",
    "POINTS_WEBHOOK_BACKOFF_MAX_SECONDS": "0.5",
    "POINTS_WEBHOOK_MAX_ATTEMPTS": "4",
    # the webhook receivers of the tests listen in this loopback range (receiver.py);
    # the rest of loopback, where the services and the gateway are, stays refused
    "POINTS_WEBHOOK_ALLOWED_NETWORKS": '["127.77.0.0/16"]',
    # Tests assert that a recording answers with its points, not how fast (the earning
    # benchmark measures that): on a loaded two-core CI machine a cold path can take
    # longer than the production budget of 0.8 s, turning "awarded" into "pending".
    "TRAINING_FEEDBACK_BUDGET_SECONDS": "5",
    # the forecast worker starts when a test first needs it (each of the suite's service
    # starts would spend seconds of CPU loading it); make fuzz, which holds every answer
    # to 10 s, starts it with the service as production does
    "TRAINING_FORECAST_WORKER_WARM": os.environ.get("JIFEN_FUZZ_TIMING", "0"),
    # the weekly attrition run and digest: the tests call the job themselves
    "TRAINING_ATTRITION_POLL_SECONDS": "0",
    # a history import taken over soon after its replica dies (the resume test kills one)
    "TRAINING_JOB_POLL_SECONDS": "0.2",
    "TRAINING_JOB_LEASE_SECONDS": "6",
}


def start_stack(replicas: int, env: dict[str, str] | None = None) -> tuple[Stack, Path]:
    """A whole system in a temporary folder on free ports; ``env`` adds to TEST_ENV."""
    base = Path(tempfile.mkdtemp(prefix="jifen-test-"))
    ports = {name: free_port() for name in ("training", "points", "rewards")}
    if replicas > 1:  # replica i listens on base + 10 * i: pick bases with room above
        ports = {name: 20000 + 1000 * i + free_port() % 900 for i, name in enumerate(ports)}
    config = StackConfig(
        base_dir=base,
        pg_port=free_port(),
        ports=ports,
        gateway_port=free_port(),
        fast_db=True,
        replicas=replicas,
        rate_per_second=5000,
        burst=10000,
        extra_env={**TEST_ENV, **(env or {})},
    )
    s = Stack(config)
    try:
        s.start(progress=False)
    except BaseException:
        stop_stack(s, base)
        raise
    register_stack(s)
    return s, base


def stop_stack(s: Stack, base: Path) -> None:
    s.stop()
    if s.pg is not None:
        s.pg.destroy()
    shutil.rmtree(base, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fuzz tests write random data as HR (rule sets, settings, adjustments): they
    run after every other test of the session, which shares one stack."""
    items.sort(key=lambda item: item.get_closest_marker("fuzz") is not None)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The whole system, one replica of each service."""
    s, base = start_stack(1)
    yield s
    stop_stack(s, base)


@pytest.fixture(scope="session")
def replicated_stack() -> Iterator[Stack]:
    """A second system with two replicas of each service behind the gateway (started
    only by the tests that ask for it)."""
    s, base = start_stack(2)
    yield s
    stop_stack(s, base)


@pytest.fixture(scope="session")
async def gw2(replicated_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=replicated_stack.gateway_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
async def gw(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the gateway, as a user's curl would talk to it."""
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
async def engines(stack: Stack) -> AsyncIterator[dict[str, AsyncEngine]]:
    """An engine on each service's database, for tests that call a service's code
    directly, without HTTP."""
    # A connection per test (NullPool): tests that stop PostgreSQL or terminate its
    # backends would otherwise leave closed connections in a pool for the next test.
    utc = {"server_settings": {"timezone": "UTC"}}
    made = {name: create_async_engine(stack.database_url(name), poolclass=NullPool,
                                      connect_args=utc)
            for name in ("training", "points", "rewards")}
    yield made
    for engine in made.values():
        await engine.dispose()


async def _rolled_back(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back when the test ends: the
    test sees its own writes, no other test does. The code under test may flush
    (and commit a savepoint), as services do; nothing reaches the database."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        session = AsyncSession(bind=conn, expire_on_commit=False, autoflush=False,
                               join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            await session.close()
            await outer.rollback()


@pytest.fixture
async def training_db(engines: dict[str, AsyncEngine]) -> AsyncIterator[AsyncSession]:
    async for session in _rolled_back(engines["training"]):
        yield session


@pytest.fixture
async def points_db(engines: dict[str, AsyncEngine]) -> AsyncIterator[AsyncSession]:
    async for session in _rolled_back(engines["points"]):
        yield session


@pytest.fixture
async def rewards_db(engines: dict[str, AsyncEngine]) -> AsyncIterator[AsyncSession]:
    async for session in _rolled_back(engines["rewards"]):
        yield session


@pytest.fixture(scope="session")
def hr() -> dict[str, str]:
    return auth("HR001", "hr_admin")
