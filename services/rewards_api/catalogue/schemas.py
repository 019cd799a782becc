from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.contracts.base import ReadSchema, Schema
from shared.contracts.fields import Timestamp, decimal, name

CODE_PATTERN = r"^[A-Za-z0-9_.\-]{1,50}$"
Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
Name = Annotated[str, name(200)]
ItemKind = Literal["paid_leave", "subsidy", "health_check", "voucher", "gift"]
LimitPeriod = Literal["month", "quarter", "year"]
RoleFamily = Literal["production", "technical", "quality", "management", "logistics", "other"]
MAX_COST = 10_000_000
MAX_STOCK = 10_000_000


class Limit(Schema):
    """At most ``count`` units per employee per calendar ``period`` (company time zone)."""

    count: int = Field(ge=1, le=10_000, examples=[2])
    period: LimitPeriod = Field(examples=["quarter"])


class Eligibility(Schema):
    """Who may redeem. Empty lists mean everybody."""

    min_qualifying_points: int = Field(
        0, ge=0, le=1_000_000_000,
        description="Qualifying points the employee must have (spending never lowers them)")
    role_families: list[RoleFamily] = Field(default_factory=list, max_length=10)
    department_codes: list[Code] = Field(
        default_factory=list, max_length=500,
        description="Departments whose employees may redeem; sub-departments included")


LeaveDays = Annotated[Decimal, decimal(places=1, gt=0, le=365, step="0.5")]
SubsidyAmount = Annotated[Decimal, decimal(places=2, gt=0, le=9_999_999_999)]
class _ItemFields(Schema):
    """What every kind of item has. The kinds below say which of ``leave_days``,
    ``subsidy_amount`` and ``stock`` they take, so that the schema (a union tagged by
    ``kind``) states exactly what is accepted."""

    name: Name = Field(examples=["带薪假 1 天"])
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    cost_points: int = Field(ge=1, le=MAX_COST, examples=[200])
    limit: Limit | None = Field(None, description="Per-employee limit; null for none")
    eligibility: Eligibility = Field(default_factory=Eligibility)
    requires_approval: bool = Field(
        False, description="The manager of the employee's department (or HR) must approve")
    active_from: Timestamp | None = Field(None, description="Redeemable from this time")
    active_until: Timestamp | None = Field(
        None, description="Redeemable until this time; must be after active_from (409 "
                          "empty-active-window)")


Stock_ = Annotated[int | None, Field(
    None, ge=0, le=MAX_STOCK,
    description="Units made available in total, redeemed ones included; null for unlimited")]


class PaidLeaveItem(_ItemFields):
    kind: Literal["paid_leave"]
    leave_days: LeaveDays = Field(description="Days of paid leave per unit", examples=["1"])
    subsidy_amount: None = None
    stock: Stock_ = None


class SubsidyItem(_ItemFields):
    kind: Literal["subsidy"]
    leave_days: None = None
    subsidy_amount: SubsidyAmount = Field(
        description="Yuan per unit, paid with the salary", examples=["500.00"])
    stock: Stock_ = None


class VoucherItem(_ItemFields):
    """Its stock is its pool of codes (POST /rewards/v1/items/{code}/vouchers)."""

    kind: Literal["voucher"]
    leave_days: None = None
    subsidy_amount: None = None
    stock: None = None


class GoodsItem(_ItemFields):
    kind: Literal["health_check", "gift"]
    leave_days: None = None
    subsidy_amount: None = None
    stock: Stock_ = None


ItemUpsert = Annotated[PaidLeaveItem | SubsidyItem | VoucherItem | GoodsItem,
                       Field(discriminator="kind")]


class Stock(ReadSchema):
    total: int | None = Field(description="Units made available; null for unlimited")
    remaining: int | None = Field(description="Units that can still be redeemed")
    reserved: int = Field(description="Units held by redemptions not yet fulfilled")
    issued: int = Field(description="Units fulfilled")


class Item(ReadSchema):
    """A catalogue item. The ``spendable_points``, ``affordable`` and
    ``limit_remaining`` fields describe the employee the catalogue is shown for, and
    are null when it is shown to HR without one."""

    code: str
    name: str
    description: str | None
    kind: ItemKind
    leave_days: Decimal | None
    subsidy_amount: Decimal | None
    cost_points: int
    stock: Stock
    limit: Limit | None
    eligibility: Eligibility
    requires_approval: bool
    active_from: datetime | None
    active_until: datetime | None
    archived: bool
    archived_at: datetime | None
    available: bool = Field(description="Active now, not archived and in stock")
    spendable_points: int | None = Field(
        None, description="The employee's spendable balance (null when points_api cannot "
                          "answer or no employee is meant)")
    affordable: bool | None = Field(None, description="spendable_points >= cost_points")
    limit_remaining: int | None = Field(
        None, description="Units the employee may still redeem this period; null for no limit")
    created_at: datetime
    updated_at: datetime
    updated_by: str
