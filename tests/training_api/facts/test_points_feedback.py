"""Real-time feedback: a recording response carries the points it earned; when
points_api is down it says pending, and the points arrive later all the same."""

import asyncio

import pytest

from tests.conftest import auth
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
    wait_for_points_copy,
)


async def account(gw, employee_no: str) -> dict:
    r = await gw.get(f"/points/v1/accounts/{employee_no}", headers=auth("HR001", "hr_admin"))
    assert r.status_code == 200, r.text
    return r.json()


async def test_completion_answers_with_the_points_awarded(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    await wait_for_points_copy(gw, no)
    course = await create_course(gw, title="设备操作基础", points=20)
    r = await gw.post("/training/v1/course-completions", headers=LMS, json={
        "employee_no": no, "course_code": course["code"], "completed_at": ago()})
    assert r.status_code == 201, r.text
    points = r.json()["points"]
    assert points["status"] == "awarded", points
    outcome = points["outcome"]
    assert outcome["employee_no"] == no and outcome["total_points"] == 20
    assert [e["points"] for e in outcome["awarded"]] == [20]
    assert "设备操作基础" in outcome["awarded"][0]["reason"]
    assert outcome["balance"] == (await account(gw, no))["balance"] == 20


async def test_each_kind_reports_its_points(gw, hr):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    await wait_for_points_copy(gw, no)
    course = await create_course(gw, title="质量管控进阶", difficulty="intermediate",
                                 class_hours="2")
    exam = await create_exam(gw, course=course["code"])
    cases = [
        ("course-completions", LMS, {"course_code": course["code"], "completed_at": ago()}, 16),
        ("live-interactions", LIVE, {"kind": "question", "occurred_at": ago()}, 3),
        ("notes", auth(no, "employee"), {"title": "笔记", "body": "要点", "shared_at": ago()},
         10),
        ("exam-attempts", ASSESSOR, {"exam_code": exam["code"], "score": 100,
                                     "attempted_at": ago()}, 20),
        ("practical-assessments", ASSESSOR, {"skill_code": emp["org"]["skill"]["code"],
                                             "passed": True, "assessed_at": ago()}, 30),
    ]
    total = 0
    for path, who, body, expected in cases:
        r = await gw.post(f"/training/v1/{path}", headers=who, json={"employee_no": no, **body})
        assert r.status_code == 201, r.text
        assert r.json()["points"]["status"] == "awarded", (path, r.json()["points"])
        assert r.json()["points"]["outcome"]["total_points"] == expected, path
        total += expected
        if path == "notes":
            note_id = r.json()["id"]
    r = await gw.post(f"/training/v1/notes/{note_id}/review", headers=ASSESSOR,
                      json={"featured": True})
    assert r.status_code == 200, r.text
    assert r.json()["featured"] is True and r.json()["reviewed_by"] == "ASSESSOR-01"
    assert r.json()["points"]["outcome"]["total_points"] == 5, "featured tops the note up to 15"
    assert_problem(await gw.post(f"/training/v1/notes/{note_id}/review", headers=hr,
                                 json={"featured": False}), 409, "already-reviewed")
    assert_problem(await gw.post(f"/training/v1/notes/{note_id}/review",
                                 headers=auth(no, "assessor"), json={"featured": True}),
                   403, "self-review")
    assert (await account(gw, no))["balance"] == total + 5


async def test_replay_reports_points_taken_without_paying_twice(gw):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    await wait_for_points_copy(gw, no)
    course = await create_course(gw, title="家电装配", points=25)
    body = {"client_id": client_id(), "employee_no": no, "course_code": course["code"],
            "completed_at": ago()}
    first = await gw.post("/training/v1/course-completions", headers=LMS, json=body)
    assert first.json()["points"]["status"] == "awarded"
    replay = await gw.post("/training/v1/course-completions", headers=LMS, json=body)
    assert replay.status_code == 200
    assert replay.json()["points"] == {"status": "awarded", "outcome": None,
                                       "outcome_url": None}
    assert (await account(gw, no))["balance"] == 25


@pytest.mark.e2e
async def test_points_api_down_means_pending_then_delivered(gw, hr, stack):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    await wait_for_points_copy(gw, no)
    course = await create_course(gw, title="新设备操作", points=30)
    app = (await gw.post("/training/v1/skill-applications", headers=auth(no, "employee"), json={
        "employee_no": no, "summary": "换模时间缩短", "metric_name": "换模时间(分钟)",
        "metric_before": 25, "metric_after": 12})).json()
    stack.stop_service("points")
    try:
        r = await gw.post("/training/v1/course-completions", headers=LMS, json={
            "employee_no": no, "course_code": course["code"], "completed_at": ago()})
        assert r.status_code == 201, r.text
        fact_id = r.json()["id"]
        assert r.json()["points"] == {"status": "pending", "outcome": None,
                                      "outcome_url": f"/points/v1/facts/{fact_id}/points"}
        r = await gw.post(f"/training/v1/skill-applications/{app['id']}/confirm", headers=hr,
                          json={"points": 80})
        assert_problem(r, 503, "dependency-unavailable")
        assert int(r.headers["retry-after"]) > 0
    finally:
        await asyncio.to_thread(stack.start_service, "points")
    # the outcome URL waits for the points (a long poll), then shows them
    deadline = asyncio.get_running_loop().time() + 60
    while (outcome := (await gw.get(f"/points/v1/facts/{fact_id}/points", headers=hr,
                                    params={"wait": 8})).json())["status"] == "pending":
        assert asyncio.get_running_loop().time() < deadline, "the pending points never arrived"
    assert (outcome["employee_no"], outcome["total_points"], outcome["balance"]) == (no, 30, 30)
    assert [a["points"] for a in outcome["awarded"]] == [30]
    assert (await account(gw, no))["balance"] == 30
    mine = await gw.get(f"/points/v1/facts/{fact_id}/points", headers=auth(no, "employee"))
    assert mine.json()["status"] == "applied"
    other = await gw.get(f"/points/v1/facts/{fact_id}/points", headers=auth("E-OTHER", "employee"))
    assert other.status_code == 404
    unknown = await gw.get("/points/v1/facts/no-such-fact/points", headers=hr)
    assert unknown.json() == {**unknown.json(), "status": "pending", "employee_no": None}
    r = await gw.post(f"/training/v1/skill-applications/{app['id']}/confirm", headers=hr,
                      json={"points": 80})
    assert r.status_code == 200, r.text
    assert r.json()["points"]["status"] == "awarded", r.text
    assert r.json()["points"]["outcome"]["total_points"] == 80, r.text


async def test_recordings_at_the_same_moment_each_get_their_own_points_once(gw):
    """A small version of the earning benchmark: recordings sent together travel to
    points_api together, yet each answer tells its own record's points, and a replay
    sent alongside pays nothing more. A record answered pending tells them at its
    outcome URL."""
    emps = [await new_employee(gw) for _ in range(4)]
    for emp in emps:
        await wait_for_points_copy(gw, emp["employee_no"])
    courses = [await create_course(gw, title=f"课程{i}", points=10 + i) for i in range(3)]
    bodies = [{"employee_no": emp["employee_no"], "course_code": c["code"],
               "completed_at": ago(), "client_id": client_id()}
              for emp in emps for c in courses]
    answers = await asyncio.gather(*[
        gw.post("/training/v1/course-completions", headers=LMS, json=body)
        for body in [*bodies, *bodies[:4]]])
    assert sorted(r.status_code for r in answers) == [200] * 4 + [201] * 12
    records = {r.json()["id"]: r.json() for r in answers}
    assert len(records) == len(bodies)
    for record in records.values():
        points = record["points"]
        if points["status"] == "pending":
            while points["status"] == "pending":
                points = (await gw.get(points["outcome_url"], params={"wait": 10},
                                       headers=auth("HR001", "hr_admin"))).json()
            awarded = points["awarded"]
        else:
            assert points["status"] == "awarded", points
            if points["outcome"] is None:  # a replay answered after its original
                continue
            awarded = points["outcome"]["awarded"]
            assert points["outcome"]["employee_no"] == record["employee_no"]
        course = next(c for c in courses if c["code"] == record["course_code"])
        assert [a["points"] for a in awarded] == [int(course["points"])], (record, points)
    for emp in emps:
        assert (await account(gw, emp["employee_no"]))["balance"] == 10 + 11 + 12
