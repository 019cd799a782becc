"""Points holds: the two-phase reservation rewards_api asks points_api for when
an employee redeems (TigerBeetle's pending / post / void).

- ``POST /points/v1/internal/holds`` (rewards_api only) with :class:`HoldCreate` creates an
  active hold, or answers the existing one for the same ``hold_id`` (idempotent:
  the redemption id is the hold id). 409 ``insufficient-points`` when the
  spendable balance (balance - active holds) is smaller than ``points``.
- Capture and release are events through the outbox (so a crash between steps
  completes later and never twice): event types :data:`HOLD_CAPTURE` and
  :data:`HOLD_RELEASE`, payload :class:`HoldAction`, POSTed by the relay to
  ``/points/v1/internal/events``. Capturing turns the hold into a ``spend``
  ledger entry (qualifying points untouched); releasing frees it. A hold past
  ``expires_at`` releases itself and can no longer be captured.
- ``GET /points/v1/internal/holds/{hold_id}`` (rewards_api) and
  ``GET /points/v1/holds/{hold_id}`` (HR, auditors) answer :class:`Hold`.
- ``POST /points/v1/internal/spends`` (rewards_api) with :class:`HoldCreate` holds
  and spends at once, for a redemption that needs no approval: the ``spend`` entry
  is written and the hold is ``spent`` (idempotent on ``hold_id`` like a hold; 409
  ``insufficient-points`` likewise). The redemption's :data:`HOLD_CAPTURE` event
  confirms it (``captured``); a spend never confirmed by ``expires_at`` (its
  redemption was not recorded) expires, and one released is given back: the spend
  entry is then reversed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

HOLD_CAPTURE = "hold.capture"
HOLD_RELEASE = "hold.release"

class HoldStatus(StrEnum):
    """active: the points are reserved; spent: reserved and spent at once (a direct
    spend) until the redemption confirms it; captured: spent for good (approval or
    confirmation); released: given back (rejection, cancellation); expired: given back
    because nobody settled or confirmed it in time."""

    ACTIVE = "active"
    SPENT = "spent"
    CAPTURED = "captured"
    RELEASED = "released"
    EXPIRED = "expired"


class HoldCreate(BaseModel):
    hold_id: uuid.UUID = Field(description="The redemption id: one hold per redemption")
    employee_no: str
    points: int = Field(gt=0, le=10_000_000)
    expires_at: datetime = Field(description="After this the hold releases itself (a "
                                             "spend not confirmed by then is given back)")
    reason: str = Field(
        max_length=500, description="Shown on the spend entry, e.g. 兑换 带薪假 1 天"
    )


class Hold(BaseModel):
    hold_id: uuid.UUID
    employee_no: str
    points: int
    status: HoldStatus
    expires_at: datetime
    reason: str
    created_at: datetime
    settled_at: datetime | None = None
    spend_entry_id: int | None = Field(
        None, description="The spend entry a capture (or a spend) created")
    spendable_after: int | None = Field(
        None, description="The employee's spendable balance after this hold was placed"
    )


class HoldAction(BaseModel):
    """Payload of hold.capture / hold.release events."""

    hold_id: uuid.UUID
    employee_no: str
    reason: str = ""
