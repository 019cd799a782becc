"""Voucher code pools: HR imports codes; fulfilment gives each one out once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.rewards_api.catalogue.service import catalogue
from services.rewards_api.vouchers import repository as repo
from services.rewards_api.vouchers.errors import NotAVoucherItem
from services.rewards_api.vouchers.schemas import (
    DuplicateCode,
    RejectedCode,
    VoucherImportReport,
    VoucherPool,
)


class VoucherService:
    async def import_codes(self, session: AsyncSession, item_code: str, *,
                           entries: list[tuple[int, str]], rejected: list[RejectedCode],
                           actor: str) -> VoucherImportReport:
        """Add new codes to the pool and as many units to the item's stock. Codes
        already in the pool, or repeated in the upload, are reported, not added.
        The item row is locked, so stock and pool grow together."""
        item = await catalogue.get(session, item_code, for_update=True)
        if item.kind != "voucher":
            raise NotAVoucherItem(f"{item_code} is a {item.kind} item, not a voucher item")
        first_line: dict[str, int] = {}
        duplicates: list[DuplicateCode] = []
        for line, code in entries:
            if code in first_line:
                duplicates.append(DuplicateCode(code=code, line=line,
                                                reason="repeated_in_upload"))
            else:
                first_line[code] = line
        inserted = await repo.add_codes(session, item_code, list(first_line), actor)
        duplicates.extend(DuplicateCode(code=c, line=line, reason="already_in_pool")
                          for c, line in first_line.items() if c not in inserted)
        duplicates.sort(key=lambda d: d.line)
        if inserted:
            assert item.stock_total is not None and item.stock_remaining is not None
            item.stock_total += len(inserted)
            item.stock_remaining += len(inserted)
            await session.flush()
        total, assigned = await repo.pool_counts(session, item_code)
        return VoucherImportReport(
            item_code=item_code, received=len(entries) + len(rejected), added=len(inserted),
            duplicates=duplicates, rejected=rejected,
            pool=VoucherPool(total=total, available=total - assigned, assigned=assigned))


vouchers = VoucherService()
