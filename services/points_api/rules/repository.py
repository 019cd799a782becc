"""Queries on stored rule sets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.points_api.models import RuleSetRecord, RuleSetStatus


async def get(session: AsyncSession, version: int, *, for_update: bool = False
              ) -> RuleSetRecord | None:
    stmt = select(RuleSetRecord).where(RuleSetRecord.version == version)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_rules(session: AsyncSession, version: int) -> list[dict[str, Any]] | None:
    return (await session.execute(select(RuleSetRecord.rules)
                                  .where(RuleSetRecord.version == version))).scalar_one_or_none()


async def list_versions(session: AsyncSession, *, status: RuleSetStatus | None, before: int | None,
                        limit: int) -> list[RuleSetRecord]:
    """Newest version first."""
    stmt = select(RuleSetRecord).order_by(RuleSetRecord.version.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(RuleSetRecord.status == status)
    if before is not None:
        stmt = stmt.where(RuleSetRecord.version < before)
    return list((await session.execute(stmt)).scalars())


async def active_version(session: AsyncSession, at: datetime) -> int | None:
    """The published version with the latest effective time at or before ``at``
    (the higher version when two take effect at the same instant)."""
    stmt = (select(RuleSetRecord.version)
            .where(RuleSetRecord.status == RuleSetStatus.PUBLISHED,
                   RuleSetRecord.effective_at <= at)
            .order_by(RuleSetRecord.effective_at.desc(), RuleSetRecord.version.desc()).limit(1))
    return (await session.execute(stmt)).scalar_one_or_none()


async def add(session: AsyncSession, record: RuleSetRecord) -> RuleSetRecord:
    session.add(record)
    await session.flush()
    await session.refresh(record)
    return record


async def mark_published(session: AsyncSession, version: int, *, effective_at: datetime,
                         actor: str) -> None:
    await session.execute(update(RuleSetRecord).where(RuleSetRecord.version == version).values(
        status=RuleSetStatus.PUBLISHED, effective_at=effective_at, published_by=actor,
        published_at=func.now(), updated_at=func.now()))


async def insert_if_absent(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a rule set unless its version exists; True when inserted. Safe when
    several replicas start at once: the primary key decides, nobody fails."""
    stmt = (insert(RuleSetRecord).values(values)
            .on_conflict_do_nothing(index_elements=[RuleSetRecord.version])
            .returning(RuleSetRecord.version))
    return (await session.execute(stmt)).scalar_one_or_none() is not None
