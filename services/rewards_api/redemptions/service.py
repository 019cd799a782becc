"""Reading redemptions: the employee their own, a manager their departments',
HR, auditors and integrations all."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.rewards_api.models import Redemption
from services.rewards_api.redemptions import repository as repo
from services.rewards_api.redemptions import schemas
from services.rewards_api.redemptions.access import can_read
from services.rewards_api.redemptions.errors import RedemptionNotFound
from services.rewards_api.vouchers import repository as voucher_repo
from shared.auth import Principal
from shared.db import DriverConnection, RowAttributes


def redemption_out(r: Redemption | RowAttributes | Mapping[str, Any], *,
                   employee_name: str | None = None,
                   voucher_code: str | None = None) -> schemas.Redemption:
    out = schemas.Redemption.model_validate(r)
    out.employee_name, out.voucher_code = employee_name, voucher_code
    return out


async def present(session: AsyncSession, r: Redemption, *, principal: Principal
                  ) -> schemas.Redemption:
    """The redemption as this caller may see it: the voucher code only for the
    employee who redeemed."""
    code = None
    if r.item_kind == "voucher" and principal.sub == r.employee_no:
        code = (await voucher_repo.codes_of(session, [r.id])).get(r.id)
    return redemption_out(r, employee_name=await repo.employee_name(session, r.employee_no),
                          voucher_code=code)


class RedemptionReads:
    async def get(self, db: DriverConnection, redemption_id: uuid.UUID, *,
                  principal: Principal) -> schemas.Redemption:
        """One statement: the redemption with its employee's copy and voucher code."""
        row = await db.first(repo.VIEW, redemption_id=redemption_id)
        employee = None if row is None or row["copy_path"] is None else {
            "department_code": row["copy_department"], "department_path": row["copy_path"]}
        if row is None or not can_read(principal, RowAttributes(row), employee):
            raise RedemptionNotFound(f"No redemption {redemption_id}")
        own_voucher = row["item_kind"] == "voucher" and principal.sub == row["employee_no"]
        out = schemas.Redemption.model_validate(RowAttributes(row))
        out.voucher_code = row["voucher_code"] if own_voucher else None
        return out

    async def list(self, session: AsyncSession, filters: repo.RedemptionFilters, *,
                   principal: Principal, after: tuple[datetime, uuid.UUID] | None, limit: int
                   ) -> tuple[list[schemas.Redemption], tuple[datetime, uuid.UUID] | None]:
        scope = repo.Scope(everything=principal.is_privileged_reader, employee_no=principal.sub,
                           departments=principal.departments if principal.has("manager") else ())
        rows = await repo.list_page(session, filters, scope=scope, after=after, limit=limit + 1)
        more, rows = len(rows) > limit, rows[:limit]
        own_vouchers = [r.id for r, _ in rows
                        if r.item_kind == "voucher" and r.employee_no == principal.sub]
        codes = await voucher_repo.codes_of(session, own_vouchers)
        items = [redemption_out(r, employee_name=name, voucher_code=codes.get(r.id))
                 for r, name in rows]
        last = (rows[-1][0].created_at, rows[-1][0].id) if more else None
        return items, last


reads = RedemptionReads()
