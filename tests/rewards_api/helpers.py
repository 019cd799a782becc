"""Rewards test data made through the API: items, employees synced to the
rewards mall and to points_api, points given by HR, redemptions."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from tests.conftest import auth, call_direct
from tests.factories import create_employee, create_org, uid

HR = auth("HR001", "hr_admin")
T = TypeVar("T")


async def wait_for(predicate: Callable[[], Awaitable[T]], *, within: float = 30.0,
                   interval: float = 0.1, what: str = "condition") -> T:
    deadline = time.monotonic() + within
    while True:
        result = await predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {within}s")
        await asyncio.sleep(interval)


async def synced_employee(gw: httpx.AsyncClient, *, org: dict[str, Any] | None = None,
                          family: str = "production", department: str | None = None,
                          name: str = "李娜") -> dict[str, Any]:
    """An employee whose facts have reached rewards_api and points_api."""
    org = org or await create_org(gw, family=family)
    emp = await create_employee(gw, department=department or org["department"]["code"],
                                role=org["role"]["code"], name=name)
    no = emp["employee_no"]

    async def copied() -> bool:
        for service in ("rewards", "points"):
            r = await call_direct(gw, "GET", f"/{service}/v1/internal/employees/{no}",
                                  headers=HR)
            if r.status_code != 200 or r.json()["version"] < emp["version"]:
                return False
        return True

    await wait_for(copied, within=60, what=f"copies of {no}")
    return {**emp, "org": org, "headers": auth(no, "employee")}


async def give_points(gw: httpx.AsyncClient, employee_no: str, points: int,
                      category: str = "outcome") -> None:
    r = await gw.post(f"/points/v1/accounts/{employee_no}/adjustments", headers=HR,
                      json={"points": points, "category": category, "reason": "测试发放积分"})
    assert r.status_code == 201, r.text


async def account(gw: httpx.AsyncClient, employee_no: str) -> dict[str, Any]:
    r = await gw.get(f"/points/v1/accounts/{employee_no}", headers=HR)
    assert r.status_code == 200, r.text
    return r.json()


def problem(r: httpx.Response) -> str:
    """The slug of a problem answer's type."""
    return str(r.json()["type"]).rsplit("/", 1)[-1]


def item_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "定制保温杯", "kind": "gift", "cost_points": 10}
    body.update(fields)
    return body


async def put_item(gw: httpx.AsyncClient, code: str | None = None, **fields: Any
                   ) -> dict[str, Any]:
    code = code or uid("IT")
    r = await gw.put(f"/rewards/v1/items/{code}", headers=HR, json=item_body(**fields))
    assert r.status_code in (200, 201), r.text
    return r.json()


async def get_item(gw: httpx.AsyncClient, code: str) -> dict[str, Any]:
    r = await gw.get(f"/rewards/v1/items/{code}", headers=HR)
    assert r.status_code == 200, r.text
    return r.json()


async def redeem(gw: httpx.AsyncClient, employee: dict[str, Any], item_code: str, *,
                 quantity: int = 1, key: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> httpx.Response:
    return await gw.post("/rewards/v1/redemptions",
                         headers={**(headers or employee["headers"]),
                                  "Idempotency-Key": key or str(uuid.uuid4())},
                         json={"item_code": item_code, "quantity": quantity, **extra})


async def redemption(gw: httpx.AsyncClient, redemption_id: str,
                     headers: dict[str, str] | None = None) -> dict[str, Any]:
    r = await gw.get(f"/rewards/v1/redemptions/{redemption_id}", headers=headers or HR)
    assert r.status_code == 200, r.text
    return r.json()


async def hold(gw: httpx.AsyncClient, hold_id: str) -> dict[str, Any] | None:
    r = await gw.get(f"/points/v1/holds/{hold_id}", headers=HR)
    if r.status_code == 404:
        return None
    assert r.status_code == 200, r.text
    return r.json()


async def settled_hold(gw: httpx.AsyncClient, hold_id: str, status: str,
                       within: float = 30) -> dict[str, Any]:
    """Wait until points_api applied the capture or release sent through the outbox."""
    async def reached() -> dict[str, Any] | None:
        found = await hold(gw, hold_id)
        return found if found and found["status"] == status else None

    return await wait_for(reached, within=within, what=f"hold {hold_id} {status}")


def manager_of(employee: dict[str, Any], sub: str | None = None) -> dict[str, str]:
    """A token of a manager of the employee's department."""
    return auth(sub or uid("M"), "manager",
                departments=(employee["org"]["department"]["code"],))
