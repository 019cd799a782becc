"""Query parameters every list of training facts takes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from services.training_api.facts.repository import FactFilters
from shared.contracts.fields import Timestamp
from shared.identity import EMPLOYEE_NO_PATTERN, EmployeeNoQuery  # noqa: F401


async def fact_filters(
    employee_no: EmployeeNoQuery = None,
    occurred_from: Annotated[Timestamp | None, Query(
        alias="from", description="Occurred at or after (RFC 3339 with offset, e.g. "
                                  "2025-03-01T00:00:00Z; write + as %2B)")] = None,
    occurred_to: Annotated[Timestamp | None, Query(
        alias="to", description="Occurred before (RFC 3339 with offset)")] = None,
    voided: Annotated[bool | None, Query(description="Only voided (true) or standing "
                                                     "(false) records")] = None,
) -> FactFilters:
    return FactFilters(employee_no=employee_no, occurred_from=occurred_from,
                       occurred_to=occurred_to, voided=voided)


FactQuery = Annotated[FactFilters, Depends(fact_filters)]
