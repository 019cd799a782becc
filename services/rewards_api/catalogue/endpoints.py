"""The reward catalogue (积分兑换商城): items HR maintains and employees browse."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response
from pydantic import AfterValidator

from services.rewards_api.catalogue import schemas
from services.rewards_api.catalogue.errors import (
    EmptyActiveWindow,
    ItemKindImmutable,
    ItemNotFound,
    StockBelowCommitted,
)
from services.rewards_api.catalogue.repository import ItemFilters
from services.rewards_api.catalogue.service import catalogue, item_out
from services.rewards_api.clients.points import PointsAPI
from services.rewards_api.errors import EmployeeNotFound
from shared.auth import CurrentUser, HRAdmin
from shared.db import DBSession, DriverDB
from shared.dependencies import CompanyTZ
from shared.errors import BadCursor, problems
from shared.identity import EMPLOYEE_NO_PATTERN, canonical_employee_no
from shared.pagination import (
    Cursor,
    Limit,
    Page,
    decode_keyset,
    encode_cursor,
    text_key,
)
from shared.routing import APIRouter, created_or_ok, upsert_responses

router = APIRouter(prefix="/rewards/v1", tags=["catalogue"])
ItemCodePath = Annotated[str, Path(pattern=schemas.CODE_PATTERN, description="Item code")]
ForEmployee = Annotated[str | None, Query(
    alias="employee_no", pattern=EMPLOYEE_NO_PATTERN,
    description="HR, auditors and integrations: show the catalogue as this employee sees it"),
    AfterValidator(lambda v: canonical_employee_no(v) if v is not None else v)]


@router.put("/items/{code}", response_model=schemas.Item, operation_id="upsert_reward_item",
            summary="Create or update a catalogue item",
            responses=upsert_responses(schemas.Item, ItemKindImmutable, StockBelowCommitted,
                                       EmptyActiveWindow))
async def upsert_item(code: ItemCodePath, body: schemas.ItemUpsert, session: DBSession,
                      principal: HRAdmin, response: Response) -> schemas.Item:
    """HR only. Idempotent upsert by item code (201 when created). ``stock`` is the
    total made available, units already redeemed included, so re-sending the same
    body never adds stock; setting it below the units reserved or issued is 409
    ``stock-below-committed``. The kind of an item never changes (409
    ``item-kind-immutable``). Voucher items take their stock from imported codes."""
    item, created = await catalogue.upsert(session, code, data=body, actor=principal.sub)
    created_or_ok(response, created)
    return item_out(item)


@router.post("/items/{code}/archive", response_model=schemas.Item,
             operation_id="archive_reward_item", summary="Take an item out of the catalogue",
             responses=problems(ItemNotFound))
async def archive_item(code: ItemCodePath, session: DBSession, principal: HRAdmin
                       ) -> schemas.Item:
    """HR only. The item disappears from the employees' catalogue and can no longer
    be redeemed; redemptions already made carry on. Archiving twice changes nothing."""
    item = await catalogue.set_archived(session, code, archived=True, actor=principal.sub)
    return item_out(item)


@router.post("/items/{code}/unarchive", response_model=schemas.Item,
             operation_id="unarchive_reward_item", summary="Put an archived item back",
             responses=problems(ItemNotFound))
async def unarchive_item(code: ItemCodePath, session: DBSession, principal: HRAdmin
                         ) -> schemas.Item:
    """HR only. The item returns to the catalogue (within its active window)."""
    item = await catalogue.set_archived(session, code, archived=False, actor=principal.sub)
    return item_out(item)


@router.get("/items", response_model=Page[schemas.Item], operation_id="list_reward_items",
            summary="Browse the catalogue",
            responses=problems(EmployeeNotFound, BadCursor))
async def list_items(
    db: DriverDB, principal: CurrentUser, points: PointsAPI, tz: CompanyTZ,
    limit: Limit = 50, cursor: Cursor = None, kind: schemas.ItemKind | None = None,
    archived: Annotated[bool | None, Query(description="HR view: archived or not")] = None,
    requires_approval: Annotated[bool | None, Query(description="HR view")] = None,
    employee_no: ForEmployee = None,
) -> Page[schemas.Item]:
    """Employees see the items they may redeem now (active, not archived, matching
    their role family and department, and their qualifying points), each with their
    spendable balance, whether they can afford it and how many units their limit
    still allows this period; sold-out items stay listed with ``available`` false.
    HR, auditors and integrations see every item, filtered by ``kind``,
    ``archived`` and ``requires_approval``, or the catalogue of ``employee_no``.
    Ordered by item code."""
    after = decode_keyset(cursor, text_key)
    filters = ItemFilters(kind=kind, archived=archived, requires_approval=requires_approval)
    items, last = await catalogue.page(db, points, principal=principal, employee_no=employee_no,
                                       filters=filters, after=after[0] if after else None,
                                       limit=limit, tz=tz)
    return Page(items=items, next_cursor=encode_cursor([last]) if last else None)


@router.get("/items/{code}", response_model=schemas.Item, operation_id="get_reward_item",
            summary="Get a catalogue item",
            responses=problems(ItemNotFound, EmployeeNotFound))
async def get_item(code: ItemCodePath, session: DBSession, principal: CurrentUser,
                   points: PointsAPI, tz: CompanyTZ, employee_no: ForEmployee = None
                   ) -> schemas.Item:
    """One item. Employees get only items of their catalogue (others answer 404),
    with their balance, affordability and remaining limit; HR, auditors and
    integrations get any item, archived ones included."""
    shopper = await catalogue.shopper(session, points, principal=principal,
                                      employee_no=employee_no)
    return await catalogue.show(session, code, shopper=shopper, tz=tz)
