"""points_api's rule sets, called on behalf of the HR user who asked: the draft a
change's forecast proposes is created with their own token, so points_api checks
their role and records them as its author. Nothing here publishes."""

from __future__ import annotations

from collections.abc import Generator
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request

from shared.errors import Conflict, DependencyUnavailable
from shared.http import PeerClient


class DraftRefused(Conflict):
    problem, title = "incentive-draft-refused", "points_api refused the draft"


class CallerAuth(httpx.Auth):
    """The caller's own ``Authorization`` header instead of the service token."""

    def __init__(self, authorization: str) -> None:
        self.authorization = authorization

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.authorization
        yield request


class RuleSetsClient(PeerClient):
    peer_name = "points_api"

    async def _call(self, method: str, path: str, authorization: str,
                    **kwargs: Any) -> dict[str, Any]:
        try:
            answer = await self._request(method, path, auth=CallerAuth(authorization), **kwargs)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code in (401, 403):
                raise DependencyUnavailable(
                    f"points_api did not accept the caller: HTTP {exc.response.status_code}"
                ) from exc
            raise DraftRefused(exc.response.json().get("detail", exc.response.text[:500])
                               if exc.response.headers.get("content-type", "").endswith("json")
                               else exc.response.text[:500]) from exc
        assert isinstance(answer, dict), "points_api answers rule sets as JSON objects"
        return answer

    async def active(self, authorization: str) -> dict[str, Any]:
        return await self._call("GET", "/points/v1/rule-sets/active", authorization)

    async def create_draft(self, authorization: str, *, rules: list[dict[str, Any]],
                           note: str) -> dict[str, Any]:
        return await self._call("POST", "/points/v1/rule-sets", authorization,
                                json={"rules": rules, "note": note})


async def get_rule_sets(request: Request) -> RuleSetsClient:
    return RuleSetsClient(request.app.state.peers["points"])


RuleSets = Annotated[RuleSetsClient, Depends(get_rule_sets)]
