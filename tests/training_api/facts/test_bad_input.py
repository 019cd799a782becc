"""Bad input is a 4xx problem document, never a 500."""

from typing import Any

import pytest

from tests.training_api.records import (
    ASSESSOR,
    LIVE,
    LMS,
    ago,
    assert_problem,
    create_course,
    create_exam,
    new_employee,
)


@pytest.fixture(scope="module")
async def exam_world(gw) -> dict[str, Any]:
    emp = await new_employee(gw)
    course = await create_course(gw, title="CAD进阶", difficulty="advanced")
    exam = await create_exam(gw, course=course["code"])
    return {"no": emp["employee_no"], "course": course["code"], "exam": exam["code"]}


def attempt(world: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"employee_no": world["no"], "exam_code": world["exam"], "score": 90,
            "attempted_at": ago(), **fields}


@pytest.mark.parametrize(("fields", "pointer"), [
    ({"score": 101}, "#/score"),
    ({"score": -1}, "#/score"),
    ({"score": 10**40}, "#/score"),
    ({"score": 90.5}, "#/score"),
    ({"score": "ninety"}, "#/score"),
    ({"grade": "A"}, "#/grade"),
    ({"exam_code": "坏\u0000码"}, "#/exam_code"),
    ({"attempted_at": "2025-02-30T10:00:00+08:00"}, "#/attempted_at"),
    ({"attempted_at": "2025-03-01T10:00:00"}, "#/attempted_at"),
    ({"attempted_at": "1999-12-31T23:00:00Z"}, "#/attempted_at"),
    ({"attempted_at": "2999-01-01T00:00:00Z"}, "#/attempted_at"),
    ({"attempted_at": "10000-01-01T00:00:00Z"}, "#/attempted_at"),
    ({"client_id": "not-a-uuid"}, "#/client_id"),
    ({"employee_no": "E 1/../2"}, "#/employee_no"),
])
async def test_bad_exam_attempts_are_422(gw, exam_world, fields, pointer):
    r = await gw.post("/training/v1/exam-attempts", headers=ASSESSOR,
                      json=attempt(exam_world, **fields))
    body = assert_problem(r, 422)
    assert pointer in [e["pointer"] for e in body["errors"]], body


async def test_nul_in_free_text_is_422(gw, exam_world):
    r = await gw.post("/training/v1/notes", headers=LMS, json={
        "employee_no": exam_world["no"], "title": "标题", "body": "正文\u0000", "shared_at": ago()})
    assert_problem(r, 422)


async def test_huge_decimals_and_nan_are_422(gw, exam_world):
    base = {"employee_no": exam_world["no"], "course_code": exam_world["course"],
            "completed_at": ago()}
    for hours in ("1e400", "NaN", "12345678901234567890", "-1"):
        r = await gw.post("/training/v1/course-completions", headers=LMS,
                          json={**base, "hours_attended": hours})
        assert_problem(r, 422)


async def test_malformed_bodies_are_4xx(gw):
    r = await gw.post("/training/v1/live-interactions", headers={
        **LIVE, "content-type": "application/json"}, content=b'{"employee_no": ')
    assert_problem(r, 422)
    r = await gw.post("/training/v1/live-interactions", headers=LIVE, json=[1, 2, 3])
    assert_problem(r, 422)
    r = await gw.post("/training/v1/live-interactions", headers=LIVE, json={
        "employee_no": "E1", "kind": "shout", "occurred_at": ago()})
    assert_problem(r, 422)


async def test_bad_ids_cursors_and_filters_are_4xx(gw, hr):
    assert_problem(await gw.get("/training/v1/exam-attempts/not-a-uuid", headers=hr), 422)
    assert_problem(await gw.get("/training/v1/exam-attempts", headers=hr,
                                params={"cursor": "%%%garbage"}), 422)
    assert_problem(await gw.get("/training/v1/exam-attempts", headers=hr,
                                params={"cursor": "WyJ4IiwieSJd"}), 404, "invalid-cursor")
    assert_problem(await gw.get("/training/v1/exam-attempts", headers=hr,
                                params={"from": "yesterday"}), 422)
    assert_problem(await gw.get("/training/v1/exam-attempts", headers=hr,
                                params={"limit": 100000}), 422)
    assert_problem(await gw.post(
        "/training/v1/facts/00000000-0000-0000-0000-000000000000/void", headers=hr,
        json={"reason": "x"}), 404, "fact-not-found")
    assert_problem(await gw.post("/training/v1/facts/xyz/void", headers=hr,
                                 json={"reason": "x"}), 422)
