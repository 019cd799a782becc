"""The target mix before HR has set one. Runs before the other tests of this folder
(which set targets: the mix tests are the only ones that do), in a session of its
own database."""

from __future__ import annotations

from tests.points_api.event_factories import HR

PATH = "/points/v1/points-mix/targets"


async def test_the_defaults_apply_until_hr_sets_targets(gw):
    r = await gw.get(PATH, headers=HR)

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["is_default"] is True
    assert (body["version"], body["updated_by"], body["updated_at"]) == (None, None, None)
    assert body["categories"] == {
        "participation": {"target_percent": 40, "tolerance_percent": 5},
        "outcome": {"target_percent": 50, "tolerance_percent": 5},
        "growth": {"target_percent": 10, "tolerance_percent": 5}}
    assert body["sources"] == [{"label": "实操任务", "rule_ids": ["practical.passed"],
                                "min_percent": 20, "max_percent": None}]
    history = await gw.get(f"{PATH}/history", headers=HR)
    assert history.json() == {"items": [], "next_cursor": None}
