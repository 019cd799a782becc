"""The three routes every kind of training fact has: record (POST), get one and
list. Each kind's endpoints.py calls :func:`add_fact_routes` with its schemas,
service and documentation, then adds its own actions.

This module does not use postponed annotations: FastAPI reads the endpoints'
parameter types at runtime, and here they are the arguments of the factory.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from services.training_api.facts.errors import (
    ClientIdConflict,
    EmployeeLeft,
    FactNotFound,
    OccurredInFuture,
    SelfRecording,
    UnknownEmployee,
)
from services.training_api.facts.feedback import answer, hand_off, rendered, respond
from services.training_api.facts.params import FactQuery
from services.training_api.facts.service import FactKind
from shared.auth import CurrentUser, Principal, current_principal
from shared.db import DBSession, request_driver, request_session
from shared.errors import BadCursor, ServiceError, problems
from shared.idempotency import applied_claim, claim_applied
from shared.pagination import Cursor, Limit, Page
from shared.routing import APIRouter, body_and_caller, lean

RECORDING_PROBLEMS = (UnknownEmployee, EmployeeLeft, ClientIdConflict, SelfRecording,
                      OccurredInFuture)
READ_ACCESS = ("Employees read their own records, managers those of their departments (with "
               "sub-departments); HR, auditors, assessors and integrations read all. Records "
               "the caller may not read answer 404.")


async def no_extra_filters() -> dict[str, Any]:
    return {}


def add_fact_routes(
    router: APIRouter, *, path: str, noun: str, plural: str, service: FactKind[Any, Any],
    create: type[BaseModel], read: type[BaseModel], recorded: type[BaseModel],
    record_summary: str, record_doc: str, read_doc: str = READ_ACCESS,
    record_problems: tuple[type[ServiceError], ...] = (), record_verb: str = "record",
    extra_filters: Callable[..., Awaitable[dict[str, Any]]] = no_extra_filters,
) -> None:
    """``noun``/``plural`` name the operations (``record_<noun>``, ``get_<noun>``,
    ``list_<plural>``); ``extra_filters`` is a dependency returning the kind's own
    list filters as {model attribute: value}."""

    async def record(body: BaseModel, principal: Principal, request: Request) -> Response:
        response = Response()  # carries the status answer() chooses
        claim = applied_claim(request.state)
        if claim is not None:  # the common case first, without an ORM session
            async with request_driver(request) as db:
                change = await service.record_on_driver(db, body, principal=principal,
                                                        claim=claim)
            if change is not None:  # the connection is back in the pool while it waits
                claim_applied(request.state)
                points = await hand_off(request, change, db)
                return rendered(response, answer(response, change, points, recorded))
        async with request_session(request) as session:
            change = await service.record(session, body, principal=principal)
            return rendered(response, await respond(session, request, response, change,
                                                    recorded))

    async def record_lean(route: APIRoute, request: Request) -> Response:
        """A recording without FastAPI's generic request handling (the hot path of
        earning): what :func:`record_fact`'s parameters would do, in their order."""
        body, principal = await body_and_caller(route, request, current_principal)
        return await record(body, principal, request)

    @router.post(path, status_code=201, response_model=recorded,
                 operation_id=f"{record_verb}_{noun}", summary=record_summary,
                 description=record_doc,
                 responses={200: {"model": recorded,
                                  "description": "Replay: the record already stored under this "
                                                 "client_id, with the same content"},
                            **problems(*RECORDING_PROBLEMS, *record_problems)})
    @lean(record_lean)
    async def record_fact(body: create,  # type: ignore[valid-type]
                          principal: CurrentUser, request: Request, response: Response) -> Any:
        """Written for the OpenAPI document; :func:`record_lean` answers its requests."""
        return await record(body, principal, request)

    @router.get(f"{path}/{{fact_id}}", response_model=read, operation_id=f"get_{noun}",
                summary=f"Get one {service.label.lower()[:-1]}", description=read_doc,
                responses=problems(FactNotFound))
    async def get_fact(fact_id: uuid.UUID, session: DBSession, principal: CurrentUser) -> Any:
        return await service.get(session, fact_id, principal=principal)

    @router.get(path, response_model=Page[read],  # type: ignore[valid-type]
                operation_id=f"list_{plural}",
                summary=f"List {service.label.lower()}",
                description=f"{service.label}, newest first (by time of occurrence), filtered by "
                            "employee, time range (``from`` inclusive, ``to`` exclusive) and "
                            "voided state. " + read_doc,
                responses=problems(BadCursor))
    async def list_facts(session: DBSession, principal: CurrentUser, filters: FactQuery,
                         extra: Annotated[dict[str, Any], Depends(extra_filters)],
                         limit: Limit = 50, cursor: Cursor = None) -> Any:
        filters.extra = extra
        items, next_cursor = await service.list(session, filters, principal=principal,
                                                cursor=cursor, limit=limit)
        page = Page[read]  # type: ignore[valid-type]
        return page(items=[read.model_validate(i) for i in items], next_cursor=next_cursor)
