"""Employees' skill records follow from passed exams and practical assessments,
measured against their role's competency model."""

from tests.conftest import auth
from tests.factories import create_job_role, uid
from tests.training_api.records import (
    ASSESSOR,
    ago,
    assert_problem,
    create_course,
    create_exam,
    new_employee,
    new_skill,
)


async def test_passed_exam_and_practical_grant_skills_and_close_gaps(gw, hr):
    emp = await new_employee(gw, name="郑师傅")
    no, org = emp["employee_no"], emp["org"]
    required = org["skill"]["code"]
    extra = await new_skill(gw, "数控编程")
    course = await create_course(gw, title="数控机床操作", skills=[required])
    exam = await create_exam(gw, course=course["code"], pass_score=80)

    r = await gw.get(f"/training/v1/employees/{no}/skills", headers=auth(no, "employee"))
    assert r.status_code == 200, r.text
    before = r.json()
    assert before["skills"] == [] and before["job_role_code"] == org["role"]["code"]
    assert [(g["skill_code"], g["level"], g["held"]) for g in before["gaps"]] == \
        [(required, 2, False)]

    failed = await gw.post("/training/v1/exam-attempts", headers=ASSESSOR, json={
        "employee_no": no, "exam_code": exam["code"], "score": 79, "attempted_at": ago(hours=3)})
    assert failed.json()["passed"] is False
    assert (await gw.get(f"/training/v1/employees/{no}/skills", headers=hr)).json()["skills"] == []

    passed = await gw.post("/training/v1/exam-attempts", headers=ASSESSOR, json={
        "employee_no": no, "exam_code": exam["code"], "score": 95, "attempted_at": ago(hours=2)})
    await gw.post("/training/v1/practical-assessments", headers=ASSESSOR, json={
        "employee_no": no, "skill_code": extra, "passed": False, "assessed_at": ago(hours=1)})
    practical = await gw.post("/training/v1/practical-assessments", headers=ASSESSOR, json={
        "employee_no": no, "skill_code": extra, "passed": True, "assessed_at": ago()})

    after = (await gw.get(f"/training/v1/employees/{no}/skills", headers=hr)).json()
    held = {s["skill_code"]: s for s in after["skills"]}
    assert set(held) == {required, extra}
    assert held[required]["skill_name"] == org["skill"]["name"]
    assert [(p["proven_by"], p["fact_id"]) for p in held[required]["proofs"]] == \
        [("exam_attempt", passed.json()["id"])]
    assert [(p["proven_by"], p["fact_id"]) for p in held[extra]["proofs"]] == \
        [("practical_assessment", practical.json()["id"])]
    assert held[required]["since"] == passed.json()["attempted_at"]
    assert after["gaps"] == [] and after["required"][0]["held"] is True


async def test_skill_records_are_private_to_the_employee_their_manager_and_staff(gw, hr):
    emp = await new_employee(gw)
    no = emp["employee_no"]
    dept = emp["org"]["department"]["code"]
    for who in (auth(no, "employee"), auth("M1", "manager", departments=(dept,)), ASSESSOR,
                auth("AUD", "auditor"), hr):
        assert (await gw.get(f"/training/v1/employees/{no}/skills", headers=who)).status_code == 200
    for who in (auth("SOMEONE", "employee"), auth("M2", "manager", departments=("ELSEWHERE",))):
        assert_problem(await gw.get(f"/training/v1/employees/{no}/skills", headers=who), 404)
    assert_problem(await gw.get("/training/v1/employees/NOBODY/skills", headers=hr), 404)


async def test_a_role_without_a_competency_model_has_no_gaps(gw, hr):
    role = await create_job_role(gw, family="logistics", code=uid("R"))
    emp = await new_employee(gw)
    r = await gw.put(f"/training/v1/employees/{emp['employee_no']}", headers=hr, json={
        "name": emp["name"], "department_code": emp["department_code"],
        "job_role_code": role["code"]})
    assert r.status_code == 200
    body = (await gw.get(f"/training/v1/employees/{emp['employee_no']}/skills", headers=hr)).json()
    assert body["required"] == [] and body["gaps"] == []
