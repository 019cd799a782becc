"""A process that takes an Idempotency-Key the way a service process does (the real
middleware and claim owner on the service's database) for a request that never ends,
so that a test can kill it with SIGKILL mid-request.

    python -m tests.shared.claim_holder DATABASE_URL PATH BODY TOKEN KEY [--no-owner]
                                        [--applied]

prints ``running`` once the request holds the key, then waits to be killed. With
``--no-owner`` the process holds no owner lock, as one whose database connection
was lost does; with ``--applied`` the request commits its (empty) work the way a
request's session does, the claim marked applied with it, before it hangs: a process
that died between its commit and storing its answer."""

from __future__ import annotations

import asyncio
import sys
from types import SimpleNamespace

from starlette.requests import Request

from services.points_api.config import Settings
from services.points_api.db import kit_tables
from shared.db import commit_request, create_engine, make_sessionmaker
from shared.idempotency import ClaimOwner, IdempotencyMiddleware


async def main(url: str, path: str, body: bytes, token: str, key: str, *, owned: bool,
               applied: bool) -> int:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    owner = None
    if owned:
        owner = ClaimOwner(engine.url, application_name="claim-holder")
        await owner.start()
        assert owner.key is not None, "no owner lock"

    async def never_ending(scope, receive, send) -> None:  # noqa: ARG001
        if applied:
            async with make_sessionmaker(engine)() as session:
                await commit_request(session, Request(scope))
        print("running", flush=True)
        await asyncio.Event().wait()

    middleware = IdempotencyMiddleware(never_ending, table=kit_tables.idempotency)
    app = SimpleNamespace(state=SimpleNamespace(settings=Settings(), engine=engine,
                                                claim_owner=owner))
    scope = {"type": "http", "method": "POST", "path": path, "query_string": b"", "app": app,
             "headers": [(b"authorization", f"Bearer {token}".encode()),
                         (b"idempotency-key", key.encode()),
                         (b"content-type", b"application/json")]}
    sent = False

    async def receive() -> dict:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            print(f"answered {message['status']}", flush=True)
            raise SystemExit(1)

    await middleware(scope, receive, send)
    return 1


if __name__ == "__main__":
    url, path, body, token, key = sys.argv[1:6]
    sys.exit(asyncio.run(main(url, path, body.encode(), token, key,
                              owned="--no-owner" not in sys.argv[6:],
                              applied="--applied" in sys.argv[6:])))
