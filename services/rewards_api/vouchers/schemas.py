from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.contracts.base import ReadSchema, Schema
from shared.contracts.fields import text

# printable text without control characters; surrounding blanks are dropped
VoucherCodeText = Annotated[str, text(200, exclude=r"\x00-\x1f\x7f")]


class VoucherImport(Schema):
    codes: list[VoucherCodeText] = Field(min_length=1, max_length=50_000,
                                         examples=[["CARD-100-0001", "CARD-100-0002"]])


class DuplicateCode(ReadSchema):
    code: str
    line: int = Field(description="Line of the CSV file, or position in the JSON list (from 1)")
    reason: Literal["already_in_pool", "repeated_in_upload"]


class RejectedCode(ReadSchema):
    line: int
    detail: str


class VoucherPool(ReadSchema):
    total: int = Field(description="Codes ever imported")
    available: int = Field(description="Codes not given to any redemption yet")
    assigned: int


class VoucherImportReport(ReadSchema):
    item_code: str
    received: int = Field(description="Codes read from the request")
    added: int = Field(description="New codes added to the pool (and to the item's stock)")
    duplicates: list[DuplicateCode]
    rejected: list[RejectedCode] = Field(description="CSV lines that hold no valid code")
    pool: VoucherPool
