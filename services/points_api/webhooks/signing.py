"""The signature scheme (documented in docs/webhooks.md):

``Jifen-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>``, the
timestamp being ``Jifen-Timestamp`` (unix seconds). While an old secret is still
valid after a rotation, a second ``v1=`` signature made with it follows, comma
separated; a receiver accepts the request when any one of them matches.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

SECRET_PREFIX = "whsec_"
SCHEME = "v1"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_hint(secret: str) -> str:
    """What reads show instead of the secret: enough to tell two secrets apart."""
    return f"{SECRET_PREFIX}…{secret[-4:]}"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(signing_secrets: Iterable[str], timestamp: int, body: bytes) -> str:
    return ",".join(f"{SCHEME}={sign(s, timestamp, body)}" for s in signing_secrets)


def body_bytes(document: dict[str, Any]) -> bytes:
    """The request body: compact UTF-8 JSON, Chinese text as is (not \\u-escaped)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def plain_json(payload: dict[str, Any]) -> dict[str, Any]:
    """A payload made of JSON types only: times as ISO 8601, UUIDs and Decimals as
    strings (exact amounts must not pass through floats)."""
    plain: dict[str, Any] = json.loads(json_text(payload))
    return plain


def json_text(payload: dict[str, Any]) -> str:
    """The payload as the JSON text :func:`plain_json` reads back (what a statement
    stores, without making the plain payload first)."""
    return json.dumps(payload, default=_jsonable, ensure_ascii=False)
