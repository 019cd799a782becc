"""Queries on positions, certifications, grants and the points they are judged on."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Boolean, Select, exists, func, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.milestones.models import (
    Certification,
    CertificationGrant,
    GrantStatus,
    MilestoneSweep,
    PositionEligibility,
    PromotionPosition,
)
from services.points_api.models import Account, PeriodTotal

# positions and certifications have the same shape: one set of queries serves both
C = TypeVar("C", PromotionPosition, Certification)

_grant = CertificationGrant.__table__
_reached = PositionEligibility.__table__
_period = PeriodTotal.__table__
_account = Account.__table__
_sweep = MilestoneSweep.__table__


# -- positions and certifications (same shape) ---------------------------------------------


# a statement that writes rows the session may hold loads them anew from what it returns
_FRESH = {"populate_existing": True}


async def upsert(session: AsyncSession, model: type[C], code: str, values: dict[str, Any],
                 actor: str) -> tuple[C, bool]:
    """Create or replace by code; (the definition, created)."""
    new = insert(model).values(code=code, **values, created_by=actor, updated_by=actor)
    stmt = new.on_conflict_do_update(
        index_elements=[model.code],
        set_={**values, "updated_by": actor, "updated_at": func.now()},
    ).returning(model, literal_column("xmax = 0", Boolean))
    found, created = (await session.execute(stmt, execution_options=_FRESH)).one()
    return found, bool(created)


async def get(session: AsyncSession, model: type[C], code: str) -> C | None:
    return await session.get(model, code)


async def list_all(session: AsyncSession, model: type[C], *, active: bool | None,
                   after: str | None, limit: int) -> list[C]:
    stmt = select(model).order_by(model.code).limit(limit)
    if active is not None:
        stmt = stmt.where(model.active == active)
    if after is not None:
        stmt = stmt.where(model.code > after)
    return list((await session.scalars(stmt)).all())


async def archive(session: AsyncSession, model: type[C], code: str, actor: str) -> C | None:
    stmt = (update(model).where(model.code == code)
            .values(active=False, updated_by=actor, updated_at=func.now()).returning(model))
    return (await session.scalars(stmt, execution_options=_FRESH)).one_or_none()


async def active_positions(session: AsyncSession) -> list[PromotionPosition]:
    return list((await session.scalars(select(PromotionPosition).where(
        PromotionPosition.active).order_by(PromotionPosition.code))).all())


async def active_certifications(session: AsyncSession) -> list[Certification]:
    return list((await session.scalars(select(Certification).where(
        Certification.active).order_by(Certification.code))).all())


async def any_active(session: AsyncSession) -> bool:
    """Whether any certification or position is active at all."""
    stmt = select(exists().where(Certification.active)
                  | exists().where(PromotionPosition.active))
    return bool((await session.execute(stmt)).scalar())


# -- what one employee is still waiting for ------------------------------------------------


async def pending(session: AsyncSession, employee_no: str,
                  ) -> tuple[list[Certification], list[PromotionPosition]]:
    """Active certifications not granted to the employee, and active positions they
    have not reached yet."""
    certifications = select(Certification).where(Certification.active, ~exists().where(
        _grant.c.certification_code == Certification.code,
        _grant.c.employee_no == employee_no))
    positions = select(PromotionPosition).where(PromotionPosition.active, ~exists().where(
        _reached.c.position_code == PromotionPosition.code,
        _reached.c.employee_no == employee_no))
    return (list((await session.scalars(certifications)).all()),
            list((await session.scalars(positions)).all()))


async def points(session: AsyncSession, employee_no: str,
                 months: list[str]) -> tuple[int, dict[str, int]]:
    """Lifetime qualifying points and the points of the given months."""
    stmt = select(_period.c.period, _period.c.points).where(
        _period.c.employee_no == employee_no, _period.c.period.in_(["ALL", *months]))
    by_period = {period: int(value) for period, value in (await session.execute(stmt)).all()}
    return by_period.pop("ALL", 0), by_period


async def reached_positions(session: AsyncSession, employee_no: str) -> dict[str, datetime]:
    stmt = select(_reached.c.position_code, _reached.c.reached_at).where(
        _reached.c.employee_no == employee_no)
    return dict((await session.execute(stmt)).tuples().all())


async def insert_reached(session: AsyncSession, values: dict[str, Any]) -> bool:
    stmt = (insert(_reached).values(values).on_conflict_do_nothing()
            .returning(_reached.c.position_code))
    return (await session.execute(stmt)).scalar_one_or_none() is not None


# -- grants ----------------------------------------------------------------------------------


class GrantRow(NamedTuple):
    """A grant with the name of its certification."""

    grant: CertificationGrant
    certification_name: str


def _grants() -> Select[CertificationGrant, str]:
    return select(CertificationGrant, Certification.name).join(
        Certification, Certification.code == CertificationGrant.certification_code)


async def insert_grant(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """The new grant's id; None when the employee already holds this certification."""
    stmt = (insert(_grant).values(values)
            .on_conflict_do_nothing(index_elements=["certification_code", "employee_no"])
            .returning(_grant.c.id))
    grant_id: int | None = (await session.execute(stmt)).scalar_one_or_none()
    return grant_id


async def get_grant(session: AsyncSession, grant_id: int, *,
                    lock: bool = False) -> GrantRow | None:
    stmt = _grants().where(CertificationGrant.id == grant_id)
    if lock:
        stmt = stmt.with_for_update(of=CertificationGrant)
    row = (await session.execute(stmt, execution_options=_FRESH)).one_or_none()
    return GrantRow(*row) if row is not None else None


async def grants_of(session: AsyncSession, employee_no: str) -> list[GrantRow]:
    stmt = (_grants().where(CertificationGrant.employee_no == employee_no)
            .order_by(CertificationGrant.id.desc()))
    return [GrantRow(*row) for row in (await session.execute(stmt)).all()]


async def list_grants(session: AsyncSession, *, certification_code: str | None,
                      employee_no: str | None, before_id: int | None,
                      limit: int) -> list[GrantRow]:
    stmt = _grants().order_by(CertificationGrant.id.desc()).limit(limit)
    if certification_code is not None:
        stmt = stmt.where(CertificationGrant.certification_code == certification_code)
    if employee_no is not None:
        stmt = stmt.where(CertificationGrant.employee_no == employee_no)
    if before_id is not None:
        stmt = stmt.where(CertificationGrant.id < before_id)
    return [GrantRow(*row) for row in (await session.execute(stmt)).all()]


async def revoke(session: AsyncSession, grant_id: int, *, actor: str, reason: str) -> None:
    await session.execute(update(_grant).where(_grant.c.id == grant_id).values(
        status=GrantStatus.REVOKED, revoked_at=func.now(), revoked_by=actor, revoke_reason=reason))


# -- the sweep -------------------------------------------------------------------------------


async def sweep_watermark(session: AsyncSession, name: str) -> datetime | None:
    return (await session.execute(select(_sweep.c.watermark).where(_sweep.c.name == name))
            ).scalar_one_or_none()


async def set_sweep_watermark(session: AsyncSession, name: str, watermark: datetime) -> None:
    stmt = insert(_sweep).values(name=name, watermark=watermark)
    await session.execute(stmt.on_conflict_do_update(index_elements=[_sweep.c.name],
                                                     set_={"watermark": watermark}))


_CANDIDATES = text("""
WITH thresholds AS (
    SELECT min_points, updated_at FROM certification WHERE active
    UNION ALL
    SELECT min_points, updated_at FROM promotion_position WHERE active
)
SELECT a.employee_no FROM account a
WHERE a.qualifying >= (SELECT min(min_points) FROM thresholds)
  AND a.employee_no > :after
  AND (a.updated_at >= :since
       OR EXISTS (SELECT 1 FROM thresholds t
                  WHERE t.updated_at >= :since AND a.qualifying >= t.min_points))
ORDER BY a.employee_no LIMIT :limit
""")


async def sweep_candidates(session: AsyncSession, *, since: datetime, after: str,
                           limit: int) -> list[str]:
    """Employees whose points changed since ``since``, or who may meet a certification
    or position changed since then; only those whose lifetime points reach the lowest
    threshold (points in a window never exceed lifetime points)."""
    rows = await session.execute(_CANDIDATES, {"since": since, "after": after, "limit": limit})
    return list(rows.scalars())
