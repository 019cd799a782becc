"""The system answers through the gateway the way a user's curl would see it."""

from tests.conftest import auth


async def test_health_through_gateway(gw):
    for prefix in ("training", "points", "rewards"):
        r = await gw.get(f"/{prefix}/readyz")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "ready"
        assert r.headers["x-request-id"]


async def test_request_id_passes_through(gw, hr):
    r = await gw.get("/training/v1/departments", headers={**hr, "X-Request-ID": "trace-abc-123"})
    assert r.status_code == 200
    assert r.headers.get_list("x-request-id") == ["trace-abc-123"]


async def test_unknown_route_is_problem_json(gw):
    r = await gw.get("/training/v1/nothing-here", headers=auth("HR1", "hr_admin"))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 404
