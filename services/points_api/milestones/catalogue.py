"""HR's catalogue of positions (promotion eligibility rules) and certifications."""

from __future__ import annotations

from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.milestones import repository as repo
from services.points_api.milestones.errors import CertificationNotFound, PositionNotFound
from services.points_api.milestones.models import Certification as CertificationRecord
from services.points_api.milestones.models import PromotionPosition
from services.points_api.milestones.schemas import (
    Certification,
    CertificationUpsert,
    Position,
    PositionUpsert,
)
from services.points_api.milestones.service import milestones
from shared.errors import NotFound

S = TypeVar("S", Position, Certification)
R = TypeVar("R", PromotionPosition, CertificationRecord)


class _Catalogue(Generic[S, R]):
    record: type[R]
    model: type[S]
    not_found: type[NotFound]

    async def upsert(self, session: AsyncSession, code: str, *,
                     data: PositionUpsert | CertificationUpsert,
                     actor: str) -> tuple[S, bool]:
        """Create or replace by code (the whole definition); (item, created)."""
        values = data.model_dump()
        row, created = await repo.upsert(session, self.record, code, values, actor)
        milestones.forget_catalogue()
        return self.model.model_validate(row, from_attributes=True), created

    async def get(self, session: AsyncSession, code: str) -> S:
        """An active one: an archived one is gone from the live set as DELETE said (the
        list with ``active=false`` shows it; a PUT with ``active: true`` brings it back)."""
        row = await repo.get(session, self.record, code)
        what = f"{self.record.__tablename__.replace('_', ' ')} {code!r}"
        if row is None:
            raise self.not_found(f"No {what}")
        if not row.active:
            raise self.not_found(f"The {what} is archived: the list with active=false "
                                 "shows it, a PUT with active: true brings it back")
        return self.model.model_validate(row, from_attributes=True)

    async def list(self, session: AsyncSession, *, active: bool | None, after: str | None,
                   limit: int) -> tuple[list[S], str | None]:
        rows = await repo.list_all(session, self.record, active=active, after=after,
                                   limit=limit + 1)
        items = [self.model.model_validate(r, from_attributes=True) for r in rows[:limit]]
        return items, (items[-1].code if len(rows) > limit else None)

    async def archive(self, session: AsyncSession, code: str, *, actor: str) -> S:
        """Inactive from now on: no new grants or eligibility; what was granted stays."""
        row = await repo.archive(session, self.record, code, actor)
        milestones.forget_catalogue()
        if row is None:
            raise self.not_found(f"No {self.record.__tablename__.replace('_', ' ')} {code!r}")
        return self.model.model_validate(row, from_attributes=True)


class PositionCatalogue(_Catalogue[Position, PromotionPosition]):
    record = PromotionPosition
    model = Position
    not_found = PositionNotFound


class CertificationCatalogue(_Catalogue[Certification, CertificationRecord]):
    record = CertificationRecord
    model = Certification
    not_found = CertificationNotFound


positions = PositionCatalogue()
certifications = CertificationCatalogue()
