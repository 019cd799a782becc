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


async def test_metrics_and_request_id_in_logs(stack, gw, hr):
    import httpx

    r = await gw.get("/training/v1/departments", headers={**hr, "X-Request-ID": "log-check-42"})
    assert r.status_code == 200
    async with httpx.AsyncClient() as direct:
        metrics = (await direct.get(f"{stack.direct_url('training')}/metrics")).text
    assert "jifen_http_request_duration_seconds" in metrics
    assert "jifen_outbox_backlog" in metrics or "jifen_outbox_delivered_total" in metrics
    log = next(stack.log_dir.glob("training-*.log")).read_text(errors="replace")
    line = next(ln for ln in log.splitlines() if "log-check-42" in ln)
    import json

    record = json.loads(line)
    assert record["request_id"] == "log-check-42" and record["status"] == 200
