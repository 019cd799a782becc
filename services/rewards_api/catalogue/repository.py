"""Queries on catalogue items and the per-period usage shown beside them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.rewards_api.models import LimitUsage, RewardItem
from shared.db import prebuild


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


# -- the catalogue page in one statement (shared.db.DriverConnection) --------------------------

# The whole catalogue, for HR, auditors and integrations (unused filters NULL).
ITEMS_PAGE = prebuild(text("""
SELECT i.* FROM reward_item i
WHERE (CAST(:kind AS varchar) IS NULL OR i.kind = :kind)
  AND (CAST(:archived AS boolean) IS NULL OR (i.archived_at IS NOT NULL) = :archived)
  AND (CAST(:requires_approval AS boolean) IS NULL
       OR i.requires_approval = :requires_approval)
  AND (CAST(:after AS varchar) IS NULL OR i.code > :after)
ORDER BY i.code LIMIT :limit
"""))

# An employee's catalogue (active, not archived, for their role family and departments)
# with the units their limit used this period: one row of the employee copy, then the
# page of items (the item columns NULL when there is no copy or no item).
# ``qualifying`` NULL (unknown) shows only the items without a minimum.
VISIBLE_PAGE = prebuild(text("""
SELECT c.employee_no AS copy_no, c.name AS copy_name, c.department_code AS copy_department,
       c.department_path AS copy_path, c.job_role_family AS copy_family,
       c.status AS copy_status, i.*, u.used
FROM (SELECT 1) AS one
LEFT JOIN employee_copy c ON c.employee_no = :employee_no
LEFT JOIN LATERAL (
    SELECT i.* FROM reward_item i
    WHERE c.employee_no IS NOT NULL AND i.archived_at IS NULL
      AND (i.active_from IS NULL OR i.active_from <= :now)
      AND (i.active_until IS NULL OR i.active_until > :now)
      AND (cardinality(i.role_families) = 0 OR c.job_role_family = ANY(i.role_families))
      AND (cardinality(i.department_codes) = 0
           OR i.department_codes && (c.department_path || c.department_code))
      AND i.min_qualifying_points <= coalesce(CAST(:qualifying AS bigint), 0)
      AND (CAST(:kind AS varchar) IS NULL OR i.kind = :kind)
      AND (CAST(:after AS varchar) IS NULL OR i.code > :after)
    ORDER BY i.code LIMIT :limit) AS i ON true
LEFT JOIN limit_usage u ON u.employee_no = :employee_no AND u.item_code = i.code
     AND u.period_key = CASE i.limit_period WHEN 'month' THEN :month_key
                                            WHEN 'quarter' THEN :quarter_key
                                            WHEN 'year' THEN :year_key END
ORDER BY i.code
"""))


async def usage(session: AsyncSession, employee_no: str,
                keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Units used per (item code, period key) by this employee."""
    if not keys:
        return {}
    rows = await session.execute(
        select(LimitUsage.item_code, LimitUsage.period_key, LimitUsage.used)
        .where(LimitUsage.employee_no == employee_no,
               tuple_(LimitUsage.item_code, LimitUsage.period_key).in_(keys)))
    return {(code, key): used for code, key, used in rows}
