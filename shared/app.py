"""Assembly of a service app: settings, engine, peer clients, outbox relay,
problem handlers, request context, idempotency, and the operations routes
(shared.operations)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import structlog
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import Table

from shared.db import create_engine, make_sessionmaker, warm_pool
from shared.errors import install_problem_handlers
from shared.http import make_peer_client
from shared.idempotency import ClaimOwner, IdempotencyMiddleware
from shared.jobs import RUNNER, Handler, JobRunner
from shared.observability import RequestContextMiddleware, configure_logging
from shared.openapi import install_openapi
from shared.operations import operations_router
from shared.outbox import RELAY, OutboxRelay
from shared.routing import APIRouter, CheckedRoute, DocumentChecks, index_routes
from shared.settings import ServiceSettings

REPO_ROOT = Path(__file__).resolve().parents[1]
log = structlog.get_logger("jifen.app")


@dataclass
class KitTables:
    outbox: Table
    processed_event: Table
    idempotency: Table
    job: Table | None = None  # services that run background jobs (shared/jobs.py)


@dataclass
class ServiceSpec:
    """What a service tells the kit about itself."""

    name: str  # training | points | rewards
    title: str
    description: str
    settings: ServiceSettings
    tables: KitTables
    routers: Sequence[APIRouter]
    # destination name -> (peer base URL, event path on that peer)
    outbox_destinations: dict[str, tuple[str, str]] = field(default_factory=dict)
    peers: dict[str, str] = field(default_factory=dict)  # name -> base URL for typed clients
    on_startup: Sequence[Callable[[FastAPI], Awaitable[None]]] = ()
    # long-running jobs (e.g. expiring holds), started after startup, cancelled at shutdown
    background: Sequence[Callable[[FastAPI], Coroutine[Any, Any, None]]] = ()
    # POST paths that keep their Idempotency-Key in their own transaction
    # (shared.idempotency.RouteKeys): the middleware leaves them alone
    keyed_routes: Sequence[str] = ()
    # durable jobs (shared/jobs.py) by kind; needs tables.job
    jobs: dict[str, Handler] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"/{self.name}"


def every(
    seconds: float, job: Callable[[FastAPI], Awaitable[Any]]
) -> Callable[[FastAPI], Coroutine[Any, Any, None]]:
    """A background job that runs ``job`` every ``seconds`` and survives its errors
    (a database restart must not stop it)."""

    async def loop(app: FastAPI) -> None:
        while True:
            try:
                await job(app)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "background_job_failed", job=getattr(job, "__name__", "job"), error=repr(exc)
                )
            await asyncio.sleep(seconds)

    loop.__name__ = f"every_{seconds}s_{getattr(job, '__name__', 'job')}"
    return loop


def _warm(connections: int) -> Callable[[FastAPI], Coroutine[Any, Any, None]]:
    """Fill the pool while the service already answers (a restart under load must not
    wait for dozens of PostgreSQL logins before it is ready)."""

    async def warm_pool_job(app: FastAPI) -> None:
        try:
            await warm_pool(app.state.engine, connections)
        except Exception as exc:  # the database may come up later; requests connect then
            log.warning("pool_not_warmed", error=repr(exc))

    return warm_pool_job


def migrations_head(service: str) -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    location = REPO_ROOT / "migrations" / service
    if not location.exists():
        return None
    cfg = Config()
    cfg.set_main_option("script_location", str(location))
    return ScriptDirectory.from_config(cfg).get_current_head()


def create_service_app(spec: ServiceSpec) -> FastAPI:
    settings = spec.settings
    pool_size = settings.db_pool_size
    assert pool_size is not None, "ServiceSettings fills in the pool size"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, json_logs=settings.log_json)
        engine = create_engine(
            settings.database_url,
            pool_size=pool_size,
            max_overflow=settings.db_max_overflow,
            application_name=f"jifen-{spec.name}",
        )
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.claim_owner = ClaimOwner(engine.url,
                                           application_name=f"jifen-{spec.name}-claims")
        await app.state.claim_owner.start()
        clients: dict[str, httpx.AsyncClient] = {}
        for name, url in {
            **spec.peers,
            **{d: u for d, (u, _) in spec.outbox_destinations.items()},
        }.items():
            clients.setdefault(name, make_peer_client(settings, url, audience=name))
        app.state.peers = clients
        app.state.relay = OutboxRelay(
            service=spec.name,
            table=spec.tables.outbox,
            sessionmaker=app.state.sessionmaker,
            destinations={
                d: (clients[d], path) for d, (_, path) in spec.outbox_destinations.items()
            },
            settings=settings,
        )
        app.state.migrations_head = migrations_head(spec.name)
        app.state.request_checks.warm(app)  # the OpenAPI document the requests are checked by
        for hook in spec.on_startup:
            await hook(app)
        if settings.outbox_enabled and spec.outbox_destinations:
            app.state.relay.start()
        app.state.jobs = _job_runner(spec, app)
        # what a transaction wrote to the outbox or the job table is delivered or
        # started once it commits (shared/outbox.py, shared/jobs.py)
        app.state.sessionmaker.configure(info={RELAY: app.state.relay, RUNNER: app.state.jobs})
        tasks = [
            asyncio.create_task(job(app), name=getattr(job, "__name__", "job"))
            for job in [_warm(pool_size), *spec.background]
        ]
        # What exists now (modules, models, the app and its routes: most of the
        # process's objects) lives as long as the process: kept out of the cyclic
        # collector's full passes, each of which would otherwise walk all of it
        # again (100 ms of CPU or more, once every few hundred requests under load)
        gc.collect()
        gc.freeze()
        log.info("started", service=spec.name, environment=settings.environment)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if app.state.jobs is not None:
                await app.state.jobs.stop()
            await app.state.relay.stop()
            for client in clients.values():
                await client.aclose()
            await app.state.claim_owner.stop()
            await engine.dispose()

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_url=f"{spec.prefix}/openapi.json",
        docs_url=f"{spec.prefix}/docs",
        redoc_url=None,
        separate_input_output_schemas=False,
        # FastAPI's own OpenTelemetry hooks, which look for a configured provider on
        # every request (none is: the services' metrics are shared.observability's)
        telemetry={"tracing": False, "metrics": False, "logs": False,
                   "operation_spans": False},
    )
    app.state.settings = settings
    app.state.spec = spec
    app.state.request_checks = DocumentChecks()
    install_problem_handlers(app)
    install_openapi(app)
    app.add_middleware(
        IdempotencyMiddleware,
        table=spec.tables.idempotency,
        ttl_hours=settings.idempotency_ttl_hours,
        keyed_routes=frozenset(spec.keyed_routes),
    )
    app.add_middleware(RequestContextMiddleware, service=spec.name)
    for router in (operations_router(spec.name), *spec.routers):
        unchecked = [r.path for r in router.routes
                     if isinstance(r, APIRoute) and not isinstance(r, CheckedRoute)]
        if unchecked:
            raise TypeError(f"routes {unchecked} bypass the OpenAPI request check: "
                            "build their router with shared.routing.APIRouter")
        _add_routes(app, router)
    index_routes(app)
    return app


def _add_routes(app: FastAPI, router: APIRouter) -> None:
    """The router's routes added to the app's own list, as ``app.get`` adds a route.
    ``include_router`` would add the router as one entry that FastAPI searches through
    on every request, and again when it hands the request over (the route matched twice,
    through a context per router, ~40 us of a read's CPU); a router of ours carries
    nothing to include apart from its routes, which already hold its prefix and tags."""
    if router.dependencies or router.callbacks or router.on_startup or router.on_shutdown:
        raise TypeError(f"router {router.prefix!r}: give dependencies to its routes, not to "
                        "the router, so that it can be added route by route")
    for route in router.routes:
        if isinstance(route, APIRoute):
            route.dependency_overrides_provider = app
        app.router.routes.append(route)


def _job_runner(spec: ServiceSpec, app: FastAPI) -> JobRunner | None:
    """The service's job runner, started, when it has jobs; handlers get the peer
    clients and the settings in ``job.extra`` (their sessions deliver what they
    enqueue once they commit)."""
    if not spec.jobs:
        return None
    assert spec.tables.job is not None, f"{spec.name} has jobs but no job table"
    settings = spec.settings
    runner = JobRunner(
        service=spec.name, table=spec.tables.job, sessionmaker=app.state.sessionmaker,
        handlers=dict(spec.jobs), poll_seconds=getattr(settings, "job_poll_seconds", 1.0),
        lease_seconds=getattr(settings, "job_lease_seconds", 60.0),
        extra={"peers": app.state.peers, "settings": settings})
    runner.start()
    return runner
