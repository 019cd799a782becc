"""PostgreSQL down: every route that needs it answers 503 problem+json
`database-unavailable` with Retry-After (or refuses bad input first, which needs no
database), never a 500;
and the services recover by themselves once PostgreSQL is back."""

import asyncio
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

from tests.conftest import auth
from tests.factories import create_org, uid

ROOT = Path(__file__).resolve().parents[2]
HR = auth("HR001", "hr_admin")


def operations() -> list[tuple[str, str]]:
    """Every public operation of the three OpenAPI documents, path filled in."""
    found = []
    for doc in ("training", "points", "rewards"):
        spec = json.loads((ROOT / "openapi" / f"{doc}.json").read_text())
        for path, ops in spec["paths"].items():
            for method, op in ops.items():
                if method in ("get", "post", "put", "patch", "delete") and \
                        not path.endswith(("/healthz", "/readyz")):
                    found.append((method.upper(), _fill(path, op.get("parameters", []))))
    return found


def _fill(path: str, parameters: list[dict[str, Any]]) -> str:
    def value(name: str) -> str:
        schema = next((p.get("schema", {}) for p in parameters if p.get("name") == name), {})
        if schema.get("type") == "integer":
            return "1"
        if schema.get("format") == "uuid":
            return str(uuid.uuid4())
        if "month" in name:
            return "2026-01"
        return "X1"
    return re.sub(r"\{(\w+)\}", lambda m: value(m.group(1)), path)


async def test_every_route_answers_503_while_postgresql_is_down_and_recovers(stack, gw):
    org = await create_org(gw)
    no = uid("DB")
    upsert = {"name": "停库测试", "department_code": org["department"]["code"],
              "job_role_code": org["role"]["code"]}
    assert (await gw.put(f"/training/v1/employees/{no}", headers=HR, json=upsert)).status_code \
        == 201
    must_be_503 = [
        ("GET", f"/points/v1/accounts/{no}", None),
        ("POST", "/training/v1/course-completions",
         {"employee_no": no, "course_code": "C1", "completed_at": "2026-03-12T16:30:00+08:00"}),
        ("POST", "/rewards/v1/redemptions", {"item_code": "GIFT-MUG"}),
        ("PUT", f"/training/v1/employees/{no}", upsert),
        ("GET", "/training/v1/departments", None),
        ("GET", "/rewards/v1/items", None),
        ("GET", "/points/v1/leaderboards", None),
    ]
    assert stack.pg is not None
    stack.pg.stop()
    try:
        for method, path, body in must_be_503:
            r = await gw.request(method, path, headers=HR, json=body)
            assert r.status_code == 503, (method, path, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["type"].endswith("/database-unavailable"), r.text
            assert int(r.headers["retry-after"]) > 0
        for method, path in operations():
            r = await gw.request(method, path, headers=HR)
            assert r.status_code != 500 and r.status_code < 504, (method, path, r.text)
            if r.status_code < 400:
                continue  # a route that needs no database (the webhook event types)
            assert r.headers["content-type"].startswith("application/problem+json"), path
            if r.status_code >= 500:
                assert r.json()["type"].endswith("/database-unavailable"), (path, r.text)
                assert "retry-after" in r.headers, path
    finally:
        stack.pg.start()
    await _recovers(gw, "/points/v1/leaderboards", "/training/v1/departments",
                    "/rewards/v1/items")


async def _recovers(gw, *paths: str, within: float = 60) -> None:
    """Without a restart: the pools replace the connections PostgreSQL dropped."""
    deadline = time.monotonic() + within
    for path in paths:
        while (r := await gw.get(path, headers=HR)).status_code != 200:
            assert r.status_code == 503, (path, r.text)
            assert time.monotonic() < deadline, f"{path} did not recover: {r.text}"
            await asyncio.sleep(0.3)
