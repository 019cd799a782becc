"""Voucher code pools (超市购物卡 and the like)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from services.rewards_api.catalogue.errors import ItemNotFound
from services.rewards_api.catalogue.schemas import CODE_PATTERN
from services.rewards_api.dependencies import RewardsSettings
from services.rewards_api.vouchers.errors import (
    NotAVoucherItem,
    UnsupportedImportType,
    VoucherFileRejected,
    VoucherImportTooLarge,
)
from services.rewards_api.vouchers.parsing import decode, parse_codes
from services.rewards_api.vouchers.schemas import RejectedCode, VoucherImport, VoucherImportReport
from services.rewards_api.vouchers.service import vouchers
from shared.auth import HRAdmin
from shared.db import DBSession
from shared.errors import STANDARD_RESPONSES, FieldError, InvalidRequest, pointer_for, responses

router = APIRouter(prefix="/rewards/v1", tags=["vouchers"])
ItemCodePath = Annotated[str, Path(pattern=CODE_PATTERN, description="Item code")]

_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {"oneOf": [
            VoucherImport.model_json_schema(),
            {"type": "array", "items": {"type": "string"}, "minItems": 1,
             "title": "Codes"}]}},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary",
                                    "description": "CSV, one code per line in the first "
                                                   "column; UTF-8 or GB18030/GBK"}}}},
        "text/csv": {"schema": {"type": "string"}},
    },
}


@router.post("/items/{code}/vouchers", response_model=VoucherImportReport,
             operation_id="import_voucher_codes", summary="Add codes to a voucher item's pool",
             openapi_extra={"requestBody": _REQUEST_BODY},
             responses={**STANDARD_RESPONSES,
                        **responses(ItemNotFound, NotAVoucherItem, VoucherFileRejected,
                                    VoucherImportTooLarge, UnsupportedImportType)})
async def import_voucher_codes(code: ItemCodePath, request: Request, session: DBSession,
                               principal: HRAdmin, settings: RewardsSettings
                               ) -> VoucherImportReport:
    """HR only. Send ``{"codes": [...]}`` (or the bare list) as JSON, or a CSV file
    (multipart field ``file``, or a ``text/csv`` body) with one code per line in the
    first column (a header line such as ``code`` or ``券码`` is skipped). Each new code adds one
    unit of stock. Codes already in the pool or repeated in the upload are listed
    under ``duplicates`` and not added; unreadable CSV lines under ``rejected``.
    Codes are never shown again except to the employee who receives one."""
    entries, rejected = await _read_codes(request, settings.voucher_import_max_bytes)
    if len(entries) > settings.voucher_import_max_codes:
        raise VoucherImportTooLarge(
            f"At most {settings.voucher_import_max_codes} codes per request")
    return await vouchers.import_codes(session, code, entries=entries, rejected=rejected,
                                       actor=principal.sub)


async def _read_codes(request: Request, max_bytes: int
                      ) -> tuple[list[tuple[int, str]], list[RejectedCode]]:
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("application/json"):
        body = await _limited_body(request, max_bytes)
        try:
            if body.lstrip().startswith(b"["):  # a bare list of codes
                body = b'{"codes": ' + body + b"}"
            data = VoucherImport.model_validate_json(body)
        except ValidationError as exc:
            errors = [FieldError(pointer=pointer_for(e["loc"]), detail=e["msg"])
                      for e in exc.errors()]
            raise InvalidRequest(f"{len(errors)} field(s) failed validation",
                                 errors=errors) from exc
        return [(i, c) for i, c in enumerate(data.codes, start=1)], []
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=5)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidRequest("Send the CSV file in the multipart field 'file'",
                                 errors=[FieldError(pointer="#/file", detail="missing")])
        content = await upload.read(max_bytes + 1)
        if len(content) > max_bytes:
            raise VoucherImportTooLarge(f"The file exceeds {max_bytes // (1024 * 1024)} MiB")
        return parse_codes(decode(content))
    if content_type.startswith(("text/csv", "text/plain")):
        return parse_codes(decode(await _limited_body(request, max_bytes)))
    raise UnsupportedImportType(f"Content-Type {content_type or '(none)'} is not accepted")


async def _limited_body(request: Request, max_bytes: int) -> bytes:
    body = await request.body()
    if len(body) > max_bytes:
        raise VoucherImportTooLarge(f"The request exceeds {max_bytes // (1024 * 1024)} MiB")
    return body
