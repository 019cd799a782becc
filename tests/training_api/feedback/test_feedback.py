"""Feedback: filed by employees, listed, tagged and closed by HR."""

import csv
import io
import uuid

import pytest

from tests.conftest import auth
from tests.training_api.records import assert_problem
from tests.training_api.reports.small_plant import Plant, small_plant


@pytest.fixture
async def plant(gw) -> Plant:
    return await small_plant(gw)


async def test_feedback_lifecycle(gw, hr, plant):
    me = auth(plant.no["E2"], "employee")
    client_id = str(uuid.uuid4())
    body = {"topic": "courses", "subject": "设备操作基础",
            "text": "课程时间太长，希望拆成几节短课", "client_id": client_id}
    filed = await gw.post("/training/v1/feedback", headers=me, json=body)
    assert filed.status_code == 201, filed.text
    item = filed.json()
    assert (item["status"], item["employee_no"], item["department_code"], item["tags"]) == \
        ("open", plant.no["E2"], plant.a, [])
    replay = await gw.post("/training/v1/feedback", headers=me, json=body)
    assert replay.status_code == 200 and replay.json()["id"] == item["id"]
    assert_problem(await gw.post("/training/v1/feedback", headers=me,
                                 json={**body, "text": "别的内容"}), 409, "client-id-conflict")

    tagged = await gw.put(f"/training/v1/feedback/{item['id']}/tags", headers=hr,
                          json={"tags": ["课程时长", "待改进", "课程时长"]})
    assert tagged.json()["tags"] == ["课程时长", "待改进"] and tagged.json()["tagged_by"] == "HR001"
    listed = await gw.get("/training/v1/feedback", headers=hr, params={
        "tag": "课程时长", "department": plant.plant, "status": "open", "topic": "courses"})
    assert [f["id"] for f in listed.json()["items"]] == [item["id"]]

    closed = await gw.post(f"/training/v1/feedback/{item['id']}/close", headers=hr,
                           json={"resolution": "已拆分为 3 节 15 分钟短课"})
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["closed_by"]) == ("closed", "HR001")
    assert_problem(await gw.post(f"/training/v1/feedback/{item['id']}/close", headers=hr,
                                 json={"resolution": "again"}), 409, "feedback-closed")
    mine = await gw.get(f"/training/v1/feedback/{item['id']}", headers=me)
    assert mine.json()["resolution"] == "已拆分为 3 节 15 分钟短课"
    still_open = await gw.get("/training/v1/feedback", headers=hr, params={
        "department": plant.plant, "status": "open"})
    assert item["id"] not in [f["id"] for f in still_open.json()["items"]]


async def test_feedback_list_pages_and_exports_csv(gw, hr, plant):
    ids = []
    for key, topic, text in (("E4", "rewards", "兑换的礼品不够实用"),
                             ("E5", "rules", "=1+1 实操积分太少"),
                             ("E7", "other", "培训时间和排班冲突")):
        r = await gw.post("/training/v1/feedback", headers=hr, json={
            "employee_no": plant.no[key], "topic": topic, "text": text})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    first = await gw.get("/training/v1/feedback", headers=hr,
                         params={"department": plant.b, "limit": 2})
    page = first.json()
    second = await gw.get("/training/v1/feedback", headers=hr, params={
        "department": plant.b, "limit": 2, "cursor": page["next_cursor"]})
    seen = [f["id"] for f in page["items"] + second.json()["items"]]
    assert seen[:3] == sorted(ids, reverse=True)  # newest first
    export = await gw.get("/training/v1/feedback", headers=hr,
                          params={"department": plant.b, "format": "csv"})
    assert export.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "提交时间", "工号"]
    texts = {row[0]: row[8] for row in rows[1:]}
    assert texts[str(ids[0])] == "兑换的礼品不够实用"
    assert texts[str(ids[1])] == "'=1+1 实操积分太少"  # a formula stays text in Excel


async def test_feedback_access(gw, hr, plant):
    me = auth(plant.no["E1"], "employee")
    item = (await gw.post("/training/v1/feedback", headers=me, json={
        "topic": "rules", "text": "规则说明看不懂"})).json()
    other = auth(plant.no["E4"], "employee")
    assert_problem(await gw.get(f"/training/v1/feedback/{item['id']}", headers=other), 404)
    assert_problem(await gw.get("/training/v1/feedback", headers=me), 403)
    assert_problem(await gw.put(f"/training/v1/feedback/{item['id']}/tags", headers=me,
                                json={"tags": ["x"]}), 403)
    assert_problem(await gw.post("/training/v1/feedback", headers=me, json={
        "topic": "rules", "text": "替别人提", "employee_no": plant.no["E4"]}), 403,
        "feedback-for-others")
    assert_problem(await gw.post("/training/v1/feedback", headers=me, json={
        "topic": "salary", "text": "x"}), 422)
    assert (await gw.get(f"/training/v1/feedback/{item['id']}",
                         headers=auth("AUD", "auditor"))).status_code == 200
