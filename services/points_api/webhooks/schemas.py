from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from services.points_api.webhooks.event_types import ANY, EVENT_TYPES
from services.points_api.webhooks.models import DeliveryStatus
from shared.contracts.base import Schema
from shared.contracts.fields import range_pattern, text

MAX_URL_LENGTH = 2000


def _check_url(value: str) -> str:
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError("must not contain spaces or control characters")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("must be an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry credentials; authenticate the request by its "
                         "Jifen-Signature header")
    if not parts.hostname:
        raise ValueError("must name a host")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as exc:
        raise ValueError("has an invalid port") from exc
    if parts.fragment:
        raise ValueError("must not have a #fragment")
    return value


def _check_event_types(values: list[str]) -> list[str]:
    unknown = [v for v in values if v != ANY and v not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event type(s) {', '.join(unknown)}; known: "
                         f"{', '.join(EVENT_TYPES)} or {ANY}")
    return list(dict.fromkeys(values))


# What _check_url accepts, as the schema says it: http(s), a host name or IPv4 address,
# a port in range, a path and query without blanks, control characters or a fragment.
_BLANKS = r"\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = rf"({_OCTET}\.){{3}}{_OCTET}"
_H = r"[0-9A-Fa-f]{1,4}"
# the usual spellings of an IPv6 address (full, compressed, IPv4 at the end)
_IPV6 = (rf"({_H}:){{7}}{_H}|({_H}:){{1,7}}:|({_H}:){{1,6}}:{_H}|({_H}:){{1,5}}(:{_H}){{1,2}}"
         rf"|({_H}:){{1,4}}(:{_H}){{1,3}}|({_H}:){{1,3}}(:{_H}){{1,4}}"
         rf"|({_H}:){{1,2}}(:{_H}){{1,5}}|{_H}:(:{_H}){{1,6}}|:((:{_H}){{1,7}}|:)"
         rf"|::([Ff]{{4}}(:0{{1,4}})?:)?{_IPV4}|({_H}:){{1,4}}:{_IPV4}")
URL_PATTERN = (rf"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?|\[({_IPV6})\])"
               rf"(:{range_pattern(0, 65535)})?([/?][^{_BLANKS}#]*)?$")
WebhookUrl = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_URL_LENGTH, pattern=URL_PATTERN),
    AfterValidator(_check_url),
    Field(examples=["https://hr.example.com/hooks/jifen"],
          description="http or https; no credentials in the URL")]
# The values are data (event_types.py), so the type is a string whose schema lists
# them; _check_event_types refuses the others.
EventType = Annotated[str, WithJsonSchema({"type": "string", "enum": [*EVENT_TYPES, ANY]})]
EventTypes = Annotated[
    list[EventType],
    Field(min_length=1, max_length=50, examples=[["certification.granted", "leave.granted"]],
          description="Event types to receive, or [\"*\"] for all of them"),
    AfterValidator(_check_event_types)]
Description = Annotated[str, text(500, min_length=0)]


class WebhookSubscriptionCreate(Schema):
    url: WebhookUrl
    event_types: EventTypes
    description: Description | None = Field(None, examples=["薪资系统: 认证加薪"])
    active: bool = True


class WebhookSubscriptionUpdate(Schema):
    """Fields to change; absent fields keep their value. Only ``description`` may be
    null (to clear it); the others are left out to keep them."""

    url: WebhookUrl | SkipJsonSchema[None] = None
    event_types: EventTypes | SkipJsonSchema[None] = None
    description: Description | None = None
    active: bool | SkipJsonSchema[None] = None


class SecretRotation(Schema):
    previous_secret_valid_seconds: int | None = Field(
        None, ge=0, le=7 * 86_400,
        description="How long the old secret keeps signing as a second signature (0: stop at "
                    "once); default from the service's settings")


class WebhookSubscription(Schema):
    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str | None
    active: bool
    secret_hint: str = Field(description="The secret's last characters; the secret itself is "
                                         "shown only when created or rotated",
                             examples=["whsec_…x9Qa"])
    previous_secret_expires_at: datetime | None = Field(
        description="Until then the previous secret also signs each request")
    created_by: str
    created_at: datetime
    updated_by: str | None
    updated_at: datetime
    secret_rotated_at: datetime | None
    deleted_at: datetime | None


class WebhookSubscriptionWithSecret(WebhookSubscription):
    secret: str = Field(description="Shown only in this response: store it now",
                        examples=["whsec_3q2-PZ0v4GZ2n1vY5m8uJbqk6c9d0e1f2g3h4i5j6k7"])


class WebhookDelivery(Schema):
    id: int
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempt_count: int = Field(description="Attempts made so far, replays included")
    next_attempt_at: datetime | None = Field(description="When the next attempt is due "
                                                         "(pending only)")
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None = Field(description="Last successful attempt")
    dead_at: datetime | None
    replays: int
    replayed_at: datetime | None
    replayed_by: str | None


class WebhookAttempt(Schema):
    attempt_no: int
    attempted_at: datetime
    succeeded: bool
    status_code: int | None
    duration_ms: int
    error: str | None
    response_excerpt: str | None = Field(
        description="First 500 characters of the answer, only where the operator turned "
                    "storing them on (POINTS_WEBHOOK_STORE_RESPONSE_EXCERPTS); null otherwise")


class WebhookEventBody(Schema):
    """The JSON body POSTed to the receiver."""

    id: uuid.UUID
    type: str
    occurred_at: datetime
    data: dict[str, Any] = Field(examples=[{"employee_no": "E1001", "employee_name": "张伟",
                                            "certification": "高级设备操作员",
                                            "salary_raise_percent": "8"}])


class WebhookDeliveryDetail(WebhookDelivery):
    event: WebhookEventBody
    attempts: list[WebhookAttempt] = Field(description="Every attempt, oldest first")


class WebhookEventType(Schema):
    type: str
    source: str = Field(description="The service the event comes from")
    description: str
