"""The notification feed: points gained and taken back appear at once, unread
filter, mark read, pagination, and who may read it."""

from __future__ import annotations

import uuid

from tests.conftest import auth
from tests.points_api.event_factories import HR, course, earn, fact
from tests.points_api.leaderboards.factories import hire, org_tree

FEED = "/points/v1/accounts/{}/notifications"


async def test_points_gained_and_taken_back_appear_in_the_feed(gw):
    org = await org_tree(gw)
    no = await hire(gw, org["line"], org["role"])
    completed = course(no, "液压系统入门")
    outcome = await earn(gw, "course.completed", completed)
    await earn(gw, "fact.voided", fact(no, voided_fact_id=completed["fact_id"],
                                       reason="重复录入"))

    r = await gw.get(FEED.format(no), headers=auth(no))

    assert r.status_code == 200, r.text
    reversed_, gained = r.json()["items"]
    assert (gained["kind"], gained["title"], gained["read_at"]) == (
        "points_gained", "+16 积分", None)
    assert gained["body"].startswith("完成课程 液压系统入门 2 课时；本月排名第 ")
    assert gained["data"]["entry_ids"] == [outcome["awarded"][0]["entry_id"]]
    assert gained["data"]["month_rank"] == outcome["month_rank"]
    assert (reversed_["kind"], reversed_["title"]) == ("points_reversed", "-16 积分")


async def test_marking_read_and_the_unread_filter(gw):
    org = await org_tree(gw)
    no = await hire(gw, org["line"], org["role"])
    for _ in range(3):
        await earn(gw, "course.completed", course(no))
    path, mine = FEED.format(no), auth(no)
    newest, middle, oldest = (await gw.get(path, headers=mine)).json()["items"]

    one = await gw.post(f"{path}/read", headers=mine, json={"ids": [middle["id"]]})
    again = await gw.post(f"{path}/read", headers=mine, json={"ids": [middle["id"], 999999999]})
    unread = (await gw.get(path, headers=mine, params={"unread": True})).json()["items"]
    rest = await gw.post(f"{path}/read", headers=mine, json={"all": True})
    after = (await gw.get(path, headers=mine, params={"unread": True})).json()["items"]
    neither = await gw.post(f"{path}/read", headers=mine, json={})
    both = await gw.post(f"{path}/read", headers=mine, json={"ids": [1], "all": True})

    assert (one.json(), again.json()) == ({"marked": 1}, {"marked": 0})
    assert [n["id"] for n in unread] == [newest["id"], oldest["id"]]
    assert (rest.json(), after) == ({"marked": 2}, [])
    assert (neither.status_code, both.status_code) == (422, 422)


async def test_pages_and_who_may_read(gw):
    org = await org_tree(gw)
    no = await hire(gw, org["line"], org["role"])
    colleague = await hire(gw, org["line"], org["role"])
    for _ in range(3):
        await earn(gw, "course.completed", course(no))
    path = FEED.format(no)

    first = (await gw.get(path, headers=auth(no), params={"limit": 2})).json()
    second = (await gw.get(path, headers=auth(no), params={"limit": 2,
                                                           "cursor": first["next_cursor"]})).json()
    by_hr = await gw.get(path, headers=HR)
    by_colleague = await gw.get(path, headers=auth(colleague))
    by_manager = await gw.get(path, headers=auth("M1", "manager", departments=(org["plant"],)))
    marked_by_colleague = await gw.post(f"{path}/read", headers=auth(colleague),
                                        json={"all": True})
    unknown = await gw.get(FEED.format(f"NOBODY{uuid.uuid4().hex[:6]}"), headers=HR)

    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert second["next_cursor"] is None
    assert by_hr.status_code == 200 and len(by_hr.json()["items"]) == 3
    assert (by_colleague.status_code, by_manager.status_code) == (404, 404)
    assert marked_by_colleague.status_code == 404
    assert unknown.status_code == 404
