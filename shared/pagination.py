"""Opaque keyset cursors and the list envelope every list endpoint returns."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from shared.errors import BadCursor

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False, default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, arity: int) -> list[Any] | None:
    """Decode a cursor made by :func:`encode_cursor`; a tampered one is a 400 problem."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode())
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise BadCursor("The cursor was not made by this API; start again without it") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise BadCursor("The cursor does not belong to this list")
    if any(isinstance(v, str) and "\x00" in v for v in values):
        raise BadCursor("The cursor holds invalid characters")
    return values


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (max 500)")]
Cursor = Annotated[str | None, Query(max_length=2000, description="Opaque cursor from next_cursor")]


def decode_id_cursor(cursor: str | None) -> int | None:
    """The id a list of integer ids continues after; a cursor that is not ours is a 400."""
    values = decode_cursor(cursor, arity=1)
    if values is None:
        return None
    value = values[0]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
        raise BadCursor("The cursor does not belong to this list")
    return value


def encode_id_cursor(last_id: int | None) -> str | None:
    return None if last_id is None else encode_cursor([last_id])
