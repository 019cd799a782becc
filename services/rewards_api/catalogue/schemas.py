from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from shared.contracts.base import ReadSchema, Schema, VisibleText

CODE_PATTERN = r"^[A-Za-z0-9_.\-]{1,50}$"
Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                 VisibleText]
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


class ItemUpsert(Schema):
    name: Name = Field(examples=["带薪假 1 天"])
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    kind: ItemKind
    # pydantic declares multiple_of a float; a Decimal keeps the half-day check exact
    leave_days: Decimal | None = Field(  # type: ignore[call-overload]
        None, gt=0, le=365, multiple_of=Decimal("0.5"), max_digits=4, decimal_places=1,
        description="Days of paid leave per unit (paid_leave only)", examples=["1"])
    subsidy_amount: Decimal | None = Field(
        None, gt=0, le=Decimal("9999999999.99"), max_digits=12, decimal_places=2,
        description="Yuan per unit, paid with the salary (subsidy only)", examples=["500.00"])
    cost_points: int = Field(ge=1, le=MAX_COST, examples=[200])
    stock: int | None = Field(
        None, ge=0, le=MAX_STOCK,
        description="Units made available in total, redeemed ones included; null for "
                    "unlimited. Voucher items take their stock from the imported code pool "
                    "and must leave this null")
    limit: Limit | None = Field(None, description="Per-employee limit; null for none")
    eligibility: Eligibility = Field(default_factory=Eligibility)
    requires_approval: bool = Field(
        False, description="The manager of the employee's department (or HR) must approve")
    active_from: AwareDatetime | None = Field(None, description="Redeemable from this time")
    active_until: AwareDatetime | None = Field(None, description="Redeemable until this time")

    @model_validator(mode="after")
    def _kind_fields(self) -> ItemUpsert:
        if (self.kind == "paid_leave") != (self.leave_days is not None):
            raise ValueError("leave_days is required for paid_leave items and only for them")
        if (self.kind == "subsidy") != (self.subsidy_amount is not None):
            raise ValueError("subsidy_amount is required for subsidy items and only for them")
        if self.kind == "voucher" and self.stock is not None:
            raise ValueError("a voucher item's stock is its code pool: leave stock null and "
                             "import codes with POST /rewards/v1/items/{code}/vouchers")
        if (self.active_from and self.active_until and self.active_until <= self.active_from):
            raise ValueError("active_until must be after active_from")
        return self


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
