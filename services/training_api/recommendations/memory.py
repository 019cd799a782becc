"""What a replica keeps in memory between requests, each part valid while what it
was read from has not changed: the catalogue (courses, what they teach and need,
skill names) while the catalogue version is the same, and the colleague signals
(per role, and the item-to-item neighbours) while the latest ready model build is
the same. Each request reads both keys in its first query, so a course archived or
a model rebuilt counts from the next request on, on every replica."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from services.training_api.recommendations import repository as repo
from services.training_api.recommendations.ranker import CourseInfo, RoleSignals


@dataclass
class Catalogue:
    version: int
    courses: list[CourseInfo]
    skill_names: dict[str, str]
    by_code: dict[str, CourseInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_code = {c.code: c for c in self.courses}


@dataclass
class Colleagues:
    run_id: int | None
    neighbours: dict[str, dict[str, float]]
    roles: dict[str, RoleSignals] = field(default_factory=dict)


class Memory:
    def __init__(self) -> None:
        self._catalogue: Catalogue | None = None
        self._colleagues: Colleagues | None = None

    async def catalogue(self, session: AsyncSession, version: int) -> Catalogue:
        """The catalogue at ``version`` (or later: read after the version was)."""
        if self._catalogue is None or self._catalogue.version != version:
            self._catalogue = Catalogue(version, await repo.catalogue(session),
                                        await repo.all_skill_names(session))
        return self._catalogue

    async def role(self, session: AsyncSession, run_id: int | None,
                   job_role_code: str) -> RoleSignals:
        """The role's colleague signals of the model build ``run_id``."""
        if self._colleagues is None or self._colleagues.run_id != run_id:
            self._colleagues = Colleagues(run_id, await repo.all_neighbours(session))
        found = self._colleagues.roles.get(job_role_code)
        if found is None:
            row = await repo.role_signal(session, job_role_code)
            found = RoleSignals(neighbours=self._colleagues.neighbours) if row is None else \
                RoleSignals(achievers=row.achievers, achiever_share=row.achiever_share,
                            popularity=row.popularity, neighbours=self._colleagues.neighbours)
            self._colleagues.roles[job_role_code] = found
        return found


memory = Memory()
