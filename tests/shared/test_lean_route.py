"""A lean route (shared.routing.lean) answers its requests with its own handler, so
it must answer every request as FastAPI answers the same endpoint: the same document,
the same 4xx problems in the same order (body read, token, schema, pydantic), the
same answer."""

from datetime import datetime
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request, Response
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.errors import Unauthorized, install_problem_handlers
from shared.routing import APIRouter, DocumentChecks, body_and_caller, lean


def _not_sunday(value: datetime) -> datetime:
    if value.weekday() == 6:  # a check the schema cannot state: pydantic's own 422
        raise ValueError("not on a Sunday")
    return value


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=10)
    at: Annotated[datetime, AfterValidator(_not_sunday)]
    count: int = 1


async def principal(request: Request) -> str:
    token = request.headers.get("authorization")
    if token != "Bearer good":
        raise Unauthorized("Send Authorization: Bearer <token>")
    return "someone"


async def answer(thing: Thing, who: str) -> Response:
    return Response(f'{{"who":"{who}","name":"{thing.name}","count":{thing.count}}}',
                    status_code=201, media_type="application/json")


async def lean_things(route: APIRoute, request: Request) -> Response:
    return await answer(*await body_and_caller(route, request, principal))


async def quick_things(route: APIRoute, request: Request) -> Response:
    return await answer(*await body_and_caller(route, request, principal, quick=True))


def make_app() -> FastAPI:
    router = APIRouter()

    @router.post("/plain", status_code=201, response_model=dict[str, Any])
    async def plain(body: Thing, who: Annotated[str, Depends(principal)]) -> Any:
        return await answer(body, who)

    @router.post("/lean", status_code=201, response_model=dict[str, Any])
    @lean(lean_things)
    async def lean_one(body: Thing, who: Annotated[str, Depends(principal)]) -> Any:
        raise AssertionError("a lean route's endpoint is not called")

    @router.post("/quick", status_code=201, response_model=dict[str, Any])
    @lean(quick_things)
    async def quick_one(body: Thing, who: Annotated[str, Depends(principal)]) -> Any:
        raise AssertionError("a lean route's endpoint is not called")

    app = FastAPI()
    app.state.request_checks = DocumentChecks()
    install_problem_handlers(app)
    app.include_router(router)
    return app


GOOD = {"authorization": "Bearer good"}
ANYONE = {"content-type": "application/json"}
JSON = {**GOOD, **ANYONE}
CASES = [
    ("fine", JSON, b'{"name":"a","at":"2026-12-07T10:00:00+08:00"}'),
    ("unauthenticated", ANYONE, b'{"name":"a","at":"2026-12-07T10:00:00+08:00"}'),
    ("malformed before the token", ANYONE, b'{"name":'),
    ("malformed", JSON, b'{"name": "a",'),
    ("empty", JSON, b""),
    ("not an object", JSON, b"[1, 2]"),
    ("unknown field", JSON, b'{"name":"a","at":"2026-12-07T10:00:00+08:00","x":1}'),
    ("too long and missing", JSON, b'{"name":"abcdefghijkl"}'),
    ("pydantic's own check", JSON, b'{"name":"a","at":"2026-12-06T10:00:00+08:00"}'),
    ("schema before pydantic, token first", ANYONE,
     b'{"name":"a","at":"2026-12-06T10:00:00+08:00","count":"2"}'),
    ("another media type", {**GOOD, "content-type": "text/plain"}, b'{"name":"a"}'),
    ("a JSON suffix", {**GOOD, "content-type": "application/thing+json; charset=utf-8"},
     b'{"name":"a","at":"2026-12-07T10:00:00+08:00","count":3}'),
    ("no content type", {**GOOD, "content-type": ""},
     b'{"name":"a","at":"2026-12-07T10:00:00+08:00"}'),
]


@pytest.mark.parametrize(("case", "headers", "body"), CASES, ids=[c[0] for c in CASES])
async def test_a_lean_route_answers_as_fastapi_does(case, headers, body):
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        plain = await client.post("/plain", headers=headers, content=body)
        leaned = await client.post("/lean", headers=headers, content=body)
        quick = await client.post("/quick", headers=headers, content=body)
    assert (leaned.status_code, leaned.headers.get("content-type")) == (
        plain.status_code, plain.headers.get("content-type")), (plain.text, leaned.text)
    assert quick.status_code == leaned.status_code, (leaned.text, quick.text)

    def comparable(r: httpx.Response) -> Any:
        if not r.content:
            return None
        data = r.json()
        data.pop("instance", None)  # the path asked
        return data
    assert comparable(quick) == comparable(leaned) == comparable(plain)
    if case == "fine":
        assert leaned.status_code == 201 and leaned.json()["who"] == "someone"


def test_a_lean_route_is_documented_as_its_endpoint():
    doc = make_app().openapi()
    plain, leaned = doc["paths"]["/plain"]["post"], doc["paths"]["/lean"]["post"]
    assert leaned["requestBody"] == plain["requestBody"]
    assert leaned.get("parameters") == plain.get("parameters")
    assert leaned["responses"].keys() == plain["responses"].keys() == {"201", "422"}


async def _status_when_the_client_leaves(app: FastAPI, path: str) -> int | None:
    """The status the app answers a client that goes away half-way through its body
    (None: no answer started), or the exception's name when the app raised."""
    events = [{"type": "http.request", "body": b'{"name": "a",', "more_body": True},
              {"type": "http.disconnect"}]

    async def receive() -> dict[str, Any]:
        return events.pop(0) if events else {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "server": ("app", 80),
             "client": ("test", 1), "headers": [(b"content-type", b"application/json"),
                                               (b"authorization", b"Bearer good")]}
    await app(scope, receive, send)
    return next((m["status"] for m in sent if m["type"] == "http.response.start"), None)


async def test_a_client_that_leaves_half_way_is_answered_alike():
    app = make_app()
    plain = await _status_when_the_client_leaves(app, "/plain")
    assert plain == 400
    for path in ("/lean", "/quick"):
        assert await _status_when_the_client_leaves(app, path) == plain, path
