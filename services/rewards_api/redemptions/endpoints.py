"""Redemptions: placing them, deciding on them, reading them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Header, Query, Request, Response, status
from fastapi.routing import APIRoute

from services.rewards_api.catalogue.errors import ItemNotFound
from services.rewards_api.catalogue.schemas import CODE_PATTERN
from services.rewards_api.clients.points import PointsClient
from services.rewards_api.config import Settings
from services.rewards_api.dependencies import RewardsSettings
from services.rewards_api.errors import EmployeeNotFound, InsufficientPoints, PointsUnavailable
from services.rewards_api.models import RedemptionStatus
from services.rewards_api.redemptions import schemas
from services.rewards_api.redemptions.decisions import decisions
from services.rewards_api.redemptions.errors import (
    ApprovalWindowClosed,
    ItemNotAvailable,
    LimitReached,
    NotApprover,
    NotEligible,
    NotYourRedemption,
    OutOfStock,
    QuantityNotAllowed,
    RedemptionNotFound,
    RedemptionNotPending,
    SelfApproval,
)
from services.rewards_api.redemptions.instant import instant
from services.rewards_api.redemptions.repository import RedemptionFilters
from services.rewards_api.redemptions.service import present, reads
from shared.auth import CurrentUser, Principal, current_principal
from shared.db import DBSession, DriverDB, request_driver
from shared.errors import BadCursor, problems
from shared.idempotency import RouteKeys
from shared.identity import EmployeeNoQuery
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    datetime_key,
    decode_keyset,
    encode_cursor,
    uuid_key,
)
from shared.routing import APIRouter, body_and_caller, lean

router = APIRouter(prefix="/rewards/v1", tags=["redemptions"])
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", max_length=200,
    description="Send one per redemption: a retry with the same key returns the same "
                "redemption instead of redeeming twice")]


async def _redeem_lean(route: APIRoute, request: Request) -> Response:
    """Every redemption comes here: what :func:`create_redemption`'s parameters would
    do, in their order, without FastAPI's generic request handling
    (shared.routing.lean). The Idempotency-Key's length is the document's to check."""
    body, principal = await body_and_caller(route, request, current_principal)
    return await _redeem(request, body, principal, request.headers.get("idempotency-key"))


async def _redeem(request: Request, body: schemas.RedemptionCreate, principal: Principal,
                  idempotency_key: str | None) -> Response:
    # what the app keeps is taken from its state, and the driver connection opened
    # here, rather than by a dependency each
    state = request.app.state
    settings: Settings = state.settings
    keyed = RouteKeys.keyed(request.scope, await request.body(), idempotency_key,
                            principal.sub, settings.idempotency_ttl_hours)
    async with request_driver(request) as db:
        return await instant.redeem(db, state.sessionmaker, PointsClient(state.peers["points"]),
                                    request, principal=principal, data=body, keyed=keyed,
                                    settings=settings)


@router.post("/redemptions", response_model=schemas.Redemption,
             status_code=status.HTTP_201_CREATED, operation_id="create_redemption",
             summary="Redeem points for a catalogue item",
             responses={200: {"model": schemas.Redemption,
                              "description": "The redemption made earlier with this "
                                             "Idempotency-Key"},
                        **problems(ItemNotFound, EmployeeNotFound, NotYourRedemption,
                                    ItemNotAvailable, NotEligible, QuantityNotAllowed,
                                    LimitReached, OutOfStock, InsufficientPoints,
                                    PointsUnavailable)})
@lean(_redeem_lean)
async def create_redemption(request: Request, body: schemas.RedemptionCreate,
                            principal: CurrentUser,
                            idempotency_key: IdempotencyKey = None) -> Response:
    """An employee redeems for themself; HR may redeem for any employee
    (``employee_no``). The item must be active and the employee eligible; the units
    count against the employee's limit and are taken from stock; then points_api
    spends the points (409 ``insufficient-points`` when the spendable balance is too
    small, 503 with Retry-After when points_api cannot be reached: in both cases
    nothing stays reserved and nothing is charged). Items that need approval only hold
    the points and answer ``pending_approval``; the others are fulfilled at once
    (``fulfilled``: points spent, voucher code shown, leave or subsidy passed on)."""
    return await _redeem(request, body, principal, idempotency_key)


@router.post("/redemptions/{redemption_id}/approve", response_model=schemas.Redemption,
             operation_id="approve_redemption", summary="Approve a pending redemption",
             responses=problems(RedemptionNotFound, SelfApproval, NotApprover,
                                    RedemptionNotPending, ApprovalWindowClosed))
async def approve_redemption(redemption_id: uuid.UUID, session: DBSession,
                             principal: CurrentUser, settings: RewardsSettings,
                             body: schemas.Approval | None = None
                             ) -> schemas.Redemption:
    """A manager of the employee's department (sub-departments included) or HR
    approves; nobody approves their own redemption (403 ``self-approval``). The
    redemption is fulfilled at once: the points are spent and the reward passed on."""
    r = await decisions.approve(session, redemption_id, principal=principal,
                                note=body.note if body else None, settings=settings)
    return await present(session, r, principal=principal)


@router.post("/redemptions/{redemption_id}/reject", response_model=schemas.Redemption,
             operation_id="reject_redemption", summary="Reject a pending redemption",
             responses=problems(RedemptionNotFound, SelfApproval, NotApprover,
                                    RedemptionNotPending))
async def reject_redemption(redemption_id: uuid.UUID, body: schemas.Rejection,
                            session: DBSession, principal: CurrentUser) -> schemas.Redemption:
    """Same deciders as approval, with a reason the employee sees. The held points
    are released and the stock and limit given back."""
    r = await decisions.reject(session, redemption_id, principal=principal,
                               reason=body.reason)
    return await present(session, r, principal=principal)


@router.post("/redemptions/{redemption_id}/cancel", response_model=schemas.Redemption,
             operation_id="cancel_redemption", summary="Cancel a pending redemption",
             responses=problems(RedemptionNotFound, NotYourRedemption,
                                    RedemptionNotPending))
async def cancel_redemption(redemption_id: uuid.UUID, session: DBSession,
                            principal: CurrentUser,
                            body: schemas.Cancellation | None = None) -> schemas.Redemption:
    """The employee who redeemed, or HR, withdraws a redemption still waiting for
    approval. The held points are released and the stock and limit given back."""
    r = await decisions.cancel(session, redemption_id, principal=principal,
                               reason=body.reason if body else None)
    return await present(session, r, principal=principal)


@router.get("/redemptions/{redemption_id}", response_model=schemas.Redemption,
            operation_id="get_redemption", summary="Get a redemption",
            responses=problems(RedemptionNotFound))
async def get_redemption(redemption_id: uuid.UUID, db: DriverDB,
                         principal: CurrentUser) -> schemas.Redemption:
    """Visible to the employee, the managers of their department, HR, auditors and
    integrations (others answer 404). The voucher code of a voucher redemption is
    shown to the employee only."""
    return await reads.get(db, redemption_id, principal=principal)


@router.get("/redemptions", response_model=Page[schemas.Redemption],
            operation_id="list_redemptions", summary="List redemptions",
            responses=problems(BadCursor))
async def list_redemptions(
    session: DBSession, principal: CurrentUser, limit: Limit = 50, cursor: Cursor = None,
    status_: Annotated[RedemptionStatus | None, Query(alias="status")] = None,
    item_code: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    employee_no: EmployeeNoQuery = None,
) -> Page[schemas.Redemption]:
    """Newest first. Employees see their own, managers also those of their
    departments (sub-departments included), HR, auditors and integrations all.
    Filters: ``status``, ``item_code``, ``employee_no``."""
    position = decode_keyset(cursor, datetime_key, uuid_key)
    filters = RedemptionFilters(status=status_, item_code=item_code, employee_no=employee_no)
    items, last = await reads.list(session, filters, principal=principal, after=position,
                                   limit=limit)
    return Page(items=items, next_cursor=(encode_cursor([last[0].isoformat(), str(last[1])])
                                          if last else None))
