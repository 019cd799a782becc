"""Opaque keyset cursors and the list envelope every list endpoint returns."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar, overload

from fastapi import Query
from pydantic import BaseModel

from shared.errors import BadCursor

T = TypeVar("T")
K1 = TypeVar("K1")
K2 = TypeVar("K2")
K3 = TypeVar("K3")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False, default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, arity: int) -> list[Any] | None:
    """Decode a cursor made by :func:`encode_cursor`; a tampered one is a 404 problem
    (:class:`BadCursor`). An empty cursor (``?cursor=``) is the first page."""
    if not cursor:
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
Cursor = Annotated[str | None, Query(
    max_length=2000, pattern=r"^[A-Za-z0-9_-]*$",
    description="Opaque cursor from next_cursor (empty: the first page)")]


def decode_id_cursor(cursor: str | None) -> int | None:
    """The id a list of integer ids continues after; a cursor not made by the list is
    BadCursor (404)."""
    values = decode_cursor(cursor, arity=1)
    if values is None:
        return None
    value = values[0]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
        raise BadCursor("The cursor does not belong to this list")
    return value


def encode_id_cursor(last_id: int | None) -> str | None:
    return None if last_id is None else encode_cursor([last_id])


# -- typed keyset cursors ----------------------------------------------------------------
# A key reads one value of a cursor back into its type, raising TypeError or ValueError
# when the value cannot be one: a cursor made for another list, or tampered with.
CursorKey = Callable[[object], T]


def text_key(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def int_key(value: object) -> int:
    """A non-negative integer that fits a bigint column."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise TypeError("not a bigint")
    return value


def bigint_key(value: object) -> int:
    """Any integer that fits a bigint column, negative ones too (points, differences)."""
    if not isinstance(value, int) or isinstance(value, bool) or not -2**63 <= value < 2**63:
        raise TypeError("not a bigint")
    return value


def datetime_key(value: object) -> datetime:
    return datetime.fromisoformat(text_key(value))


def uuid_key(value: object) -> uuid.UUID:
    return uuid.UUID(text_key(value))


@overload
def decode_keyset(cursor: str | None, k1: CursorKey[K1], /) -> tuple[K1] | None: ...
@overload
def decode_keyset(cursor: str | None, k1: CursorKey[K1], k2: CursorKey[K2], /
                  ) -> tuple[K1, K2] | None: ...
@overload
def decode_keyset(cursor: str | None, k1: CursorKey[K1], k2: CursorKey[K2],
                  k3: CursorKey[K3], /) -> tuple[K1, K2, K3] | None: ...
def decode_keyset(cursor: str | None, *keys: CursorKey[Any]) -> tuple[Any, ...] | None:
    """The typed position a keyset list continues after (None without a cursor), e.g.
    ``decode_keyset(cursor, datetime_key, uuid_key)`` for (created_at, id). A cursor
    whose values are not of these types is a 404 problem (:class:`BadCursor`), never a
    failed query."""
    values = decode_cursor(cursor, arity=len(keys))
    if values is None:
        return None
    try:
        return tuple(key(value) for key, value in zip(keys, values, strict=True))
    except (TypeError, ValueError, OverflowError) as exc:
        raise BadCursor("The cursor does not belong to this list") from exc
