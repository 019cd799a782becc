"""A streak rule published as rule data: in the monthly top 10% three months running,
growth awards x1.2 in the month after, and only then; computed when the month
closes (the honours run) and visible on the entries it affected."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.points_api.event_factories import HR, course, earn
from tests.points_api.leaderboards.factories import give, hire, mid_month, org_tree


def months_before(count: int) -> list[datetime]:
    """The middle of each of the ``count`` months before this one, oldest first."""
    first = datetime.now(ZoneInfo("Asia/Shanghai")).date().replace(day=1)
    out = []
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(mid_month(first.year, first.month))
    return out[::-1]


def next_month() -> datetime:
    first = datetime.now(ZoneInfo("Asia/Shanghai")).date().replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return mid_month(following.year, following.month)


async def publish(gw, rules: list[dict], **when: str) -> None:
    draft = await gw.post("/points/v1/rule-sets", headers=HR,
                          json={"rules": rules, "note": "连续优秀成长积分加成"})
    assert draft.status_code == 201, draft.text
    published = await gw.post(f"/points/v1/rule-sets/{draft.json()['version']}/publish",
                              headers=HR, json=when)
    assert published.status_code == 200, published.text


async def publish_streak_rules(gw, code: str, suffix: str) -> tuple[str, str]:
    """The rules, in effect now and again just before next month's event: other tests
    publish versions that take effect later (an hour from now, say), and one of them
    would otherwise govern that event."""
    active = (await gw.get("/points/v1/rule-sets/active", headers=HR)).json()
    growth_id, streak_id = f"growth.mentor-{suffix}", f"streak.top10-{suffix}"
    rules = [*active["rules"],
             {"id": growth_id, "name": "带徒辅导", "event_type": "course.completed",
              "category": "growth", "filters": {"course_codes": [code]},
              "award": {"kind": "fixed", "points": 50}},
             {"id": streak_id, "name": "连续三月前 10%", "event_type": "course.completed",
              "category": "growth", "streak": {"top_percent": "10", "months": 3},
              "award": {"kind": "multiplier", "factor": "1.2",
                        "target_categories": ["growth"]}}]
    await publish(gw, rules)
    await publish(gw, rules, effective_at=(next_month() - timedelta(minutes=1)).isoformat())
    return growth_id, streak_id


def growth(outcome: dict) -> dict:
    (award,) = [a for a in outcome["awarded"] if a["category"] == "growth"]
    return award


async def test_streak_multiplier_applies_only_in_the_month_after_the_streak(gw):
    suffix = uuid.uuid4().hex[:8]
    code = f"MENTOR-{suffix}"
    org = await org_tree(gw)
    star = await hire(gw, org["line"], org["role"])
    newcomer = await hire(gw, org["line"], org["role"])
    three_months = months_before(3)
    for at in three_months:
        await give(gw, star, 1_000_000, at=at)
    for at in three_months[1:]:
        await give(gw, newcomer, 1_000_000, at=at)
    growth_id, streak_id = await publish_streak_rules(gw, code, suffix)
    last_month = three_months[-1].astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")

    closed = await gw.post("/points/v1/honours/runs", headers=HR,
                           json={"kind": "monthly", "period": last_month})

    assert closed.status_code == 200, closed.text
    (streak,) = [s for s in closed.json()["streaks"] if s["rule_id"] == streak_id]
    this_month = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).strftime("M%Y-%m")
    assert streak["month"] == this_month and streak["qualified"] >= 1
    boosted = growth(await earn(gw, "course.completed", course(star, code=code)))
    plain = growth(await earn(gw, "course.completed", course(newcomer, code=code)))
    later = growth(await earn(gw, "course.completed", course(star, code=code,
                                                             at=next_month())))
    assert (boosted["rule_id"], boosted["points"]) == (growth_id, 60)
    assert "连续三月前 10% ×1.2" in boosted["reason"]
    assert plain["points"] == later["points"] == 50
    entry = (await gw.get(f"/points/v1/entries/{boosted['entry_id']}", headers=HR)).json()
    assert (entry["multiplier_rule_ids"], entry["base_points"]) == ([streak_id], 50)
    unboosted = (await gw.get(f"/points/v1/entries/{later['entry_id']}", headers=HR)).json()
    assert unboosted["multiplier_rule_ids"] == []
