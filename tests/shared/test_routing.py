"""Requests are checked against the published OpenAPI document (shared/routing.py):
what pydantic's lax mode would have taken against the schema is a 422 problem, through
the gateway, and what the schema allows is never a crash."""

import dataclasses

import fastapi
import pytest

from services.rewards_api.main import create_app as rewards_app
from shared.app import create_service_app
from tests.conftest import auth
from tests.factories import uid

HR = auth("HR001", "hr_admin")


def pointers(r) -> list[str]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return [e["pointer"] for e in r.json()["errors"]]


@pytest.mark.parametrize(("path", "params", "pointer"), [
    ("/rewards/v1/items", {"archived": "0"}, "#/query/archived"),  # booleans are true/false
    ("/rewards/v1/items", {"limit": "1.0"}, "#/query/limit"),
    ("/rewards/v1/items", [("limit", "1"), ("limit", "2")], "#/query/limit"),  # not a list
    ("/rewards/v1/items", {"cursor": "x" * 2001}, "#/query/cursor"),
    ("/points/v1/rule-sets/active", {"at": "0"}, "#/query/at"),  # not a unix time
    ("/points/v1/rule-sets/active", {"at": "2026-03-01T10:00:00"}, "#/query/at"),  # no offset
    ("/points/v1/leaderboards", {"at": "0001-01-01"}, "#/query/at"),
    ("/training/v1/departments/X/kpis", {"to": "0000-01"}, "#/query/to"),  # was a 500
    ("/training/v1/reports/participation", {"from": "2026-02-30"}, "#/query/from"),
])
async def test_lax_query_values_are_refused(gw, path, params, pointer):
    assert pointer in pointers(await gw.get(path, headers=HR, params=params))


@pytest.mark.parametrize(("field", "value"), [
    ("cost_points", "200"), ("cost_points", 200.5), ("cost_points", True),
    ("cost_points", 2**70), ("requires_approval", 0), ("name", "杯\u0000"),
    ("active_from", 0), ("active_from", "9999-12-31T23:59:59-23:59"),
])
async def test_lax_body_values_are_refused(gw, field, value):
    body = {"name": "保温杯", "kind": "gift", "cost_points": 200, field: value}
    r = await gw.put(f"/rewards/v1/items/{uid('LAX')}", headers=HR, json=body)
    assert f"#/{field}" in pointers(r)


async def test_an_optional_field_names_the_type_it_takes(gw):
    r = await gw.put(f"/rewards/v1/items/{uid('LAX')}", headers=HR, json={
        "name": "保温杯", "kind": "gift", "cost_points": 200, "description": 5})
    assert r.json()["errors"] == [{"pointer": "#/description",
                                   "detail": "must be of type string or null"}]


async def test_a_body_in_a_media_type_the_operation_does_not_read_is_415(gw):
    r = await gw.put(f"/rewards/v1/items/{uid('LAX')}", headers={
        **HR, "content-type": "application/xml"}, content=b"<item/>")
    assert r.status_code == 415, r.text
    assert r.json()["type"].endswith("/unsupported-media-type")


async def test_authentication_and_roles_come_before_the_schema(gw):
    employee = auth(uid("E"), "employee")
    assert (await gw.put("/rewards/v1/items/X", json={"cost_points": "x"})).status_code == 401
    r = await gw.put("/rewards/v1/items/X", headers=employee, json={"cost_points": "x"})
    assert r.status_code == 403


async def test_a_path_number_beyond_any_id_is_refused_not_sent_to_the_database(gw):
    r = await gw.get(f"/points/v1/entries/{2**63}", headers=HR)
    assert "#/path/entry_id" in pointers(r)


async def test_trace_is_405_with_the_methods_of_the_path(gw):
    r = await gw.request("TRACE", "/rewards/v1/items/X", headers=HR)
    assert r.status_code == 405, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert {m.strip() for m in r.headers["allow"].split(",")} - {"HEAD"} == {"GET", "PUT"}


def test_a_router_outside_the_kit_is_refused():
    spec = rewards_app().state.spec
    bare = fastapi.APIRouter()
    bare.add_api_route("/rewards/v1/bare", lambda: None)
    with pytest.raises(TypeError, match="shared.routing.APIRouter"):
        create_service_app(dataclasses.replace(spec, routers=[*spec.routers, bare]))
