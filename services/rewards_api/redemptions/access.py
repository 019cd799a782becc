"""Who may read, approve and cancel a redemption."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.rewards_api.catalogue.eligibility import employee_departments
from services.rewards_api.models import Redemption
from services.rewards_api.redemptions.errors import NotApprover, NotYourRedemption, SelfApproval
from shared.auth import Principal
from shared.db import RowAttributes


def manages(principal: Principal, employee: Mapping[str, Any] | None) -> bool:
    """A manager whose token names the employee's department or one above it."""
    return employee is not None and principal.manages(employee_departments(employee))


def can_read(principal: Principal, r: Redemption | RowAttributes,
             employee: Mapping[str, Any] | None) -> bool:
    """As every service decides who reads an employee's things
    (``Principal.may_read_employee``): an assessor reads only their own."""
    return principal.may_read_employee(
        r.employee_no, employee_departments(employee) if employee is not None else ())


def check_approver(principal: Principal, r: Redemption,
                   employee: Mapping[str, Any] | None) -> None:
    """HR or the employee's manager, and never the employee themself (not even
    when they are HR or manage their own department)."""
    if principal.sub == r.employee_no:
        raise SelfApproval("You cannot approve or reject your own redemption")
    if principal.has("hr_admin") or manages(principal, employee):
        return
    raise NotApprover(f"Only HR or a manager of {r.employee_no}'s department decides on this "
                      "redemption")


def check_canceller(principal: Principal, r: Redemption) -> None:
    if principal.sub == r.employee_no or principal.has("hr_admin"):
        return
    raise NotYourRedemption("Only the employee who redeemed, or HR, cancels a redemption")


def check_requester(principal: Principal, employee_no: str) -> None:
    """Employees redeem for themselves; HR for anyone."""
    if principal.sub == employee_no or principal.has("hr_admin"):
        return
    raise NotYourRedemption("Only HR redeems on someone else's behalf")
