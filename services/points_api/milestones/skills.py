"""The skills an employee holds, asked of training_api (which owns skill records).

Skills are proven in training_api by passed exams and practical assessments; no
event carries every proof, so points_api asks training_api's internal
``GET /training/v1/internal/employees/{no}/skills``, signed as points_api. Reads
(eligibility, certification progress) reuse an answer for
``skills_cache_seconds``; the grant check asks afresh when the event at hand
may have proven a skill. When training_api does not answer, the skills are
unknown: reads say so, and no grant is made until a later check.
"""

from __future__ import annotations

import time

import httpx
import structlog
from fastapi import FastAPI

from shared.errors import DependencyUnavailable
from shared.http import PeerClient

log = structlog.get_logger("jifen.points.skills")
SKILLS_PATH = "/training/v1/internal/employees/{employee_no}/skills"
_CACHE_MAX = 50_000


class TrainingSkillsClient(PeerClient):
    peer_name = "training_api"

    async def held(self, employee_no: str) -> frozenset[str]:
        """Codes of the skills the employee holds (empty when training_api does not know
        the employee). Raises DependencyUnavailable when it cannot answer."""
        try:
            data = await self._request("GET", SKILLS_PATH.format(employee_no=employee_no))
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404:
                return frozenset()
            raise DependencyUnavailable(
                f"training_api refused the skills question: {exc.response.status_code}"
            ) from exc
        assert isinstance(data, dict)
        return frozenset(skill["skill_code"] for skill in data.get("skills", []))


class SkillSource:
    def __init__(self) -> None:
        self.client: TrainingSkillsClient | None = None
        self.ttl = 30.0
        self._cache: dict[str, tuple[frozenset[str], float]] = {}

    def configure(self, client: TrainingSkillsClient | None, *, ttl: float) -> None:
        self.client, self.ttl = client, ttl
        self._cache.clear()

    async def held(self, employee_no: str, *, fresh: bool = False) -> frozenset[str] | None:
        """The employee's skill codes, or None when they cannot be known now."""
        now = time.monotonic()
        cached = self._cache.get(employee_no)
        if cached is not None and not fresh and cached[1] > now:
            return cached[0]
        if self.client is None:
            return None
        try:
            skills = await self.client.held(employee_no)
        except DependencyUnavailable as exc:
            log.warning("skills_unavailable", employee_no=employee_no, error=str(exc))
            return None
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[employee_no] = (skills, now + self.ttl)
        return skills


skills = SkillSource()


async def connect_skills(app: FastAPI) -> None:
    """Startup hook: ask training_api through the app's peer client."""
    skills.configure(TrainingSkillsClient(app.state.peers["training"]),
                     ttl=app.state.settings.skills_cache_seconds)
