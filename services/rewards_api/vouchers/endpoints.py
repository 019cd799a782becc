"""Voucher code pools (超市购物卡 and the like)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from services.rewards_api.catalogue.errors import ItemNotFound
from services.rewards_api.catalogue.schemas import CODE_PATTERN
from services.rewards_api.dependencies import RewardsSettings
from services.rewards_api.vouchers.errors import (
    NotAVoucherItem,
    VoucherImportTooLarge,
)
from services.rewards_api.vouchers.parsing import read_file
from services.rewards_api.vouchers.schemas import (
    RejectedCode,
    VoucherCodeText,
    VoucherImport,
    VoucherImportReport,
)
from services.rewards_api.vouchers.service import vouchers
from shared.auth import HRAdmin
from shared.db import DBSession
from shared.errors import FieldError, InvalidRequest, problems
from shared.routing import APIRouter

router = APIRouter(prefix="/rewards/v1", tags=["vouchers"])
ItemCodePath = Annotated[str, Path(pattern=CODE_PATTERN, description="Item code")]

VoucherCodes = Annotated[list[VoucherCodeText], Field(
    min_length=1, max_length=50_000, title="Codes", examples=[["CARD-100-0001"]])]
# The CSV travels as a text part (a file part as well); the schema says text/csv so
# that clients and fuzzers send text, which is what the pool is made of.
_FILE_BODY = {
    "required": True,
    "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": ["file"], "additionalProperties": False,
                   "properties": {"file": {
                       "type": "string", "contentMediaType": "text/csv",
                       "description": "CSV, one code per line in the first column; UTF-8 "
                                      "(with or without BOM) or GB18030/GBK"}}},
        "encoding": {"file": {"contentType": "text/csv"}}}},
}


@router.post("/items/{code}/vouchers", response_model=VoucherImportReport,
             operation_id="import_voucher_codes", summary="Add codes to a voucher item's pool",
             responses=problems(ItemNotFound, NotAVoucherItem, VoucherImportTooLarge))
async def import_voucher_codes(code: ItemCodePath, body: VoucherImport | VoucherCodes,
                               session: DBSession, principal: HRAdmin,
                               settings: RewardsSettings) -> VoucherImportReport:
    """HR only. ``{"codes": [...]}`` (or the bare list). Each new code adds one unit of
    stock. Codes already in the pool or repeated in the request are listed under
    ``duplicates`` and not added. Codes are never shown again except to the employee
    who receives one. A CSV file goes to ``POST /items/{code}/voucher-files``."""
    codes = body.codes if isinstance(body, VoucherImport) else body
    return await _import(session, code, list(enumerate(codes, start=1)), [], settings,
                         actor=principal.sub)


@router.post("/items/{code}/voucher-files", response_model=VoucherImportReport,
             operation_id="import_voucher_file", summary="Add codes from a CSV file",
             openapi_extra={"requestBody": _FILE_BODY},
             responses=problems(ItemNotFound, NotAVoucherItem,
                                VoucherImportTooLarge))
async def import_voucher_file(code: ItemCodePath, request: Request, session: DBSession,
                              principal: HRAdmin, settings: RewardsSettings
                              ) -> VoucherImportReport:
    """HR only. A CSV in the multipart field ``file`` (``curl -F file=@codes.csv``), one
    code per line in the first column; a header line such as ``code`` or ``券码`` and
    blank lines are skipped, lines that hold no valid code are listed under
    ``rejected``. Otherwise as ``POST /items/{code}/vouchers``."""
    limit = settings.voucher_import_max_bytes
    form = await request.form(max_files=1, max_fields=5, max_part_size=limit + 1)
    part = form.get("file")
    if part is None:
        raise InvalidRequest("Send the CSV in the multipart field 'file'",
                             errors=[FieldError(pointer="#/file", detail="missing")])
    content = await part.read(limit + 1) if isinstance(part, UploadFile) else part.encode()
    if len(content) > limit:
        raise VoucherImportTooLarge(f"The file exceeds {limit // (1024 * 1024)} MiB")
    entries, rejected = read_file(content)
    return await _import(session, code, entries, rejected, settings, actor=principal.sub)


async def _import(session: AsyncSession, code: str, entries: list[tuple[int, str]],
                  rejected: list[RejectedCode], settings: Any, *, actor: str
                  ) -> VoucherImportReport:
    if len(entries) > settings.voucher_import_max_codes:
        raise VoucherImportTooLarge(
            f"At most {settings.voucher_import_max_codes} codes per request")
    return await vouchers.import_codes(session, code, entries=entries, rejected=rejected,
                                       actor=actor)
