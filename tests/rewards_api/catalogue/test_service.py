"""The catalogue's rules at the service layer and in its pure eligibility functions:
no HTTP, each database test in a transaction that is rolled back (``rewards_db``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter

from services.rewards_api.catalogue.eligibility import (
    ineligibility,
    period_key,
    unavailability,
)
from services.rewards_api.catalogue.errors import (
    EmptyActiveWindow,
    ItemKindImmutable,
    ItemNotFound,
    StockBelowCommitted,
)
from services.rewards_api.catalogue.schemas import ItemUpsert
from services.rewards_api.catalogue.service import Shopper, catalogue
from services.rewards_api.clients.points import Balances
from services.rewards_api.models import LimitUsage, RewardItem

SHANGHAI = timezone(timedelta(hours=8))
_UPSERT: TypeAdapter[Any] = TypeAdapter(ItemUpsert)


def _code() -> str:
    return f"SVC-{uuid.uuid4().hex[:10]}"


def _item(**fields: Any) -> Any:
    return _UPSERT.validate_python({"name": "定制保温杯", "kind": "gift", "cost_points": 10,
                                    **fields})


def _employee(**fields: Any) -> dict[str, Any]:
    return {"employee_no": "E100", "status": "active", "job_role_family": "production",
            "department_code": "D-LINE1", "department_path": ["D-PLANT", "D-WS"], **fields}


def _offer(**fields: Any) -> RewardItem:
    """An item as the database holds it, for the pure functions."""
    values: dict[str, Any] = {
        "code": "X", "name": "蓝牙耳机", "archived_at": None, "active_from": None,
        "active_until": None, "role_families": [], "department_codes": [],
        "min_qualifying_points": 0, **fields}
    return RewardItem(**values)


# --- upsert, stock and archiving (database, rolled back) ---

async def test_upsert_creates_then_replaces_by_code(rewards_db):
    code = _code()
    created, was_new = await catalogue.upsert(
        rewards_db, code, actor="HR001",
        data=_item(kind="subsidy", subsidy_amount="1234.56", stock=30,
                   limit={"count": 2, "period": "quarter"}))
    assert was_new and created.subsidy_amount == Decimal("1234.56")
    assert (created.stock_total, created.stock_remaining) == (30, 30)
    assert (created.limit_count, created.limit_period) == (2, "quarter")

    replaced, was_new = await catalogue.upsert(
        rewards_db, code, actor="HR002",
        data=_item(kind="subsidy", subsidy_amount="10", cost_points=180))
    assert not was_new and replaced.cost_points == 180 and replaced.updated_by == "HR002"
    assert replaced.stock_total is None and replaced.limit_count is None  # unlimited now


async def test_an_items_kind_never_changes(rewards_db):
    code = _code()
    await catalogue.upsert(rewards_db, code, data=_item(), actor="HR001")
    with pytest.raises(ItemKindImmutable) as raised:
        await catalogue.upsert(rewards_db, code, data=_item(kind="paid_leave", leave_days="1"),
                               actor="HR001")
    assert raised.value.status == 409 and raised.value.problem == "item-kind-immutable"


async def test_an_active_window_must_not_be_empty(rewards_db):
    start = datetime(2026, 6, 1, tzinfo=SHANGHAI)
    for until in (start, start - timedelta(days=1)):
        with pytest.raises(EmptyActiveWindow):
            await catalogue.upsert(rewards_db, _code(), actor="HR001",
                                   data=_item(active_from=start, active_until=until))


async def test_stock_follows_reserved_and_issued_units_and_never_undercuts_them(rewards_db):
    code = _code()
    item, _ = await catalogue.upsert(rewards_db, code, data=_item(stock=10), actor="HR001")
    item.stock_reserved, item.stock_issued, item.stock_remaining = 3, 2, 5
    await rewards_db.flush()

    raised, _ = await catalogue.upsert(rewards_db, code, data=_item(stock=8), actor="HR001")
    assert (raised.stock_total, raised.stock_remaining) == (8, 3)
    with pytest.raises(StockBelowCommitted):
        await catalogue.upsert(rewards_db, code, data=_item(stock=4), actor="HR001")
    exact, _ = await catalogue.upsert(rewards_db, code, data=_item(stock=5), actor="HR001")
    assert exact.stock_remaining == 0


async def test_a_voucher_items_stock_is_its_pool_whatever_an_edit_says(rewards_db):
    code = _code()
    item, _ = await catalogue.upsert(rewards_db, code, data=_item(kind="voucher"), actor="HR001")
    assert (item.stock_total, item.stock_remaining) == (0, 0)
    item.stock_total = item.stock_remaining = 2  # as an import of two codes leaves it
    await rewards_db.flush()
    edited, _ = await catalogue.upsert(rewards_db, code, actor="HR001",
                                       data=_item(kind="voucher", name="超市购物卡（新版）"))
    assert (edited.name, edited.stock_total, edited.stock_remaining) == ("超市购物卡（新版）", 2, 2)


async def test_archiving_twice_keeps_the_first_time_and_unarchiving_clears_it(rewards_db):
    code = _code()
    await catalogue.upsert(rewards_db, code, data=_item(), actor="HR001")
    first = await catalogue.set_archived(rewards_db, code, archived=True, actor="HR001")
    archived_at = first.archived_at
    again = await catalogue.set_archived(rewards_db, code, archived=True, actor="HR002")
    assert archived_at is not None and again.archived_at == archived_at
    back = await catalogue.set_archived(rewards_db, code, archived=False, actor="HR001")
    assert back.archived_at is None
    with pytest.raises(ItemNotFound):
        await catalogue.set_archived(rewards_db, _code(), archived=True, actor="HR001")


async def test_an_employee_sees_an_item_only_in_their_catalogue(rewards_db):
    shopper = Shopper(employee=_employee(), balances=Balances(spendable=50, qualifying_points=60))
    code = _code()
    await catalogue.upsert(rewards_db, code, data=_item(cost_points=80), actor="HR001")
    seen = await catalogue.show(rewards_db, code, shopper=shopper, tz=SHANGHAI)
    assert (seen.spendable_points, seen.affordable, seen.limit_remaining) == (50, False, None)

    for fields in ({"eligibility": {"role_families": ["technical"]}},
                   {"eligibility": {"min_qualifying_points": 100}},
                   {"active_from": datetime.now(UTC) + timedelta(days=3)}):
        hidden = _code()
        await catalogue.upsert(rewards_db, hidden, data=_item(**fields), actor="HR001")
        with pytest.raises(ItemNotFound):
            await catalogue.show(rewards_db, hidden, shopper=shopper, tz=SHANGHAI)
        assert (await catalogue.show(rewards_db, hidden, shopper=None, tz=SHANGHAI)).code == hidden


async def test_a_minimum_is_not_met_when_points_api_could_not_say(rewards_db):
    code = _code()
    await catalogue.upsert(rewards_db, code, actor="HR001",
                           data=_item(eligibility={"min_qualifying_points": 1}))
    with pytest.raises(ItemNotFound):
        await catalogue.show(rewards_db, code, shopper=Shopper(_employee(), None), tz=SHANGHAI)


async def test_limit_remaining_counts_this_periods_units_only(rewards_db):
    code, now = _code(), datetime.now(UTC)
    await catalogue.upsert(rewards_db, code, actor="HR001",
                           data=_item(limit={"count": 3, "period": "month"}))
    this_month = period_key("month", now, SHANGHAI)
    rewards_db.add_all([
        LimitUsage(employee_no="E100", item_code=code, period_key=this_month, used=2),
        LimitUsage(employee_no="E100", item_code=code, period_key="M1999-01", used=3),
        LimitUsage(employee_no="E200", item_code=code, period_key=this_month, used=3)])
    await rewards_db.flush()
    seen = await catalogue.show(rewards_db, code, shopper=Shopper(_employee(), None),
                                tz=SHANGHAI)
    assert seen.limit_remaining == 1


# --- eligibility (pure) ---

def test_unavailability_names_archived_not_yet_and_over():
    now = datetime(2026, 11, 15, 12, tzinfo=UTC)
    assert unavailability(_offer(), now) is None
    assert "no longer" in (unavailability(_offer(archived_at=now), now) or "")
    assert "from" in (unavailability(_offer(active_from=now + timedelta(seconds=1)), now) or "")
    assert unavailability(_offer(active_from=now), now) is None
    assert "until" in (unavailability(_offer(active_until=now), now) or "")  # end excluded


def test_ineligibility_by_status_family_department_and_qualifying_points():
    assert ineligibility(_offer(), _employee(), None) is None
    assert "left" in (ineligibility(_offer(), _employee(status="left"), None) or "")
    assert ineligibility(_offer(role_families=["technical"]), _employee(), None)
    assert ineligibility(_offer(role_families=["production", "quality"]), _employee(),
                         None) is None
    # a department above the employee's counts, a sibling does not
    assert ineligibility(_offer(department_codes=["D-PLANT"]), _employee(), None) is None
    assert ineligibility(_offer(department_codes=["D-OTHER"]), _employee(), None)
    needs_50 = _offer(min_qualifying_points=50)
    assert ineligibility(needs_50, _employee(), 50) is None
    assert ineligibility(needs_50, _employee(), 49)
    assert ineligibility(needs_50, _employee(), None)


def test_limit_periods_fall_on_the_company_calendar():
    new_year_utc = datetime(2026, 12, 31, 17, tzinfo=UTC)  # 01:00 on 1 January in Shanghai
    assert period_key("month", new_year_utc, SHANGHAI) == "M2027-01"
    assert period_key("quarter", new_year_utc, SHANGHAI) == "Q2027-1"
    assert period_key("year", new_year_utc, SHANGHAI) == "Y2027"
    assert period_key("quarter", datetime(2026, 11, 1, tzinfo=SHANGHAI), SHANGHAI) == "Q2026-4"
    with pytest.raises(ValueError):
        period_key("week", new_year_utc, SHANGHAI)
