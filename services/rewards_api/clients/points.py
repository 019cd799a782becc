"""Typed client of points_api: balances for the catalogue, and the holds and
spends of redemptions (shared/contracts/holds.py)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request
from pydantic import BaseModel

from services.rewards_api.errors import InsufficientPoints, PointsUnavailable
from shared.contracts.holds import Hold, HoldCreate
from shared.http import PeerClient

# points_api's routes for rewards_api, reached directly (never through the gateway)
HOLDS_PATH = "/points/v1/internal/holds"
SPENDS_PATH = "/points/v1/internal/spends"
ACCOUNT_PATH = "/points/v1/internal/accounts/{employee_no}"


class Balances(BaseModel):
    """What the catalogue needs of an employee's points."""

    spendable: int
    qualifying_points: int


def balances_from_account(data: dict[str, Any]) -> Balances:
    """Read points_api's account document. Field names are matched loosely here,
    and only here: ``spendable`` (or ``balance`` minus ``held``) and
    ``qualifying_points`` (or ``qualifying``)."""
    if "spendable" in data:
        spendable = int(data["spendable"])
    else:
        spendable = int(data.get("balance", 0)) - int(data.get("held", 0))
    qualifying = data.get("qualifying_points", data.get("qualifying", 0))
    return Balances(spendable=spendable, qualifying_points=int(qualifying))


class PointsClient(PeerClient):
    peer_name = "points_api"

    async def balances(self, employee_no: str) -> Balances:
        """Spendable and qualifying points; an employee points_api does not know yet
        has none. Raises PointsUnavailable when points_api cannot answer."""
        try:
            data = await self._request("GET", ACCOUNT_PATH.format(employee_no=employee_no))
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404:
                return Balances(spendable=0, qualifying_points=0)
            raise PointsUnavailable(
                f"points_api refused the balance question: HTTP {exc.response.status_code}"
            ) from exc
        return balances_from_account(data or {})

    async def create_hold(self, hold: HoldCreate) -> Hold:
        """Create the hold (idempotent on ``hold_id``). Raises InsufficientPoints when
        points_api refuses it for want of points, and PointsUnavailable otherwise;
        ``maybe_created`` on the latter says whether the hold may nevertheless exist
        (the request may have been applied and its answer lost)."""
        try:
            return await self._request("POST", HOLDS_PATH, Hold,
                                       json=hold.model_dump(mode="json"), maybe_applied=True)
        except httpx.HTTPStatusError as exc:
            raise _refusal(exc.response) from exc

    async def spend(self, hold: HoldCreate) -> Hold:
        """Hold and spend at once (idempotent on ``hold_id``), for a redemption without
        approval; the redemption's capture event confirms it. Raises like
        :meth:`create_hold`. Called once per such redemption: the models go to and
        from JSON text by pydantic alone (no dict in between), straight through the
        peer's aiohttp session (PeerClient._post_json)."""
        try:
            return await self._post_json(self.absolute(SPENDS_PATH),
                                         hold.model_dump_json().encode(), Hold,
                                         maybe_applied=True)
        except httpx.HTTPStatusError as exc:
            raise _refusal(exc.response) from exc

    async def get_hold(self, hold_id: uuid.UUID) -> Hold | None:
        """The hold, or None when points_api has none with this id."""
        try:
            return await self._request("GET", f"{HOLDS_PATH}/{hold_id}", Hold)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404:
                return None
            raise PointsUnavailable(
                f"points_api refused the hold question: HTTP {exc.response.status_code}"
            ) from exc

    def unavailable(self, detail: str, *, maybe_applied: bool,
                    retry_after: int) -> PointsUnavailable:
        """``maybe_created`` tells the redemption whether a hold or spend may exist."""
        return PointsUnavailable(detail, maybe_created=maybe_applied, retry_after=retry_after)

def _refusal(resp: httpx.Response) -> Exception:
    """A 4xx answer to a hold request: no hold was created."""
    problem = _problem_type(resp)
    if resp.status_code == 409 and problem == "insufficient-points":
        body = _json(resp)
        extra = {k: body[k] for k in ("spendable", "required") if isinstance(body.get(k), int)}
        return InsufficientPoints(_detail(resp) or "The spendable balance is too small", **extra)
    if resp.status_code == 404 and problem == "account-not-found":
        return InsufficientPoints("The employee has no points yet")
    return PointsUnavailable(f"points_api refused the hold: HTTP {resp.status_code} "
                             f"{problem or ''}".rstrip())


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _problem_type(resp: httpx.Response) -> str | None:
    kind = _json(resp).get("type")
    return kind.rsplit("/", 1)[-1] if isinstance(kind, str) else None


def _detail(resp: httpx.Response) -> str | None:
    detail = _json(resp).get("detail")
    return detail if isinstance(detail, str) else None


async def get_points_client(request: Request) -> PointsClient:
    return PointsClient(request.app.state.peers["points"])


PointsAPI = Annotated[PointsClient, Depends(get_points_client)]
