"""The route index (shared.routing.RouteIndex) narrows the routes a request is
matched against; it must pick, for every path, the route matching all of them in
order would have picked (FULL, or PARTIAL for a method the route does not take)."""

import importlib
import re

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import Match

from shared.routing import APIRouter, DocumentChecks, RouteIndex, _route_path, index_routes


def service_app(name: str) -> FastAPI:
    main = importlib.import_module(f"services.{name}_api.main")
    config = importlib.import_module(f"services.{name}_api.config")
    app: FastAPI = main.create_app(config.Settings(environment="test",
                                                   database_url="postgresql+asyncpg://x/y"))
    return app


def first_match(routes, scope):
    for route in routes:
        match, _ = route.matches(scope)
        if match != Match.NONE:
            return route, match
    return None, Match.NONE


def sample_paths(path_format: str) -> list[str]:
    """Paths a route matches, and near misses (a segment more or less, a trailing slash)."""
    path = re.sub(r"\{[^}:]+:path\}", "a/b", path_format)
    path = re.sub(r"\{[^}]+\}", "X-1", path)
    return [path, path + "/", path.rstrip("/") + "/more", path.rsplit("/", 1)[0] or "/"]


@pytest.mark.parametrize("service", ["training", "points", "rewards"])
def test_every_request_is_matched_as_against_every_route(service):
    app = service_app(service)
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    paths = {p for r in app.router.routes if hasattr(r, "path_format")
             for p in sample_paths(r.path_format)}
    paths |= {"/", f"/{service}", f"/{service}/v1", "/nowhere/at/all/x", "/metrics"}
    checked = 0
    for path in sorted(paths):
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            scope = {"type": "http", "method": method, "path": path, "root_path": ""}
            expected = first_match(app.router.routes, scope)
            candidates = index.candidates(path)
            if candidates is None:  # matched against every route, as before
                continue
            assert first_match(candidates, scope) == expected, (method, path)
            checked += 1
    assert checked > len(app.router.routes)


async def test_a_path_no_candidate_matches_is_answered_by_every_route():
    router = APIRouter()

    @router.get("/a/b/c")
    async def abc() -> dict[str, str]:
        return {"at": "c"}

    app = FastAPI()
    app.state.request_checks = DocumentChecks()
    app.include_router(router)
    index_routes(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        assert (await client.get("/a/b/c")).json() == {"at": "c"}
        assert (await client.post("/a/b/c")).status_code == 405
        assert (await client.get("/a/b/d")).status_code == 404
        redirected = await client.get("/a/b/c/")  # redirect_slashes, as without the index
        assert redirected.status_code == 307
        assert redirected.headers["location"].endswith("/a/b/c")
    behind = httpx.ASGITransport(app=app, root_path="/x/y/z")  # mounted below a prefix
    async with httpx.AsyncClient(transport=behind, base_url="http://app") as client:
        assert (await client.get("/x/y/z/a/b/c")).json() == {"at": "c"}


@pytest.mark.parametrize(("path", "root_path", "route_path"), [
    ("/x/y/z/a/b/c", "/x/y/z", "/a/b/c"),
    ("/x/y/z", "/x/y/z", ""),
    ("/x/y/zz/a", "/x/y/z", "/x/y/zz/a"),  # not below the root: matched as it is
    ("/a/b/c", "", "/a/b/c"),
])
def test_the_index_looks_up_the_path_routes_are_matched_by(path, root_path, route_path):
    assert _route_path({"path": path, "root_path": root_path}) == route_path
