"""Queries on catalogue items and the per-period usage shown beside them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession

from services.rewards_api.catalogue.eligibility import employee_departments
from services.rewards_api.models import LimitUsage, RewardItem


@dataclass
class ItemFilters:
    kind: str | None = None
    archived: bool | None = None
    requires_approval: bool | None = None


async def get_item(session: AsyncSession, code: str, *, for_update: bool = False
                   ) -> RewardItem | None:
    stmt = select(RewardItem).where(RewardItem.code == code)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


def _page(stmt: Any, after: str | None, limit: int) -> Any:
    stmt = stmt.order_by(RewardItem.code).limit(limit)
    return stmt.where(RewardItem.code > after) if after is not None else stmt


async def list_items(session: AsyncSession, filters: ItemFilters, *, after: str | None,
                     limit: int) -> list[RewardItem]:
    stmt = select(RewardItem)
    if filters.kind is not None:
        stmt = stmt.where(RewardItem.kind == filters.kind)
    if filters.archived is not None:
        stmt = stmt.where(RewardItem.archived_at.is_not(None) if filters.archived
                          else RewardItem.archived_at.is_(None))
    if filters.requires_approval is not None:
        stmt = stmt.where(RewardItem.requires_approval.is_(filters.requires_approval))
    return list((await session.execute(_page(stmt, after, limit))).scalars())


def visible_to(employee: Mapping[str, Any], *, qualifying_points: int | None,
               now: datetime) -> list[ColumnElement[bool]]:
    """The catalogue an employee sees: active items they are eligible for. With
    ``qualifying_points`` unknown, items that need a minimum are left out."""
    departments = sorted(employee_departments(employee))
    conditions: list[ColumnElement[bool]] = [
        RewardItem.archived_at.is_(None),
        or_(RewardItem.active_from.is_(None), RewardItem.active_from <= now),
        or_(RewardItem.active_until.is_(None), RewardItem.active_until > now),
        or_(func.cardinality(RewardItem.role_families) == 0,
            RewardItem.role_families.contains([employee["job_role_family"]])),
        or_(func.cardinality(RewardItem.department_codes) == 0,
            RewardItem.department_codes.overlap(array(departments))),
    ]
    if qualifying_points is None:
        conditions.append(RewardItem.min_qualifying_points == 0)
    else:
        conditions.append(RewardItem.min_qualifying_points <= qualifying_points)
    return conditions


async def list_visible(session: AsyncSession, employee: Mapping[str, Any], *,
                       qualifying_points: int | None, now: datetime, kind: str | None,
                       after: str | None, limit: int) -> list[RewardItem]:
    stmt = select(RewardItem).where(*visible_to(employee, qualifying_points=qualifying_points,
                                                now=now))
    if kind is not None:
        stmt = stmt.where(RewardItem.kind == kind)
    return list((await session.execute(_page(stmt, after, limit))).scalars())


async def usage(session: AsyncSession, employee_no: str,
                keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Units used per (item code, period key) by this employee."""
    if not keys:
        return {}
    rows = await session.execute(
        select(LimitUsage.item_code, LimitUsage.period_key, LimitUsage.used)
        .where(LimitUsage.employee_no == employee_no,
               tuple_(LimitUsage.item_code, LimitUsage.period_key).in_(keys)))
    return {(code, key): used for code, key, used in rows.tuples()}
