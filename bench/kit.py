"""The kit's per-request cost, in process: what a request costs in a service's
app (the request context middleware and its log line and metric, routing, the
bearer token, the dependencies, the OpenAPI request check, the response model)
beyond what the bare baseline's app pays, with the database and the network
taken out.

Both apps are driven through ASGI directly, one request after another on one
event loop, and timed by the process's CPU clock: the employee read of
training_api (the real app, its driver connection answering a fixed row) and the
bare baseline's route answering the same employee. The difference is the kit's.
``python -m bench kit`` (measured in process; no system is started for it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker

REQUESTS = int(os.environ.get("BENCH_KIT_REQUESTS", "2000"))
ROUNDS = int(os.environ.get("BENCH_KIT_ROUNDS", "15"))
EMPLOYEE_PATH = "/training/v1/employees/E00042"
NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
ROW = {"employee_no": "E00042", "name": "员工42", "is_front_line": True,
       "hired_on": dt.date(2022, 1, 1), "status": "active", "left_on": None, "version": 3,
       "created_at": NOW, "updated_at": NOW, "department_code": "BENCH-W",
       "department_name": "焊装", "department_path": "/BENCH/BENCH-W/",
       "job_role_code": "BENCH-OP", "job_role_name": "操作工",
       "job_role_family": "production"}

_DEVNULL = open(os.devnull, "w")  # noqa: SIM115 (where the apps' log lines go, for good)
Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _scope(path: str, headers: list[tuple[bytes, bytes]], app: FastAPI) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1", "method": "GET", "scheme": "http", "path": path,
            "raw_path": path.encode(), "root_path": "", "query_string": b"",
            "headers": [(b"host", b"bench"), *headers], "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000), "app": app}


async def _cpu_per_request(*apps: tuple[Asgi, Callable[[], dict[str, Any]]]) -> list[float]:
    """CPU microseconds per request of each app: the best of ROUNDS rounds of REQUESTS
    requests, the apps' rounds taking turns (what else runs on the machine slows
    them alike)."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    for app, make_scope in apps:
        for _ in range(200):  # the first requests compile the checks, fill caches
            await app(make_scope(), receive, send)
    best = [float("inf")] * len(apps)
    for _ in range(ROUNDS):
        for i, (app, make_scope) in enumerate(apps):
            statuses.clear()
            started = time.process_time()
            for _ in range(REQUESTS):
                await app(make_scope(), receive, send)
            best[i] = min(best[i], (time.process_time() - started) / REQUESTS * 1e6)
            if set(statuses) != {200}:
                raise RuntimeError(f"answers other than 200: {sorted(set(statuses))}")
    return best


def _bare_app() -> FastAPI:
    """The baseline's read (bench/baseline_app.py), its row fixed."""
    app = FastAPI()

    @app.get("/baseline/employees/{employee_no}")
    async def read_one(employee_no: str) -> dict[str, Any]:
        return {"employee_no": ROW["employee_no"], "name": ROW["name"]}

    return app


def _service_app() -> FastAPI:
    """training_api's app, its logs to /dev/null, its driver connection a fixed row."""
    from services.training_api.config import Settings
    from services.training_api.main import create_app
    from shared.observability import configure_logging

    class Driver:  # asyncpg's connection, answering the one row
        async def fetchrow(self, sql: str, *args: Any) -> dict[str, Any]:
            return ROW

    class Pooled:  # SQLAlchemy's pooled connection around it
        async def get_raw_connection(self) -> Any:
            return self

        driver_connection = Driver()

        async def close(self) -> None:
            return None

    class Engine:
        async def connect(self) -> Pooled:
            return Pooled()

    app = create_app(Settings(environment="test", database_url="postgresql+asyncpg://x/y"))
    app.state.engine = Engine()
    app.state.sessionmaker = async_sessionmaker()  # the one a service has, unbound
    stdout, sys.stdout = sys.stdout, _DEVNULL
    try:
        configure_logging("INFO")  # its log lines written, to /dev/null
    finally:
        sys.stdout = stdout
    return app


async def _measure() -> list[str]:
    from tests.conftest import make_token

    token = make_token("BENCH-HR", "hr_admin")
    headers = [(b"authorization", f"Bearer {token}".encode()), (b"accept", b"*/*")]
    bare, app = _bare_app(), _service_app()
    bare_us, ours_us = await _cpu_per_request(
        (bare, lambda: _scope("/baseline/employees/E00042", headers, bare)),
        (app, lambda: _scope(EMPLOYEE_PATH, headers, app)))
    return [f"bare app's read, in process: {bare_us:,.1f} us CPU per request",
            f"training_api's employee read, in process: {ours_us:,.1f} us CPU per request",
            f"the kit's cost per request: {ours_us - bare_us:,.1f} us "
            f"(best of {ROUNDS} rounds of {REQUESTS:,} requests)"]


def run(_stack: object = None) -> list[str]:
    return asyncio.run(_measure())


if __name__ == "__main__":
    print("\n".join(run()))
