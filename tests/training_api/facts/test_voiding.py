"""Voiding a record entered by mistake: once, by HR, with a reason; the points
are reversed and the skills it alone proved are withdrawn."""

from tests.conftest import auth
from tests.training_api.records import (
    ASSESSOR,
    LMS,
    ago,
    assert_problem,
    create_course,
    create_exam,
    new_employee,
    new_skill,
    wait_for_points_copy,
)


async def skills_of(gw, hr, employee_no: str) -> set[str]:
    r = await gw.get(f"/training/v1/employees/{employee_no}/skills", headers=hr)
    assert r.status_code == 200, r.text
    return {s["skill_code"] for s in r.json()["skills"]}


async def test_void_once_with_reason_and_points_reversed(gw, hr):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    await wait_for_points_copy(gw, no)
    course = await create_course(gw, title="设备操作基础", points=20)
    r = await gw.post("/training/v1/course-completions", headers=LMS, json={
        "employee_no": no, "course_code": course["code"], "completed_at": ago()})
    assert r.status_code == 201, r.text
    completion = r.json()
    url = f"/training/v1/facts/{completion['id']}/void"
    for who in (auth(no, "employee"), ASSESSOR, LMS, auth("M", "manager", departments=("X",))):
        assert_problem(await gw.post(url, headers=who, json={"reason": "录入错误"}), 403)
    assert_problem(await gw.post(url, headers=hr, json={}), 422)

    r = await gw.post(url, headers=hr, json={"reason": "录入错误：员工当天请假"})
    assert r.status_code == 200, r.text
    voided = r.json()
    assert voided["fact_type"] == "course_completion" and voided["employee_no"] == no
    assert voided["voided_by"] == "HR001" and voided["void_reason"] == "录入错误：员工当天请假"
    assert voided["points"]["status"] in {"awarded", "pending"}
    if completion["points"]["status"] == voided["points"]["status"] == "awarded":
        assert completion["points"]["outcome"]["total_points"] == 20
        assert voided["points"]["outcome"]["total_points"] == -20
        assert voided["points"]["outcome"]["balance"] == \
            completion["points"]["outcome"]["balance"] - 20

    got = (await gw.get(f"/training/v1/course-completions/{completion['id']}", headers=hr)).json()
    assert got["voided_at"] == voided["voided_at"] and got["void_reason"] == voided["void_reason"]
    assert_problem(await gw.post(url, headers=hr, json={"reason": "再次撤销"}), 409,
                   "fact-already-voided")
    standing = await gw.get("/training/v1/course-completions", headers=hr,
                            params={"employee_no": no, "voided": "false"})
    assert standing.json()["items"] == []
    gone = await gw.get("/training/v1/course-completions", headers=hr,
                        params={"employee_no": no, "voided": "true"})
    assert [i["id"] for i in gone.json()["items"]] == [completion["id"]]


async def test_voided_note_and_application_take_no_decision(gw, hr):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    note = (await gw.post("/training/v1/notes", headers=auth(no, "employee"), json={
        "employee_no": no, "title": "笔记", "body": "内容", "shared_at": ago()})).json()
    app = (await gw.post("/training/v1/skill-applications", headers=auth(no, "employee"), json={
        "employee_no": no, "summary": "x", "metric_name": "效率", "metric_before": 1,
        "metric_after": 2})).json()
    for fact in (note, app):
        r = await gw.post(f"/training/v1/facts/{fact['id']}/void", headers=hr,
                          json={"reason": "重复提交"})
        assert r.status_code == 200, r.text
    r = await gw.post(f"/training/v1/notes/{note['id']}/review", headers=ASSESSOR,
                      json={"featured": True})
    assert_problem(r, 409, "fact-voided")
    r = await gw.post(f"/training/v1/skill-applications/{app['id']}/confirm", headers=hr,
                      json={"points": 80})
    assert_problem(r, 409, "fact-voided")


async def test_skills_proven_only_by_the_voided_record_are_withdrawn(gw, hr):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    both, only_exam = await new_skill(gw, "设备点检"), await new_skill(gw, "故障排查")
    course = await create_course(gw, title="设备维护", skills=[both, only_exam])
    exam = await create_exam(gw, course=course["code"], pass_score=60)
    attempt = (await gw.post("/training/v1/exam-attempts", headers=ASSESSOR, json={
        "employee_no": no, "exam_code": exam["code"], "score": 90,
        "attempted_at": ago(hours=2)})).json()
    practical = await gw.post("/training/v1/practical-assessments", headers=ASSESSOR, json={
        "employee_no": no, "skill_code": both, "passed": True, "assessed_at": ago(hours=1)})
    assert practical.status_code == 201
    assert await skills_of(gw, hr, no) == {both, only_exam}

    r = await gw.post(f"/training/v1/facts/{attempt['id']}/void", headers=hr,
                      json={"reason": "考试作弊，成绩作废"})
    assert r.json()["skills_removed"] == [only_exam]
    assert await skills_of(gw, hr, no) == {both}
    r = await gw.post(f"/training/v1/facts/{practical.json()['id']}/void", headers=hr,
                      json={"reason": "考官记录错人"})
    assert r.json()["skills_removed"] == [both]
    assert await skills_of(gw, hr, no) == set()
