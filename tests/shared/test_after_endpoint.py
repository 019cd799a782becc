"""What a dependency leaves to do after the endpoint (shared.routing.after_endpoint):
the request's session and driver connection are committed, rolled back and given back
there, so it must run once for every request that got that far, whatever failed after."""

from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Request

from shared.errors import Conflict, Unauthorized, install_problem_handlers
from shared.routing import APIRouter, DocumentChecks, after_endpoint


def app_with(log: list[str]) -> FastAPI:
    async def resource(request: Request) -> str:
        name = f"r{len(log)}"
        log.append(f"open {name}")

        async def finish(error: BaseException | None) -> None:
            log.append(f"finish {name} {type(error).__name__ if error else 'ok'}")
            if request.query_params.get("finish") == "fails" and name == "r0":
                raise RuntimeError("could not give it back")

        after_endpoint(request, finish)
        return name

    async def token(request: Request) -> None:
        if request.query_params.get("token") == "bad":
            raise Unauthorized("Send Authorization: Bearer <token>")

    Resource = Annotated[str, Depends(resource, use_cache=False)]
    router = APIRouter()

    @router.get("/ok")
    async def ok(a: Resource, b: Resource, _: Annotated[None, Depends(token)],
                 request: Request) -> dict[str, str]:
        log.append("endpoint")
        if request.query_params.get("endpoint") == "fails":
            raise Conflict("taken")
        return {"a": a, "b": b}

    app = FastAPI()
    app.state.request_checks = DocumentChecks()
    install_problem_handlers(app)
    app.include_router(router)

    @app.get("/unchecked")
    async def unchecked(a: Resource) -> dict[str, str]:
        return {"a": a}

    return app


async def call(path: str, **params: str) -> tuple[httpx.Response, list[str]]:
    log: list[str] = []
    transport = httpx.ASGITransport(app=app_with(log), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        return await client.get(path, params=params), log


async def test_it_runs_after_the_endpoint_the_last_registered_first():
    r, log = await call("/ok")
    assert r.status_code == 200, r.text
    assert log == ["open r0", "open r1", "endpoint", "finish r1 ok", "finish r0 ok"]


@pytest.mark.parametrize(("params", "error", "status"), [
    ({"token": "bad"}, "Unauthorized", 401),  # a dependency after the resource failed
    ({"endpoint": "fails"}, "Conflict", 409),
])
async def test_it_runs_with_the_error_when_something_after_the_dependency_fails(
        params, error, status):
    r, log = await call("/ok", **params)
    assert r.status_code == status, r.text
    assert log[-2:] == [f"finish r1 {error}", f"finish r0 {error}"]


async def test_a_failing_finish_does_not_skip_the_others_and_fails_the_request():
    r, log = await call("/ok", finish="fails")
    assert r.status_code == 500
    assert log[-2:] == ["finish r1 ok", "finish r0 ok"]


async def test_a_route_that_would_never_run_it_refuses_the_dependency():
    r, _ = await call("/unchecked")
    assert r.status_code == 500
