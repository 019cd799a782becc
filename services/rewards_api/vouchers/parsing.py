"""Reading voucher codes from a CSV file as a supplier or Excel exports it."""

from __future__ import annotations

import csv
import re

from services.rewards_api.vouchers.schemas import RejectedCode

HEADER_NAMES = {"code", "codes", "voucher_code", "voucher", "券码", "卡号", "兑换码", "卡密"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_CODE_LENGTH = 200


def decode(content: bytes) -> str | None:
    """UTF-8 (with or without BOM), else GB18030 (which covers GBK); None for neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def read_file(content: bytes) -> tuple[list[tuple[int, str]], list[RejectedCode]]:
    """The codes of an uploaded CSV file; one that is not text is refused as a whole,
    as line 0 (the upload itself was well-formed, which is all the schema can say)."""
    text = decode(content)
    if text is None:
        return [], [RejectedCode(line=0, detail="The file is neither UTF-8 nor GB18030/GBK "
                                                "text: no code was read")]
    return parse_codes(text)


def parse_codes(text: str) -> tuple[list[tuple[int, str]], list[RejectedCode]]:
    """(line, code) for each code in the first column, and the lines refused.
    Blank lines and a header line are skipped. Each line is read on its own, so that
    a broken line (a stray quote, a NUL) is refused alone, not the whole file."""
    codes: list[tuple[int, str]] = []
    rejected: list[RejectedCode] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        try:
            row = next(csv.reader([raw]), [])
        except csv.Error as exc:
            rejected.append(RejectedCode(line=line, detail=f"not a CSV line: {exc}"))
            continue
        value = row[0].strip() if row else ""
        if not value or (line == 1 and value.lower() in HEADER_NAMES):
            continue
        if len(value) > MAX_CODE_LENGTH:
            rejected.append(RejectedCode(line=line, detail="longer than 200 characters"))
        elif _CONTROL.search(value):
            rejected.append(RejectedCode(line=line, detail="holds control characters"))
        else:
            codes.append((line, value))
    return codes, rejected
