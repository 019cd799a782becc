"""Voucher pools at the service layer, and the reading of uploaded code files: no
HTTP, each database test in a transaction that is rolled back (``rewards_db``)."""

from __future__ import annotations

import uuid

import pytest

from services.rewards_api.catalogue.schemas import GoodsItem, VoucherItem
from services.rewards_api.catalogue.service import catalogue
from services.rewards_api.vouchers.errors import NotAVoucherItem
from services.rewards_api.vouchers.parsing import parse_codes, read_file
from services.rewards_api.vouchers.schemas import RejectedCode
from services.rewards_api.vouchers.service import vouchers


async def _voucher_item(session) -> str:
    code = f"VSVC-{uuid.uuid4().hex[:10]}"
    await catalogue.upsert(session, code, actor="HR001", data=VoucherItem(
        name="超市购物卡 100 元", kind="voucher", cost_points=100))
    return code


async def test_an_import_grows_pool_and_stock_and_reports_each_duplicate(rewards_db):
    item = await _voucher_item(rewards_db)
    bad = [RejectedCode(line=4, detail="holds control characters")]
    first = await vouchers.import_codes(rewards_db, item, actor="HR001", rejected=bad,
                                        entries=[(1, "A-1"), (2, "A-2"), (3, "A-1")])
    assert (first.received, first.added, first.rejected) == (4, 2, bad)
    assert [(d.code, d.line, d.reason) for d in first.duplicates] == [
        ("A-1", 3, "repeated_in_upload")]
    assert (first.pool.total, first.pool.available, first.pool.assigned) == (2, 2, 0)

    second = await vouchers.import_codes(rewards_db, item, actor="HR001", rejected=[],
                                         entries=[(1, "A-3"), (2, "A-2"), (3, "A-3")])
    assert second.added == 1
    assert [(d.code, d.line, d.reason) for d in second.duplicates] == [
        ("A-2", 2, "already_in_pool"), ("A-3", 3, "repeated_in_upload")]
    stock = await catalogue.get(rewards_db, item)
    assert (stock.stock_total, stock.stock_remaining) == (3, 3)


async def test_an_import_of_nothing_new_changes_no_stock(rewards_db):
    item = await _voucher_item(rewards_db)
    await vouchers.import_codes(rewards_db, item, entries=[(1, "B-1")], rejected=[],
                                actor="HR001")
    report = await vouchers.import_codes(rewards_db, item, entries=[(1, "B-1")], rejected=[],
                                         actor="HR001")
    assert report.added == 0 and report.pool.total == 1
    assert (await catalogue.get(rewards_db, item)).stock_total == 1


async def test_codes_go_only_to_voucher_items(rewards_db):
    gift = f"GSVC-{uuid.uuid4().hex[:10]}"
    await catalogue.upsert(rewards_db, gift, actor="HR001",
                           data=GoodsItem(name="定制保温杯", kind="gift", cost_points=10))
    with pytest.raises(NotAVoucherItem):
        await vouchers.import_codes(rewards_db, gift, entries=[(1, "C-1")], rejected=[],
                                    actor="HR001")


# --- reading uploaded files (pure) ---

def test_the_first_column_is_read_skipping_a_header_and_blank_lines():
    codes, rejected = parse_codes("券码\r\nA-甲\r\n\r\nA-乙,备注\r\n  A-丙  \r\n")
    assert codes == [(2, "A-甲"), (4, "A-乙"), (5, "A-丙")] and rejected == []
    # a header name is only a header on the first line
    assert parse_codes("A-1\ncode\n")[0] == [(1, "A-1"), (2, "code")]


def test_a_broken_line_is_refused_alone():
    codes, rejected = parse_codes(f"A-1\n{'X' * 201}\nA\x00B\nA-2\n")
    assert codes == [(1, "A-1"), (4, "A-2")]
    assert [(r.line, r.detail) for r in rejected] == [
        (2, "longer than 200 characters"), (3, "holds control characters")]


def test_files_are_read_as_utf8_with_or_without_bom_else_gb18030():
    assert read_file("\ufeffA-1\n".encode())[0] == [(1, "A-1")]
    assert read_file("卡号\n超市卡-1\n".encode("gbk"))[0] == [(2, "超市卡-1")]
    codes, rejected = read_file(b"\xff\xfe\x00\x81")
    assert codes == [] and [r.line for r in rejected] == [0]
