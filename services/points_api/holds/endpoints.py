"""Holds for redemptions: placed and read by rewards_api on its internal routes
(never through the gateway); HR and auditors list and read them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError

from services.points_api.holds import repository as repo
from services.points_api.holds.errors import HoldExpiryInvalid, HoldMismatch, HoldNotFound
from services.points_api.holds.service import hold_out, holds
from services.points_api.ledger.errors import InsufficientPoints
from shared.auth import AuditReader
from shared.contracts.holds import Hold, HoldCreate, HoldStatus
from shared.db import DBSession, request_driver
from shared.errors import problems
from shared.identity import EmployeeNoQuery
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    decode_keyset,
    encode_cursor,
    uuid_key,
)
from shared.routing import APIRouter, check_request, lean
from shared.service_auth import FromRewards, from_rewards

router = APIRouter(prefix="/points/v1", tags=["holds"])
internal_router = APIRouter(prefix="/points/v1/internal", tags=["internal"],
                            include_in_schema=False)
HoldIdPath = Annotated[uuid.UUID, Path(description="The redemption id the hold belongs to")]


@internal_router.post("/holds", response_model=Hold, status_code=201,
                      operation_id="create_hold", summary="Reserve points for a redemption",
                      responses={200: {"model": Hold, "description": "The hold already existed"},
                                 **problems(InsufficientPoints, HoldMismatch,
                                            HoldExpiryInvalid)})
async def create_hold(body: HoldCreate, session: DBSession, _: FromRewards,
                      response: Response) -> Hold:
    """Places an active hold (rewards_api only). Spendable points
    (balance minus active holds) must cover it, or 409 ``insufficient-points``.
    Idempotent on ``hold_id``: a retry answers the existing hold with 200."""
    hold, created = await holds.create(session, body)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return hold


async def _spend_lean(route: APIRoute, request: Request) -> Response:
    """What :func:`spend_points`'s parameters would do, in their order (the service
    token, then the document's check), without FastAPI's generic request handling
    (shared.routing.lean): every redemption without approval calls it."""
    await from_rewards(request)
    await check_request(request)
    return await _spend(request)


@internal_router.post("/spends", response_model=Hold, status_code=201,
                      operation_id="spend_points",
                      summary="Hold and spend points at once for a redemption without approval",
                      responses={200: {"model": Hold, "description": "The spend (or hold) "
                                                                     "already existed"},
                                 **problems(InsufficientPoints, HoldMismatch,
                                            HoldExpiryInvalid)})
@lean(_spend_lean)
async def spend_points(request: Request, _: FromRewards) -> Response:
    """Writes the ``spend`` entry at once and records the hold as ``spent``
    (rewards_api only), in one statement. Spendable points must cover it, or
    409 ``insufficient-points``. The redemption's ``hold.capture`` event confirms it
    (``captured``); not confirmed by ``expires_at`` it expires and the points come
    back. Idempotent on ``hold_id``: a retry answers the existing hold with 200.

    Every redemption without approval calls this once, so it does little beyond its
    statement: the body is read and validated by pydantic in one call (a 422 like any
    other body's), the driver connection opened here rather than by a dependency
    (FastAPI's machinery for one costs tens of microseconds), and the answer written
    as JSON by the model itself, without FastAPI's validation of the return value."""
    return await _spend(request)


async def _spend(request: Request) -> Response:
    try:
        body = HoldCreate.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])}
                                      for e in exc.errors(include_url=False)]) from exc
    async with request_driver(request) as db:
        hold, created = await holds.spend(db, body)
    return Response(hold.model_dump_json(), media_type="application/json",
                    status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@router.get("/holds/{hold_id}", response_model=Hold, operation_id="get_hold",
            summary="Get a hold", responses=problems(HoldNotFound))
async def get_hold(hold_id: HoldIdPath, session: DBSession, _: AuditReader) -> Hold:
    """One hold with its status (hr_admin, auditor)."""
    return await holds.get(session, hold_id)


@internal_router.get("/holds/{hold_id}", response_model=Hold,
                     operation_id="get_hold_for_rewards", summary="Get a hold",
                     responses=problems(HoldNotFound))
async def get_hold_for_rewards(hold_id: HoldIdPath, session: DBSession,
                               _: FromRewards) -> Hold:
    """One hold with its status, for rewards_api's recovery of redemptions."""
    return await holds.get(session, hold_id)


@router.get("/holds", response_model=Page[Hold], operation_id="list_holds",
            summary="List holds")
async def list_holds(
    session: DBSession, _: AuditReader, limit: Limit = 50, cursor: Cursor = None,
    employee_no: EmployeeNoQuery = None,
    status_: Annotated[HoldStatus | None,
                       Query(alias="status")] = None,
) -> Page[Hold]:
    """Holds by id, filtered by employee and status (for reconciliation)."""
    after = decode_keyset(cursor, uuid_key)
    rows = await repo.list_holds(session, employee_no=employee_no, status=status_,
                                 after=str(after[0]) if after else None, limit=limit + 1)
    items = [hold_out(r) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor([str(items[-1].hold_id)]) if more else None)
