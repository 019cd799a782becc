"""Training events as training_api sends them, POSTed straight to points_api's
event endpoint signed as training_api, and employees whose points copy exists."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import auth, call_direct
from tests.factories import create_employee, create_org

HR = auth("HR001", "hr_admin")
EVENTS_PATH = "/points/v1/internal/events"


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def wait_for_copy(gw: httpx.AsyncClient, employee_no: str, within: float = 60) -> None:
    """Until points_api holds the employee's copy (the employee.upserted event arrived)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        r = await call_direct(gw, "GET", f"/points/v1/internal/employees/{employee_no}",
                              headers=HR)
        if r.status_code == 200:
            return
        assert asyncio.get_running_loop().time() < deadline, f"no copy of {employee_no}: {r.text}"
        await asyncio.sleep(0.05)


async def new_employee(gw: httpx.AsyncClient, *, family: str = "production",
                       org: dict[str, Any] | None = None, name: str = "张伟") -> dict[str, Any]:
    """An employee in a fresh org (or the given one), synced to points_api."""
    org = org or await create_org(gw, family=family)
    emp = await create_employee(gw, department=org["department"]["code"],
                                role=org["role"]["code"], name=name)
    await wait_for_copy(gw, emp["employee_no"])
    return {**emp, "org": org}


def fact(employee_no: str, *, at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    return {"fact_id": str(uuid.uuid4()), "employee_no": employee_no,
            "occurred_at": iso(at or now()), **fields}


def course(employee_no: str, title: str = "液压系统入门", *, hours: str = "2",
           difficulty: str = "intermediate", code: str | None = None,
           **fields: Any) -> dict[str, Any]:
    return fact(employee_no, course_code=code or f"C-{uuid.uuid4().hex[:8]}",
                course_title=title, course_format="online", course_difficulty=difficulty,
                class_hours=hours, **fields)


def practical(employee_no: str, *, passed: bool = True, **fields: Any) -> dict[str, Any]:
    return fact(employee_no, skill_code="S-SETUP", skill_name="设备调试", passed=passed,
                assessor="A001", **fields)


def envelope(event_type: str, payload: dict[str, Any],
             event_id: str | None = None) -> dict[str, Any]:
    return {"event_id": event_id or str(uuid.uuid4()), "event_type": event_type,
            "occurred_at": payload["occurred_at"], "producer": "training", "payload": payload}


async def deliver(gw: httpx.AsyncClient, *envelopes: dict[str, Any]) -> list[dict[str, Any]]:
    """POST one batch as its producer's outbox would (signed as the first envelope's
    producer); the receipts, one per event."""
    caller = envelopes[0]["producer"] if envelopes else "training"
    r = await call_direct(gw, "POST", EVENTS_PATH, caller=caller,
                          json={"events": list(envelopes)})
    assert r.status_code == 200, r.text
    return r.json()["receipts"]


async def send(gw: httpx.AsyncClient, event_type: str, payload: dict[str, Any], *,
               event_id: str | None = None) -> dict[str, Any]:
    """Deliver one event; its receipt."""
    (receipt,) = await deliver(gw, envelope(event_type, payload, event_id))
    return receipt


async def earn(gw: httpx.AsyncClient, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Deliver one event that must apply; its points outcome."""
    receipt = await send(gw, event_type, payload)
    assert receipt["status"] == "applied", receipt
    return receipt["result"]


async def account(gw: httpx.AsyncClient, employee_no: str,
                  headers: dict[str, str] | None = None) -> dict[str, Any]:
    r = await gw.get(f"/points/v1/accounts/{employee_no}", headers=headers or HR)
    assert r.status_code == 200, r.text
    return r.json()


async def all_entries(gw: httpx.AsyncClient, employee_no: str, **params: Any
                      ) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 500, **params, **({"cursor": cursor} if cursor else {})}
        r = await gw.get(f"/points/v1/accounts/{employee_no}/entries", headers=HR, params=query)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)
