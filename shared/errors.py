"""RFC 9457 problem+json for every error a service can answer.

Services raise :class:`ServiceError` subclasses; nothing raises HTTPException.
The handlers installed by :func:`install_problem_handlers` render business
errors, validation errors, unknown routes, bad database input and crashes in
one shape, so clients parse one format.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

PROBLEM_BASE = "https://jifen.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

log = structlog.get_logger("jifen.errors")


class FieldError(BaseModel):
    pointer: str
    detail: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class ServiceError(Exception):
    """Base of every business error. Subclasses set status, problem type and title."""

    status: int = 400
    problem: str = "bad-request"
    title: str = "Bad request"
    headers: dict[str, str] | None = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.extra = extra
        if headers:
            self.headers = headers


class NotFound(ServiceError):
    status, problem, title = 404, "not-found", "Resource not found"


class Conflict(ServiceError):
    status, problem, title = 409, "conflict", "Conflict with the current state"


class Forbidden(ServiceError):
    status, problem, title = 403, "forbidden", "Not allowed"


class Unauthorized(ServiceError):
    status, problem, title = 401, "unauthorized", "Missing or invalid credentials"
    headers = {"WWW-Authenticate": "Bearer"}


class InvalidRequest(ServiceError):
    status, problem, title = 422, "validation-error", "The request is not valid"


class UnsupportedMediaType(ServiceError):
    status, problem, title = (415, "unsupported-media-type",
                              "The body's Content-Type is not read here")


class BadCursor(ServiceError):
    """A cursor names a page of one list, as an id names a resource: one this API did
    not make for this list names nothing, hence 404 (a well-formed string is all the
    schema can promise)."""

    status, problem, title = 404, "invalid-cursor", "The pagination cursor is not valid"


class DependencyUnavailable(ServiceError):
    status, problem, title = 503, "dependency-unavailable", "A service this one needs is down"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5, **kw: Any) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)}, **kw)


def problem_type(slug: str) -> str:
    return PROBLEM_BASE + slug


def problem_response(
    request: Request | None,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": request.url.path if request is not None else None,
    }
    if errors:
        body["errors"] = [e.model_dump() for e in errors]
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def allowed_methods(request: Request) -> str:
    """The Allow header of a 405: the methods the app's OpenAPI document lists for the
    request's path (Starlette names only those of the first route on the path)."""
    methods: set[str] = set()
    for template, item in request.app.openapi().get("paths", {}).items():
        if compile_path(template)[0].match(request.url.path):
            methods |= {m.upper() for m in item if m in _HTTP_METHODS}
    return ", ".join(sorted(methods))


_HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def pointer_for(loc: tuple[Any, ...] | list[Any]) -> str:
    """JSON pointer for a pydantic error location (body fields drop the 'body' root)."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    elif parts and parts[0] in ("query", "path", "header", "cookie"):
        return f"#/{parts[0]}/" + "/".join(str(p) for p in parts[1:])
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def problems(*errors: type[ServiceError]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an endpoint: the business problems it can return, one entry per
    status listing every reason. The kit adds what every operation can answer (401, 403,
    the gateway's statuses...) and the problem+json content (:mod:`shared.openapi`)."""
    out: dict[int | str, dict[str, Any]] = {}
    for err in errors:
        entry = out.setdefault(err.status, {"description": err.title})
        if err.title not in entry["description"]:
            entry["description"] += f"; {err.title}"
    return out


# asyncpg's SQLSTATE classes that mean "the client sent a value the database cannot take"
_DATA_ERROR_CLASSES = ("22",)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return problem_response(
            request,
            status=exc.status,
            slug=exc.problem,
            title=exc.title,
            detail=exc.detail,
            errors=exc.errors,
            headers=exc.headers,
            extra=exc.extra or None,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            FieldError(pointer=pointer_for(e.get("loc", ())), detail=str(e.get("msg", "")))
            for e in exc.errors()
        ]
        return problem_response(
            request,
            status=422,
            slug="validation-error",
            title="The request is not valid",
            detail=f"{len(errors)} field(s) failed validation",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(
            exc.status_code, "http-error"
        )
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return problem_response(
            request,
            status=exc.status_code,
            slug=slug,
            title=str(exc.detail),
            detail=str(exc.detail),
            headers=headers or None,
        )

    @app.exception_handler(DBAPIError)
    async def _db(request: Request, exc: DBAPIError) -> JSONResponse:
        sqlstate = _sqlstate(exc)
        if isinstance(exc, IntegrityError) or (sqlstate or "").startswith("23"):
            return problem_response(
                request,
                status=409,
                slug="conflict",
                title="Conflict with the current state",
                detail=_first_line(exc),
            )
        if sqlstate and sqlstate.startswith(_DATA_ERROR_CLASSES):
            return problem_response(
                request,
                status=422,
                slug="invalid-value",
                title="A value cannot be stored",
                detail=_first_line(exc),
            )
        log.error("database_error", sqlstate=sqlstate, error=_first_line(exc))
        return database_unavailable(request)

    async def _outage_or_crash(request: Request, exc: Exception) -> JSONResponse:
        """Connection errors of the database come as OSError, asyncpg and SQLAlchemy
        types; answered here, inside the app, the connection to the gateway stays
        usable (an error that reaches the server's last resort closes it)."""
        if database_outage(exc):
            log.error("database_unreachable", error=repr(exc)[:300])
            return database_unavailable(request)
        raise exc

    for kind in (OSError, asyncpg.PostgresError, asyncpg.InterfaceError,
                 sa_exc.SQLAlchemyError):
        app.add_exception_handler(kind, _outage_or_crash)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        if database_outage(exc):
            log.error("database_unreachable", error=repr(exc)[:300])
            return database_unavailable(request)
        log.exception("unhandled_error", error=repr(exc))
        return problem_response(
            request,
            status=500,
            slug="internal-error",
            title="Internal error",
            detail="The error was logged with this request's X-Request-ID",
        )


def database_unavailable(request: Request | None) -> JSONResponse:
    return problem_response(
        request,
        status=503,
        slug="database-unavailable",
        title="The database could not answer",
        detail="Try again shortly",
        headers={"Retry-After": "2"},
    )


# the layers a database connection goes through; an OSError raised in one of them is
# the database's network, never a file or a peer service
_DATABASE_MODULES = ("asyncpg", "sqlalchemy")


def database_outage(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the database cannot be reached: a
    refused, reset or lost connection, a server shutting down, or no pooled
    connection to be had. Such errors surface as different types from asyncpg,
    SQLAlchemy and the socket layer, so one check serves every route."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        exc = cause
        seen.add(id(exc))
        if isinstance(exc, _OUTAGE_TYPES):
            return True
        if isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc):
            return True  # "connection is closed": lost under the pool's feet
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        if isinstance(exc, OSError | asyncio.TimeoutError) and _raised_in(exc, _DATABASE_MODULES):
            return True
        cause = exc.__cause__ or exc.__context__
    return False


_OUTAGE_TYPES = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    sa_exc.TimeoutError,  # the pool had no connection to give within its timeout
    sa_exc.DisconnectionError,
)


def _raised_in(exc: BaseException, modules: tuple[str, ...]) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_globals.get("__name__", "")
        if name.split(".", 1)[0] in modules:
            return True
        tb = tb.tb_next
    return False


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = getattr(exc, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code:
            return str(code)
    return None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc)) or exc.__class__.__name__
    line = text.splitlines()[0]
    # asyncpg wraps messages as "<class 'asyncpg...'>: message"
    return line.split(">: ", 1)[-1][:300]

