"""Requests are checked against the published OpenAPI document itself.

Pydantic's lax mode takes ``0`` for a boolean, ``"0"`` for a datetime, ``"12"``
for an integer and the last of several ``?limit=`` values; a generated client
sees none of that in the document, and a fuzzer reads every such difference as
a lie. So before an endpoint runs, the kit validates the query, path and header
parameters and the JSON body against the operation's schemas in the app's own
OpenAPI document (JSON Schema 2020-12, formats included). What the document
says is exactly what is accepted; pydantic then parses what passed.

The check runs after the endpoint's other dependencies (authentication and
roles), so a caller without the right token still hears 401/403 first. Every
router of a service is a :class:`APIRouter` from here; the app factory refuses
routes that are not :class:`CheckedRoute`.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import itertools
import json
import math
import re
import unicodedata
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

import fastapi
import jsonschema_rs
from fastapi import Depends, Request, Response, status
from fastapi._body_limit import get_body_limit_error
from fastapi._compat import Undefined
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import _get_flat_body_params, request_body_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from shared.errors import FieldError, InvalidRequest, ServiceError, UnsupportedMediaType, problems

_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_JSON_TYPES = re.compile(r"^application/([\w.+-]+\+)?json$")
MAX_ERRORS = 20
MAX_DETAIL = 300


DOCUMENT_URI = "urn:jifen:openapi"


class DocumentChecks:
    """The checks of one app's operations, each compiled at its first request against
    one registry of the document's component schemas (compiling the components once,
    not once per operation). FastAPI takes a second or more to write the document, so
    :meth:`warm` starts that in a thread when the app starts."""

    def __init__(self) -> None:
        self._checks: dict[tuple[str, str], OperationCheck | None] = {}
        self._doc: asyncio.Task[dict[str, Any]] | None = None
        self._registry: jsonschema_rs.Registry | None = None

    def warm(self, app: fastapi.FastAPI) -> None:
        if self._doc is None:
            self._doc = asyncio.ensure_future(asyncio.to_thread(app.openapi))

    async def for_operation(self, app: fastapi.FastAPI, method: str, path: str
                            ) -> OperationCheck | None:
        key = (method, path)
        if key not in self._checks:
            self.warm(app)
            assert self._doc is not None
            doc = await self._doc
            components = doc.get("components", {})
            if self._registry is None:
                self._registry = jsonschema_rs.Registry([(DOCUMENT_URI, {
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "components": components})])
            operation = doc.get("paths", {}).get(path, {}).get(method)
            self._checks[key] = OperationCheck(operation, self._registry, components) \
                if operation else None
        return self._checks[key]


class OperationCheck:
    """Validators for one operation's parameters and JSON body."""

    def __init__(self, operation: dict[str, Any], registry: jsonschema_rs.Registry,
                 components: dict[str, Any]) -> None:
        self.parameters = [
            _Parameter(p, registry, components) for p in operation.get("parameters", [])
            if p.get("in") in ("query", "path", "header")
        ]
        content = operation.get("requestBody", {}).get("content", {})
        self.media_types = {media_type.lower() for media_type in content}
        body = content.get("application/json")
        self.body = _compile(body["schema"], registry) if body else None

    async def errors(self, request: Request) -> list[FieldError]:
        """The violations of the operation's schemas; UnsupportedMediaType (415) for a
        body in a media type the operation does not read."""
        errors: list[FieldError] = []
        sent = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if self.media_types and sent and sent not in self.media_types \
                and not (self.body is not None and _JSON_TYPES.match(sent)):
            raise UnsupportedMediaType(
                f"Send {' or '.join(sorted(self.media_types))}, not {sent}")
        for parameter in self.parameters:
            errors.extend(parameter.errors(request))
        if self.body is not None and _is_json(request) and await request.body():
            try:
                payload = await request.json()
            except ValueError:  # FastAPI answers malformed JSON itself
                return errors
            errors.extend(_errors(self.body, payload, "#"))
        return errors[:MAX_ERRORS]


class _Parameter:
    def __init__(self, spec: dict[str, Any], registry: jsonschema_rs.Registry,
                 components: dict[str, Any]) -> None:
        self.name: str = spec["name"]
        self.location: str = spec["in"]
        schema = _without_null(spec.get("schema", {}))
        self.validator = _compile(schema, registry)
        self.types = _types(schema, components)
        self.item_types = _types(_items(schema, components), components)

    def errors(self, request: Request) -> list[FieldError]:
        pointer = f"#/{self.location}/{self.name}"
        values = self._raw(request)
        if not values:
            return []  # absence is FastAPI's to judge (required, defaults)
        if "array" in self.types:
            value: Any = [_coerce(v, self.item_types) for v in values]
        elif len(values) > 1:
            return [FieldError(pointer=pointer, detail=f"give {self.name} at most once")]
        else:
            value = _coerce(values[0], self.types)
        return _errors(self.validator, value, pointer)

    def _raw(self, request: Request) -> list[str]:
        if self.location == "query":
            return request.query_params.getlist(self.name)
        if self.location == "path":
            value = request.path_params.get(self.name)
            return [] if value is None else [str(value)]
        return request.headers.getlist(self.name)


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional parameter's schema without its ``null`` branch: a query string
    cannot be null (absence is), and a single branch gives plainer messages."""
    branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
    if "anyOf" not in schema or len(branches) == len(schema["anyOf"]):
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**rest, **branches[0]} if len(branches) == 1 else {**rest, "anyOf": branches}


def _compile(schema: dict[str, Any], registry: jsonschema_rs.Registry) -> jsonschema_rs.Validator:
    """A validator of ``schema``, whose "#/components/..." references name the
    document's components in ``registry``."""
    return jsonschema_rs.Draft202012Validator(_rebased(schema), validate_formats=True,
                                              registry=registry)


def _rebased(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (DOCUMENT_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#/")
                    else _rebased(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rebased(v) for v in node]
    return node


def _errors(validator: jsonschema_rs.Validator, value: Any, base: str) -> list[FieldError]:
    """Each violation with a JSON pointer below ``base`` (``#`` for the body, like
    pydantic's errors, ``#/query/name`` for a parameter)."""
    try:
        return [FieldError(pointer=_pointer(base, path), detail=_short(message))
                for error in validator.iter_errors(value)
                for path, message in _explained(error)]
    except (ValueError, OverflowError) as exc:  # a number JSON Schema cannot hold
        return [FieldError(pointer=_pointer(base, []), detail=_short(str(exc)))]


def _explained(error: Any) -> list[tuple[list[Any], str]]:
    """(instance path, message) pairs that say what is wrong in the caller's terms: an
    unknown field at its own pointer; for a value matching none of ``anyOf``/``oneOf``
    (an optional field is ``X`` or null) the errors of the one branch of its type."""
    path, kind = list(error.instance_path), error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
        return [([*path, name], "not a field of this request") for name in kind.unexpected]
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        return [([*path, kind.property], "required")]
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Pattern) and isinstance(
            error.instance, str):
        hidden = next((c for c in error.instance if unicodedata.category(c) in ("Cc", "Cf")),
                      None)
        if hidden is not None:
            return [(path, f"holds the invisible character U+{ord(hidden):04X}, which could "
                           "make it read as something else")]
    if isinstance(kind, (jsonschema_rs.ValidationErrorKind.AnyOf,
                         jsonschema_rs.ValidationErrorKind.OneOfNotValid)):
        mistyped = [[e for e in branch if list(e.instance_path) == path
                     and isinstance(e.kind, jsonschema_rs.ValidationErrorKind.Type)]
                    for branch in kind.context]
        fitting = [branch for branch, wrong in zip(kind.context, mistyped, strict=True)
                   if not wrong and not _other_variant(branch, path)]
        if len(fitting) == 1:
            return [pair for e in fitting[0] for pair in _explained(e)]
        types = dict.fromkeys(t for wrong in mistyped for e in wrong
                              for t in getattr(e.kind, "types", ()))
        if not fitting and types:
            return [(path, f"must be of type {' or '.join(types)}")]
        tags = [e for branch in kind.context for e in branch if _other_variant([e], path)]
        if not fitting and tags:
            allowed = dict.fromkeys(json.dumps(v, ensure_ascii=False) for e in tags for v in (
                getattr(e.kind, "options", None) or [getattr(e.kind, "expected_value", None)]))
            return [(list(tags[0].instance_path), f"must be one of {', '.join(allowed)}")]
        # an object none of whose shapes fits: name its fields at fault in each shape
        named = [pair for branch in (fitting or kind.context) for e in branch
                 for pair in _field_errors(e, path)]
        if named:
            unique = {(tuple(where), why): None for where, why in named}
            return [(list(where), why) for where, why in unique]
    return [(path, error.message)]


def _field_errors(error: Any, path: list[Any]) -> list[tuple[list[Any], str]]:
    """A shape's errors about the fields of the object at ``path``: one required and
    missing, or present where the shape forbids it (``not: {required: [...]}``)."""
    if list(error.instance_path) != path:
        return _explained(error)
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        return [([*path, kind.property], "missing: required in one of the accepted shapes")]
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Not) and isinstance(error.instance,
                                                                              dict):
        forbidden = json.dumps(kind.schema)
        return [([*path, name], "not allowed together with the other fields given")
                for name in error.instance if json.dumps(name) in forbidden]
    return []


def _other_variant(branch: list[Any], path: list[Any]) -> bool:
    """A branch of a tagged union whose tag (a field fixed to one or a few values,
    such as an item's ``kind``) the value does not carry: not the variant meant."""
    return any(len(e.instance_path) == len(path) + 1 and list(e.instance_path)[:-1] == path
               and isinstance(e.kind, (jsonschema_rs.ValidationErrorKind.Constant,
                                       jsonschema_rs.ValidationErrorKind.Enum))
               for e in branch)


def _pointer(base: str, path: list[Any]) -> str:
    where = "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)
    return f"{base}/{where}" if where or base == "#" else base


def _short(text: str) -> str:
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        named: dict[str, Any] = components.get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
        return named
    return schema


def _types(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    """The JSON types a (parameter) schema admits, through $ref and anyOf/oneOf."""
    schema = _resolve(schema, components)
    found: set[str] = set()
    declared = schema.get("type")
    if isinstance(declared, str):
        found.add(declared)
    elif isinstance(declared, list):
        found.update(declared)
    for value in [*schema.get("enum", []), *([schema["const"]] if "const" in schema else [])]:
        found.add({bool: "boolean", int: "integer", float: "number", str: "string"}.get(
            type(value), "string"))
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found |= _types(sub, components)
    return found


def _items(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    schema = _resolve(schema, components)
    if "items" in schema:
        items: dict[str, Any] = schema["items"]
        return items
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key, []):
            found = _items(sub, components)
            if found:
                return found
    return {}


def _coerce(raw: str, types: set[str]) -> Any:
    """A query or path string read as the JSON value its schema expects; a string
    that is not exactly a literal of that type stays a string (and fails)."""
    if "integer" in types and _INTEGER.fullmatch(raw):
        return int(raw)
    if "number" in types and _NUMBER.fullmatch(raw):
        value = float(raw)
        return value if math.isfinite(value) else raw
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    return raw


def _is_json(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return bool(_JSON_TYPES.match(media_type))


async def check_request(request: Request) -> None:
    """Dependency: 422 when the request does not match the operation's schemas."""
    path = getattr(request.scope.get("route"), "path_format", "")
    method = "get" if request.method == "HEAD" else request.method.lower()
    check = await request.app.state.request_checks.for_operation(request.app, method, path)
    if check is None:
        return
    errors = await check.errors(request)
    if errors:
        raise InvalidRequest(f"{len(errors)} field(s) do not match the OpenAPI schema",
                             errors=errors)


def _checked(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` with :func:`check_request` as its last dependency: FastAPI solves
    dependencies in signature order, so authentication and roles come first."""
    signature = inspect.signature(endpoint, eval_str=True)
    extra = inspect.Parameter("_schema_check", inspect.Parameter.KEYWORD_ONLY,
                              annotation=Annotated[None, Depends(check_request)])
    params = list(signature.parameters.values())
    at = next((i for i, p in enumerate(params) if p.kind is p.VAR_KEYWORD), len(params))
    params.insert(at, extra)

    if inspect.iscoroutinefunction(endpoint):
        @functools.wraps(endpoint)
        async def checked(*args: Any, _schema_check: None = None, **kwargs: Any) -> Any:
            return await endpoint(*args, **kwargs)
    else:
        @functools.wraps(endpoint)
        def checked(*args: Any, _schema_check: None = None, **kwargs: Any) -> Any:
            return endpoint(*args, **kwargs)

    checked.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return checked


# What the request's dependencies left to do once the endpoint has answered or failed
# (:func:`after_endpoint`), kept in the request's scope by :class:`CheckedRoute`.
_FINISH = "jifen.finish"
Finish = Callable[[BaseException | None], Awaitable[None]]


def after_endpoint(request: Request, finish: Finish) -> None:
    """Have ``finish(error)`` run once the endpoint has answered (``error`` None) or
    failed, the last registered first: what a dependency with ``yield`` does after its
    yield (``scope="function"``), without FastAPI's machinery for one (an exit stack
    entry, a cancel scope and two context managers per request, ~40 us of CPU). Only
    for dependencies of a :class:`CheckedRoute`, which runs them."""
    try:
        request.scope[_FINISH].append(finish)
    except KeyError:
        raise RuntimeError(f"{request.url.path}: a dependency that needs after_endpoint "
                           "serves only routes of shared.routing.APIRouter") from None


async def _finish(scope: Scope, error: BaseException | None) -> None:
    """Every ``finish`` registered, even when one of them fails (the first failure is
    raised once all have run, unless the endpoint's own error is on its way)."""
    failure: BaseException | None = None
    for finish in reversed(scope.pop(_FINISH, [])):
        try:
            await finish(error)
        except BaseException as exc:  # noqa: BLE001 (raised below, after the others)
            failure = failure or exc
    if failure is not None and error is None:
        raise failure


# -- lean routes --------------------------------------------------------------------------
# FastAPI answers a request by solving the endpoint's dependencies generically (a cache key
# and a recursion per dependency, the body's content type parsed as an e-mail header, an
# error context, the answer validated and serialized again): ~50 us a request. A hot route
# can do the same work itself, in the same order, with the same errors: its endpoint stays
# what the OpenAPI document is written from, and a *lean handler* answers its requests.

LeanHandler = Callable[[APIRoute, Request], Awaitable[Response]]
_LEAN = "__lean_handler__"
_BODY_FIELDS = "_jifen_body_fields"


def lean(handler: LeanHandler) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate an endpoint of a :class:`CheckedRoute`: ``handler(route, request)``
    answers its requests instead of FastAPI's request handler. The endpoint's signature
    still writes the route's OpenAPI operation; the handler must do what its
    dependencies would, in their order: read the body first (:func:`read_json_body`),
    then authenticate, then :func:`check_request`, then :func:`body_of` (pydantic), and
    answer a ready :class:`Response`."""

    def mark(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        setattr(endpoint, _LEAN, handler)
        return endpoint

    return mark


async def read_json_body(route: APIRoute, request: Request) -> Any:
    """The request's body as FastAPI reads it for a route's JSON body parameter, before
    any dependency: the decoded JSON when it is sent as JSON (or without a content type,
    when the route's content type is not strict), the bytes otherwise, ``Undefined``
    when empty; malformed JSON is the same 422 (``json_invalid``), a body past the app's
    size limit the same 413."""
    try:
        body_bytes = await request.body()
        if not body_bytes:
            return Undefined
        sent = request.headers.get("content-type")
        if not sent:
            strict = route.strict_content_type
            if isinstance(strict, DefaultPlaceholder):
                strict = strict.value
            return body_bytes if strict else await request.json()
        media_type = sent.split(";", 1)[0].strip().lower()
        main, _, sub = media_type.partition("/")
        if main == "application" and (sub == "json" or sub.endswith("+json")):
            return await request.json()
        return body_bytes
    except json.JSONDecodeError as exc:
        raise RequestValidationError([{
            "type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error",
            "input": {}, "ctx": {"error": exc.msg}}], body=exc.doc) from exc
    except HTTPException:
        raise
    except Exception as exc:
        raise _unreadable(request, exc) from exc


def _unreadable(request: Request, exc: Exception) -> Exception:
    """What FastAPI answers for a body it could not read: 413 past the app's size
    limit, else 400 (a client gone half-way, say)."""
    if MAX_BODY_SIZE_SCOPE_KEY in request.scope and (error := get_body_limit_error(exc)):
        return error
    return HTTPException(status_code=400, detail="There was an error parsing the body")


async def body_of(route: APIRoute, body: Any) -> Any:
    """The route's one body parameter validated from ``body`` (see
    :func:`read_json_body`) by FastAPI's own code, so that its errors are the same
    422."""
    values, errors = await request_body_to_args(
        _body_fields(route), body, embed_body_fields=route._embed_body_fields)
    if errors:
        raise RequestValidationError(errors, body=None if body is Undefined else body)
    return next(iter(values.values()))


async def quick_body(route: APIRoute, request: Request) -> BaseModel | None:
    """The route's one body parameter, a pydantic model, validated straight from the
    text of a body sent as JSON (pydantic's own parser: on a batch of events less than
    half the CPU of decoding the JSON and validating what it made); None when
    the body is not sent as JSON or does not validate, and the handler goes
    :func:`read_json_body` and :func:`body_of`'s way, which answers FastAPI's errors.
    Nothing is decided here: a body that validates is what FastAPI would have taken,
    and the handler still authenticates and checks the request first."""
    fields = _body_fields(route)
    model = fields[0].field_info.annotation if len(fields) == 1 else None
    if route._embed_body_fields or not (isinstance(model, type)
                                        and issubclass(model, BaseModel)):
        return None
    sent = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    main, _, sub = sent.partition("/")
    if not (main == "application" and (sub == "json" or sub.endswith("+json"))):
        return None
    try:
        body = await request.body()
    except HTTPException:
        raise
    except Exception as exc:  # read once only: answered here as read_json_body would
        raise _unreadable(request, exc) from exc
    try:
        return model.model_validate_json(body)
    except ValidationError:
        return None


async def body_and_caller(route: APIRoute, request: Request,
                          authenticate: Callable[[Request], Awaitable[Any]], *,
                          quick: bool = False) -> tuple[Any, Any]:
    """A lean handler's body and caller, as the endpoint's parameters would give them
    and in FastAPI's order: the body read (with ``quick``, validated straight from its
    text when it can be, :func:`quick_body`), then ``authenticate(request)``, then
    :func:`check_request`, then the body validated (:func:`body_of`)."""
    parsed = await quick_body(route, request) if quick else None
    received = await read_json_body(route, request) if parsed is None else None
    caller = await authenticate(request)
    await check_request(request)
    return (parsed if parsed is not None else await body_of(route, received)), caller


def _body_fields(route: APIRoute) -> list[Any]:
    fields = getattr(route, _BODY_FIELDS, None)
    if fields is None:
        fields = _get_flat_body_params(route.dependant)
        setattr(route, _BODY_FIELDS, fields)
    return fields


class CheckedRoute(APIRoute):
    """An API route whose requests are validated against the OpenAPI document, and
    which runs what its dependencies left to :func:`after_endpoint`; a :func:`lean`
    endpoint's requests are answered by its handler."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _checked(endpoint), **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        lean_handler: LeanHandler | None = getattr(self.endpoint, _LEAN, None)
        handler = (super().get_route_handler() if lean_handler is None
                   else functools.partial(lean_handler, self))

        async def finishing(request: Request) -> Response:
            request.scope[_FINISH] = []
            try:
                response = await handler(request)
            except BaseException as exc:
                await _finish(request.scope, exc)
                raise
            await _finish(request.scope, None)
            return response

        return finishing


class APIRouter(fastapi.APIRouter):
    """The router every service uses: its routes are :class:`CheckedRoute`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("route_class", CheckedRoute)
        super().__init__(**kwargs)


def upsert_responses(model: Any, *errors: type[ServiceError]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of an idempotent PUT: 201 with ``model`` when it created the
    resource (200, the route's default, when it replaced it), and its problems."""
    return {201: {"model": model, "description": "Created"}, **problems(*errors)}


def created_or_ok(response: Response, created: bool) -> None:
    """201 for a PUT that created its resource, 200 for one that replaced it."""
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK


# -- dispatch ---------------------------------------------------------------------------
# A request is matched against the routes in the order they were added, one regular
# expression each: ~1 us per route before its own (points_api's spend is its 75th route).
# The index narrows that to the routes whose path begins like the request's.

_KEY_SEGMENTS = 3


def _path_key(path: str) -> tuple[str, ...]:
    return tuple(path.split("/", _KEY_SEGMENTS + 1)[1:_KEY_SEGMENTS + 1])


def _route_path(scope: Scope) -> str:
    """The path routes are matched by, as starlette takes it: without the app's
    ``root_path`` when the request's path begins with it."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root):len(root) + 1] in ("", "/"):
        return path[len(root):]
    return path


def _route_key(route: Any) -> tuple[tuple[str, ...], bool]:
    """The first segments of a route's path that are literal, and whether those are all
    of its key (so that only paths with exactly that key can match it)."""
    path = getattr(route, "path_format", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return (), False  # matched some other way: a candidate for every path
    segments = _path_key(path)
    literal = tuple(itertools.takewhile(lambda segment: "{" not in segment, segments))
    return literal, literal == segments


class RouteIndex:
    """The router of an app, reached through an index of its routes by the first three
    segments of their paths: a request is matched (by FastAPI, as before) against the
    routes that can match it, in their order, and only a path that none of them matches
    (a 404, or a redirect to the path with or without its trailing slash) goes through
    every route as before. Installed by :func:`index_routes`."""

    def __init__(self, router: fastapi.routing.APIRouter) -> None:
        self.router = router
        self.everything = router.middleware_stack
        self._routes = 0
        self._candidates: dict[tuple[str, ...], fastapi.routing.APIRouter] = {}

    def candidates(self, path: str) -> list[BaseRoute] | None:
        """The routes a request for ``path`` is matched against (None: all of them)."""
        sub = self._lookup().get(_path_key(path))
        return None if sub is None else sub.routes

    def _lookup(self) -> dict[tuple[str, ...], fastapi.routing.APIRouter]:
        routes = self.router.routes
        if len(routes) != self._routes:  # a route added since: index again
            keyed = [(route, *_route_key(route)) for route in routes]
            self._candidates = {
                key: fastapi.routing.APIRouter(
                    routes=[route for route, prefix, exact in keyed
                            if (prefix == key if exact else key[:len(prefix)] == prefix)],
                    redirect_slashes=False, default=self.everything,
                    form_limits=self.router.form_limits)
                for key in {prefix for _, prefix, exact in keyed if exact}}
            self._routes = len(routes)
        return self._candidates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sub = (self._lookup().get(_path_key(_route_path(scope))) if scope["type"] == "http"
               else None)
        if sub is None:
            await self.everything(scope, receive, send)
            return
        scope.setdefault("router", self.router)  # url_for() looks through every route
        await sub.app(scope, receive, send)


def index_routes(app: fastapi.FastAPI) -> None:
    """Dispatch ``app``'s requests through a :class:`RouteIndex` of its routes."""
    router = app.router
    if router.middleware_stack != router.app:
        raise TypeError("the app's router has middleware of its own; index it before")
    router.middleware_stack = RouteIndex(router)
