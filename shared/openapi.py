"""The OpenAPI document a service publishes, made true about errors.

Endpoints declare only their own business problems (``responses=problems(...)``).
:func:`install_openapi` completes every operation with the answers it can give
whatever the endpoint says: the gateway's own errors, 401/403 where a token is
needed, 404 where the path names a resource, 409/422 where the request carries
data, and renders every 4xx/5xx as ``application/problem+json`` with the one
shared ``Problem`` schema. Mobile teams generate clients from these documents;
an error status missing from them is a crash in someone's app.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

from shared.errors import PROBLEM_MEDIA_TYPE, FieldError, Problem

PREFIX = "#/components/schemas/"
PROBLEM_REF = PREFIX + "Problem"

# Every request passes the gateway, which answers these itself (docs/gateway.md).
GATEWAY_PROBLEMS: dict[int, str] = {
    400: "Malformed request: the HTTP message or its JSON body cannot be parsed",
    413: "Request body larger than the gateway accepts",
    414: "Request URI longer than the gateway accepts",
    429: "Too many requests from this address; retry after Retry-After seconds",
    431: "Request headers larger than the gateway accepts",
    502: "The service behind the gateway did not answer properly",
    503: "The service or its database is unavailable; retry after Retry-After seconds",
    504: "The service behind the gateway did not answer in time",
}
AUTH_PROBLEMS: dict[int, str] = {
    401: "Missing, expired or invalid bearer token",
    403: "The token's roles do not allow this",
}
NOT_FOUND = "The resource named in the path does not exist or is not visible to the caller"
BAD_CURSOR = "The cursor was not made by this API for this list"
UNSUPPORTED = "The body is not in a media type this operation reads"
INVALID = "The request does not match this operation's schema"
IDEMPOTENCY_BUSY = "A request with the same Idempotency-Key is still running"
KEY_REUSED = "its Idempotency-Key was used before for a different request"
_METHODS = ("get", "put", "post", "delete", "patch")


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with a generator that declares every error answer."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_problems(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def declare_problems(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with each operation's error answers completed and typed."""
    doc = copy.deepcopy(doc)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, FieldError):
        schemas[model.__name__] = model.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
    schemas["Problem"].pop("$defs", None)
    for path, method, operation in operations(doc):
        responses = operation.setdefault("responses", {})
        for status, description in implied_problems(path, method, operation).items():
            _add(responses, status, description)
        for status, response in responses.items():
            if int(status) >= 400:
                response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}
        operation["responses"] = dict(sorted(responses.items(), key=lambda kv: int(kv[0])))
    for _, _, operation in operations(doc):
        _mark_file_parts(operation, schemas)
    _drop_unreferenced(schemas, doc)
    return doc


def _mark_file_parts(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """A file part of a multipart body is bytes, whatever they spell: ``format: binary``
    beside its ``contentMediaType`` says so to clients and fuzzers (which would
    otherwise take a part that reads ``null`` for a null instead of a file)."""
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("multipart/form-data", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith(PREFIX):
        schema = schemas.get(ref[len(PREFIX):], {})
    for part in schema.get("properties", {}).values():
        if part.get("type") == "string" and "contentMediaType" in part:
            part.setdefault("format", "binary")


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                yield path, method, item[method]


def implied_problems(path: str, method: str, operation: dict[str, Any]) -> dict[int, str]:
    """The error answers an operation can give that its endpoint does not list."""
    implied = dict(GATEWAY_PROBLEMS)
    if operation.get("security"):
        implied.update(AUTH_PROBLEMS)
    if "{" in path:
        implied[404] = NOT_FOUND
    if any(p.get("name") == "cursor" for p in operation.get("parameters", [])):
        implied[404] = (implied[404] + "; " if 404 in implied else "") + BAD_CURSOR
    if operation.get("parameters") or operation.get("requestBody"):
        implied[422] = INVALID
    if any(p.get("name", "").lower() == "idempotency-key"
           for p in operation.get("parameters", [])):
        implied[422] += "; or " + KEY_REUSED
    if operation.get("requestBody"):
        implied[415] = UNSUPPORTED
    if method == "post":
        implied[409] = IDEMPOTENCY_BUSY
    return implied


def _add(responses: dict[str, Any], status: int, description: str) -> None:
    entry = responses.setdefault(str(status), {"description": description})
    if entry.get("description") == "Validation Error":  # FastAPI's own, says nothing
        entry["description"] = description
    elif description not in entry.get("description", ""):
        entry["description"] = f"{entry['description']}; {description}"


def _drop_unreferenced(schemas: dict[str, Any], doc: dict[str, Any]) -> None:
    """Remove component schemas nothing refers to any more (FastAPI's own
    HTTPValidationError once every 422 is a Problem)."""
    while True:
        text = json.dumps({k: v for k, v in doc.items() if k != "components"})
        text += json.dumps(schemas)
        used = set(re.findall(r'"#/components/schemas/([^"]+)"', text))
        unused = [name for name in schemas if name not in used]
        if not unused:
            return
        for name in unused:
            del schemas[name]
