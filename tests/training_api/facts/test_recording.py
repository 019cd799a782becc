"""Every kind of training fact: recorded (201), read back, replayed by client id
(200, the same record, no second event), and refused for unknown or departed
employees."""

import asyncio
from typing import Any

import pytest

from tests.conftest import auth
from tests.factories import HR
from tests.training_api.records import (
    ASSESSOR,
    LIVE,
    LMS,
    ago,
    assert_problem,
    client_id,
    create_course,
    create_exam,
    new_employee,
    new_skill,
    outbox_total,
)

POINTS_STATUSES = {"awarded", "pending", "none"}


@pytest.fixture(scope="module")
async def world(gw) -> dict[str, Any]:
    skill = await new_skill(gw, "设备点检")
    course = await create_course(gw, title="设备操作基础", class_hours="2", skills=[skill])
    exam = await create_exam(gw, course=course["code"], pass_score=80)
    emp = await new_employee(gw, name="赵强")
    return {"skill": skill, "course": course, "exam": exam, "employee": emp}


def kinds(world: dict[str, Any]) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    """(path, recorder, body) for one fact of each kind about the world's employee."""
    no = world["employee"]["employee_no"]
    return [
        ("course-completions", LMS, {"employee_no": no, "course_code": world["course"]["code"],
                                     "completed_at": ago(hours=2), "hours_attended": "2"}),
        ("live-interactions", LIVE, {"employee_no": no, "kind": "question",
                                     "course_code": world["course"]["code"],
                                     "occurred_at": ago(minutes=30)}),
        ("notes", auth(no, "employee"), {"employee_no": no, "title": "设备点检要点",
                                         "body": "开机前检查油位、气压和急停按钮。",
                                         "shared_at": ago()}),
        ("exam-attempts", ASSESSOR, {"employee_no": no, "exam_code": world["exam"]["code"],
                                     "score": 85, "attempted_at": ago(hours=1)}),
        ("practical-assessments", ASSESSOR, {"employee_no": no, "skill_code": world["skill"],
                                             "passed": True, "assessed_at": ago(hours=1),
                                             "remarks": "换模 12 分钟"}),
        ("skill-applications", auth(no, "employee"), {
            "employee_no": no, "summary": "优化点检路线，减少停机",
            "metric_name": "停机时长(分钟/周)",
            "metric_before": "120", "metric_after": "45.5", "work_order_ref": "WO-2025-0001"}),
    ]


@pytest.mark.parametrize("index", range(6), ids=[
    "completion", "interaction", "note", "exam", "practical", "skill-application"])
async def test_record_read_and_replay(gw, hr, world, index):
    path, who, body = kinds(world)[index]
    body = {**body, "client_id": client_id()}
    r = await gw.post(f"/training/v1/{path}", headers=who, json=body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["employee_no"] == body["employee_no"]
    assert created["client_id"] == body["client_id"]
    assert created["voided_at"] is None and created["recorded_at"]
    assert created["points"]["status"] in POINTS_STATUSES
    decimals = {"hours_attended", "metric_before", "metric_after"}
    for field, value in body.items():
        if field in decimals:
            assert float(created[field]) == float(value), field
        elif not field.endswith("_at"):
            assert created[field] == value, field

    got = await gw.get(f"/training/v1/{path}/{created['id']}", headers=hr)
    assert got.status_code == 200
    assert got.json() == {k: v for k, v in created.items() if k != "points"}

    events_before = await outbox_total(gw)
    replay = await gw.post(f"/training/v1/{path}", headers=who, json=body)
    assert replay.status_code == 200, replay.text
    assert replay.json()["id"] == created["id"]
    assert replay.json()["points"]["status"] in POINTS_STATUSES
    assert await outbox_total(gw) == events_before, "a replay enqueues no second event"
    listed = await gw.get(f"/training/v1/{path}", headers=hr,
                          params={"employee_no": body["employee_no"], "limit": 500})
    assert [i["id"] for i in listed.json()["items"]].count(created["id"]) == 1

    changed = {**body, "employee_no": body["employee_no"]}
    changed.update({"hours_attended": "1"} if "hours_attended" in body else
                   {"kind": "speak"} if "kind" in body else
                   {"title": "另一篇"} if "title" in body else
                   {"score": 90} if "score" in body else
                   {"passed": False} if "passed" in body else {"metric_after": "44"})
    conflict = await gw.post(f"/training/v1/{path}", headers=who, json=changed)
    assert_problem(conflict, 409, "client-id-conflict")


async def test_replay_with_other_offset_and_trailing_zeros_is_the_same_record(gw, world):
    no = world["employee"]["employee_no"]
    cid = client_id()
    body = {"client_id": cid, "employee_no": no, "course_code": world["course"]["code"],
            "completed_at": "2025-03-12T16:30:00+08:00", "hours_attended": "1.5"}
    first = await gw.post("/training/v1/course-completions", headers=LMS, json=body)
    assert first.status_code == 201, first.text
    again = await gw.post("/training/v1/course-completions", headers=LMS, json={
        **body, "completed_at": "2025-03-12T08:30:00Z", "hours_attended": "1.50"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]


async def test_a_client_id_is_unique_per_kind_only(gw, world):
    no = world["employee"]["employee_no"]
    cid = client_id()
    r1 = await gw.post("/training/v1/live-interactions", headers=LIVE, json={
        "client_id": cid, "employee_no": no, "kind": "speak", "occurred_at": ago()})
    r2 = await gw.post("/training/v1/notes", headers=auth(no, "employee"), json={
        "client_id": cid, "employee_no": no, "title": "笔记", "url": "https://wiki.example.cn/n/1",
        "shared_at": ago()})
    assert (r1.status_code, r2.status_code) == (201, 201)


async def test_without_client_id_each_post_is_a_new_record(gw, world):
    no = world["employee"]["employee_no"]
    body = {"employee_no": no, "kind": "speak", "occurred_at": ago()}
    ids = {(await gw.post("/training/v1/live-interactions", headers=LIVE, json=body)).json()["id"]
           for _ in range(2)}
    assert len(ids) == 2


async def test_idempotency_key_replays_the_response(gw, world):
    no = world["employee"]["employee_no"]
    headers = {**LMS, "Idempotency-Key": client_id()}
    body = {"employee_no": no, "course_code": world["course"]["code"], "completed_at": ago()}
    r1 = await gw.post("/training/v1/course-completions", headers=headers, json=body)
    r2 = await gw.post("/training/v1/course-completions", headers=headers, json=body)
    assert r1.status_code == r2.status_code == 201
    assert r1.json()["id"] == r2.json()["id"]
    assert r2.headers.get("idempotent-replayed") == "true"


async def test_unknown_references_are_conflicts(gw, world):
    no = world["employee"]["employee_no"]
    cases = [
        ("course-completions", LMS, {"employee_no": "NOBODY-404", "course_code":
                                     world["course"]["code"], "completed_at": ago()},
         "unknown-employee"),
        ("course-completions", LMS, {"employee_no": no, "course_code": "NO-COURSE",
                                     "completed_at": ago()}, "unknown-course"),
        ("live-interactions", LIVE, {"employee_no": no, "course_code": "NO-COURSE",
                                     "kind": "speak", "occurred_at": ago()}, "unknown-course"),
        ("exam-attempts", ASSESSOR, {"employee_no": no, "exam_code": "NO-EXAM", "score": 90,
                                     "attempted_at": ago()}, "unknown-exam"),
        ("practical-assessments", ASSESSOR, {"employee_no": no, "skill_code": "NO-SKILL",
                                             "passed": True, "assessed_at": ago()},
         "unknown-skill"),
        ("skill-applications", auth(no, "employee"), {
            "employee_no": no, "skill_code": "NO-SKILL", "summary": "x", "metric_name": "y",
            "metric_before": 1, "metric_after": 2}, "unknown-skill"),
    ]
    for path, who, body, slug in cases:
        assert_problem(await gw.post(f"/training/v1/{path}", headers=who, json=body), 409, slug)


async def test_employee_who_left_gets_no_new_records(gw, world):
    gone = await new_employee(gw, org=world["employee"]["org"], status="left")
    r = await gw.post("/training/v1/course-completions", headers=LMS, json={
        "employee_no": gone["employee_no"], "course_code": world["course"]["code"],
        "completed_at": ago()})
    assert_problem(r, 409, "employee-left")


async def test_hours_attended_cannot_exceed_class_hours(gw, world):
    r = await gw.post("/training/v1/course-completions", headers=LMS, json={
        "employee_no": world["employee"]["employee_no"], "course_code": world["course"]["code"],
        "completed_at": ago(), "hours_attended": "2.5"})
    body = assert_problem(r, 409, "hours-exceed-class-hours")
    assert body["errors"][0]["pointer"] == "#/hours_attended"


async def test_exam_attempt_passes_by_the_exam_pass_score(gw, world):
    no = world["employee"]["employee_no"]
    results = []
    for score in (79, 80):
        r = await gw.post("/training/v1/exam-attempts", headers=ASSESSOR, json={
            "employee_no": no, "exam_code": world["exam"]["code"], "score": score,
            "attempted_at": ago()})
        assert r.status_code == 201, r.text
        results.append((r.json()["passed"], r.json()["pass_score"]))
    assert results == [(False, 80), (True, 80)]


async def test_note_needs_a_body_or_url(gw, world):
    no = world["employee"]["employee_no"]
    r = await gw.post("/training/v1/notes", headers=auth(no, "employee"), json={
        "employee_no": no, "title": "空笔记", "shared_at": ago()})
    assert_problem(r, 422)
    r = await gw.post("/training/v1/notes", headers=auth(no, "employee"), json={
        "employee_no": no, "title": "链接", "url": "javascript:alert(1)", "shared_at": ago()})
    assert_problem(r, 422)


async def test_list_filters_by_time_and_pages_newest_first(gw, hr):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    made = []
    for hours in (50, 40, 30, 20, 10):
        r = await gw.post("/training/v1/live-interactions", headers=LIVE, json={
            "employee_no": no, "kind": "speak", "occurred_at": ago(hours=hours)})
        made.append(r.json())
    newest_first = [m["id"] for m in reversed(made)]
    seen, cursor = [], None
    while True:
        params = {"employee_no": no, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await gw.get("/training/v1/live-interactions", headers=hr, params=params)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == newest_first
    window = await gw.get("/training/v1/live-interactions", headers=hr, params={
        "employee_no": no, "from": made[1]["occurred_at"], "to": made[3]["occurred_at"]})
    assert [i["id"] for i in window.json()["items"]] == [made[2]["id"], made[1]["id"]]
    kind = await gw.get("/training/v1/live-interactions", headers=hr,
                        params={"employee_no": no, "kind": "question"})
    assert kind.json()["items"] == []


async def test_concurrent_sends_of_one_client_id_make_one_record(gw, hr, world):
    no = world["employee"]["employee_no"]
    body = {"client_id": client_id(), "employee_no": no, "course_code": world["course"]["code"],
            "completed_at": ago()}
    events_before = await outbox_total(gw)
    answers = await asyncio.gather(*[
        gw.post("/training/v1/course-completions", headers=LMS, json=body) for _ in range(8)])
    assert sorted(r.status_code for r in answers) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in answers}) == 1
    assert await outbox_total(gw) == events_before + 1


async def test_a_client_id_replay_under_a_new_idempotency_key_is_the_stored_record(gw, world):
    """The recording's one-statement way gives way to the usual one when the client id
    is taken: the answer is the stored record (200), under either key."""
    body = {"employee_no": world["employee"]["employee_no"],
            "course_code": world["course"]["code"], "completed_at": ago(),
            "client_id": client_id()}
    first = await gw.post("/training/v1/course-completions",
                          headers={**LMS, "Idempotency-Key": client_id()}, json=body)
    again = await gw.post("/training/v1/course-completions",
                          headers={**LMS, "Idempotency-Key": client_id()}, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("idempotent-replayed") is None


async def test_a_course_changed_after_a_recording_is_what_the_next_one_sees(gw, world):
    """A process keeps a course as last read for the next recordings of it; the
    recording's statement checks it is still current, so a change (class hours,
    archival) holds from the very next recording."""
    code = (await create_course(gw, class_hours="2"))["code"]

    def completion(**more: Any) -> dict[str, Any]:
        return {"employee_no": world["employee"]["employee_no"], "course_code": code,
                "completed_at": ago(), **more}

    path = "/training/v1/course-completions"
    assert (await gw.post(path, headers=LMS, json=completion(hours_attended="2"))
            ).status_code == 201
    await create_course(gw, code=code, class_hours="1")
    assert_problem(await gw.post(path, headers=LMS, json=completion(hours_attended="2")),
                   409, "hours-exceed-class-hours")
    assert (await gw.post(path, headers=LMS, json=completion(hours_attended="1"))
            ).status_code == 201
    assert (await gw.post(f"/training/v1/courses/{code}/archive", headers=HR)).status_code == 200
    assert_problem(await gw.post(path, headers=LMS, json=completion()), 409, "course-archived")
