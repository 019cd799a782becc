"""Who may record and read which training facts."""

from typing import Any

import pytest

from tests.conftest import auth
from tests.factories import create_department, create_employee
from tests.training_api.records import (
    ASSESSOR,
    LIVE,
    LMS,
    ago,
    assert_problem,
    create_course,
    create_exam,
    new_employee,
    new_skill,
)


@pytest.fixture(scope="module")
async def plant(gw) -> dict[str, Any]:
    """Two employees in one workshop, one in a sub-team of it, one elsewhere."""
    emp = await new_employee(gw, name="孙丽")
    org = emp["org"]
    team = await create_department(gw, parent=org["department"]["code"], name="一班")
    teammate = await create_employee(gw, department=team["code"], role=org["role"]["code"])
    outsider = await new_employee(gw, name="周杰")
    course = await create_course(gw, title="安全生产")
    exam = await create_exam(gw, course=course["code"])
    return {"emp": emp, "teammate": teammate, "outsider": outsider, "course": course,
            "exam": exam, "skill": await new_skill(gw)}


def exam_body(plant: dict[str, Any], employee_no: str) -> dict[str, Any]:
    return {"employee_no": employee_no, "exam_code": plant["exam"]["code"], "score": 100,
            "attempted_at": ago()}


async def test_employee_cannot_record_an_exam_attempt(gw, plant):
    no = plant["emp"]["employee_no"]
    r = await gw.post("/training/v1/exam-attempts", headers=auth(no, "employee"),
                      json=exam_body(plant, no))
    assert_problem(r, 403)


async def test_employee_cannot_record_their_own_completion_or_practical(gw, plant):
    no = plant["emp"]["employee_no"]
    me = auth(no, "employee")
    r = await gw.post("/training/v1/course-completions", headers=me, json={
        "employee_no": no, "course_code": plant["course"]["code"], "completed_at": ago()})
    assert_problem(r, 403)
    r = await gw.post("/training/v1/practical-assessments", headers=me, json={
        "employee_no": no, "skill_code": plant["skill"], "passed": True, "assessed_at": ago()})
    assert_problem(r, 403)
    r = await gw.post("/training/v1/live-interactions", headers=me, json={
        "employee_no": no, "kind": "speak", "occurred_at": ago()})
    assert_problem(r, 403)


async def test_assessor_does_not_record_results_about_themself(gw, plant):
    no = plant["emp"]["employee_no"]
    # the same person whatever the case or spacing of the token's subject or the body
    for sub, body_no in ((no, no), (no.lower(), no), (f" {no.lower()} ", no), (no, no.lower())):
        as_assessor = auth(sub, "assessor", "employee")
        r = await gw.post("/training/v1/exam-attempts", headers=as_assessor,
                          json=exam_body(plant, body_no))
        assert_problem(r, 403, "self-recording")
        r = await gw.post("/training/v1/practical-assessments", headers=as_assessor, json={
            "employee_no": body_no, "skill_code": plant["skill"], "passed": True,
            "assessed_at": ago()})
        assert_problem(r, 403, "self-recording")


async def test_who_records_each_kind(gw, hr, plant):
    no = plant["emp"]["employee_no"]
    allowed = [("exam-attempts", ASSESSOR, exam_body(plant, no)),
               ("exam-attempts", hr, exam_body(plant, no)),
               ("exam-attempts", LMS, exam_body(plant, no)),
               ("course-completions", ASSESSOR, {"employee_no": no, "completed_at": ago(),
                                                 "course_code": plant["course"]["code"]}),
               ("live-interactions", LIVE, {"employee_no": no, "kind": "speak",
                                            "occurred_at": ago()}),
               ("practical-assessments", hr, {"employee_no": no, "skill_code": plant["skill"],
                                              "passed": False, "assessed_at": ago()}),
               ("notes", LMS, {"employee_no": no, "title": "同步的笔记", "body": "内容",
                               "shared_at": ago()})]
    for path, who, body in allowed:
        r = await gw.post(f"/training/v1/{path}", headers=who, json=body)
        assert r.status_code == 201, (path, r.text)
    refused = [("live-interactions", ASSESSOR, {"employee_no": no, "kind": "speak",
                                                "occurred_at": ago()}),
               ("practical-assessments", LMS, {"employee_no": no, "skill_code": plant["skill"],
                                               "passed": True, "assessed_at": ago()}),
               ("course-completions", auth("M1", "manager", departments=("X",)),
                {"employee_no": no, "completed_at": ago(),
                 "course_code": plant["course"]["code"]}),
               ("skill-applications", hr, {"employee_no": no, "summary": "x", "metric_name": "y",
                                           "metric_before": 1, "metric_after": 2})]
    for path, who, body in refused:
        assert_problem(await gw.post(f"/training/v1/{path}", headers=who, json=body), 403)


async def test_practical_assessor_is_the_token_subject(gw, plant):
    r = await gw.post("/training/v1/practical-assessments", headers=ASSESSOR, json={
        "employee_no": plant["emp"]["employee_no"], "skill_code": plant["skill"],
        "passed": True, "assessed_at": ago()})
    assert r.status_code == 201 and r.json()["assessor"] == "ASSESSOR-01"


async def test_employee_shares_only_their_own_notes(gw, plant):
    no = plant["emp"]["employee_no"]
    other = plant["outsider"]["employee_no"]
    body = {"title": "学习心得", "body": "质量管控七大工具", "shared_at": ago()}
    own = await gw.post("/training/v1/notes", headers=auth(no, "employee"),
                        json={**body, "employee_no": no})
    assert own.status_code == 201, own.text
    assert own.json()["recorded_by"] == no
    assert_problem(await gw.post("/training/v1/notes", headers=auth(no, "employee"),
                                 json={**body, "employee_no": other}), 403)


async def test_reads_are_limited_to_own_department_or_all(gw, hr, plant):
    no, mate = plant["emp"]["employee_no"], plant["teammate"]["employee_no"]
    out = plant["outsider"]["employee_no"]
    made = {}
    for who in (no, mate, out):
        r = await gw.post("/training/v1/live-interactions", headers=LIVE, json={
            "employee_no": who, "kind": "question", "occurred_at": ago()})
        made[who] = r.json()["id"]

    async def visible(headers):
        ids = set()
        for who in (no, mate, out):
            r = await gw.get("/training/v1/live-interactions", headers=headers,
                             params={"employee_no": who})
            assert r.status_code == 200
            ids |= {i["id"] for i in r.json()["items"]}
        return {who for who, fact in made.items() if fact in ids}

    manager = auth("MGR-1", "manager", departments=(plant["emp"]["org"]["department"]["code"],))
    assert await visible(auth(no, "employee")) == {no}
    assert await visible(manager) == {no, mate}, "a manager sees sub-departments too"
    assert await visible(auth("AUD", "auditor")) == {no, mate, out}
    assert await visible(hr) == {no, mate, out}
    r = await gw.get(f"/training/v1/live-interactions/{made[out]}", headers=auth(no, "employee"))
    assert_problem(r, 404, "fact-not-found")
    r = await gw.get(f"/training/v1/live-interactions/{made[out]}", headers=manager)
    assert_problem(r, 404)
    r = await gw.get(f"/training/v1/live-interactions/{made[mate]}", headers=manager)
    assert r.status_code == 200


async def test_a_record_is_found_only_under_its_own_kind(gw, hr, plant):
    r = await gw.post("/training/v1/live-interactions", headers=LIVE, json={
        "employee_no": plant["emp"]["employee_no"], "kind": "speak", "occurred_at": ago()})
    fact_id = r.json()["id"]
    assert_problem(await gw.get(f"/training/v1/notes/{fact_id}", headers=hr), 404)


async def test_no_token_is_401(gw, plant):
    r = await gw.post("/training/v1/exam-attempts", json=exam_body(plant, "X"))
    assert_problem(r, 401)
    assert_problem(await gw.get("/training/v1/course-completions"), 401)
