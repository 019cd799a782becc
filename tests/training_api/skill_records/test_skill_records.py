"""Employees' skill records follow from passed exams and practical assessments,
measured against their role's competency model."""

from tests.conftest import auth
from tests.factories import HR, create_job_role, create_org, uid
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
    course = await create_course(gw, title="数控机床操作", skills=[(required, 2)])
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


async def _skills(gw, no):
    r = await gw.get(f"/training/v1/employees/{no}/skills", headers=HR)
    assert r.status_code == 200, r.text
    return r.json()


async def _practical(gw, no, skill, *, level=None, passed=True, hours=1.0):
    body = {"employee_no": no, "skill_code": skill, "passed": passed,
            "assessed_at": ago(hours=hours)}
    if level is not None:
        body["level"] = level
    r = await gw.post("/training/v1/practical-assessments", headers=ASSESSOR, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_level_below_the_requirement_is_a_gap_until_a_record_proves_the_level(gw):
    emp = await new_employee(gw)
    no, skill = emp["employee_no"], emp["org"]["skill"]["code"]  # the role requires level 2
    first = await _practical(gw, no, skill, hours=3)  # no level given: level 1
    assert first["level"] == 1
    body = await _skills(gw, no)
    assert [(s["skill_code"], s["level"]) for s in body["skills"]] == [(skill, 1)]
    assert [(g["skill_code"], g["level"], g["current_level"], g["held"]) for g in body["gaps"]] \
        == [(skill, 2, 1, False)]

    await _practical(gw, no, skill, level=3, passed=False, hours=2)  # a failure proves nothing
    assert (await _skills(gw, no))["skills"][0]["level"] == 1
    second = await _practical(gw, no, skill, level=3, hours=1)
    body = await _skills(gw, no)
    held = body["skills"][0]
    assert (held["level"], held["since"], held["level_since"]) == \
        (3, first["assessed_at"], second["assessed_at"])
    assert [p["level"] for p in held["proofs"]] == [1, 3]
    assert body["gaps"] == [] and body["required"][0]["current_level"] == 3

    # voiding the level-3 record brings the current level back to what still stands
    r = await gw.post(f"/training/v1/facts/{second['id']}/void", headers=HR,
                      json={"reason": "考核记录有误"})
    assert r.status_code == 200, r.text
    body = await _skills(gw, no)
    assert body["skills"][0]["level"] == 1 and body["gaps"][0]["current_level"] == 1


async def test_an_exam_proves_the_level_the_course_teaches_or_the_level_hr_maps_a_pass_to(gw):
    emp = await new_employee(gw)
    no, skill = emp["employee_no"], emp["org"]["skill"]["code"]
    other = await new_skill(gw, "质量控制")
    course = await create_course(gw, skills=[(skill, 2), (other, 1)])
    assert [(t["skill_code"], t["level"]) for t in course["teaches"]] == \
        sorted([(skill, 2), (other, 1)])
    plain = await create_exam(gw, course=course["code"])
    mapped = await create_exam(gw, course=course["code"], pass_level=4)
    assert (plain["pass_level"], mapped["pass_level"]) == (None, 4)

    r = await gw.post("/training/v1/exam-attempts", headers=ASSESSOR, json={
        "employee_no": no, "exam_code": plain["code"], "score": 90, "attempted_at": ago(hours=2)})
    assert r.status_code == 201, r.text
    levels = {s["skill_code"]: s["level"] for s in (await _skills(gw, no))["skills"]}
    assert levels == {skill: 2, other: 1}
    r = await gw.post("/training/v1/exam-attempts", headers=ASSESSOR, json={
        "employee_no": no, "exam_code": mapped["code"], "score": 90, "attempted_at": ago()})
    assert r.status_code == 201, r.text
    levels = {s["skill_code"]: s["level"] for s in (await _skills(gw, no))["skills"]}
    assert levels == {skill: 4, other: 4}


async def test_attainment_and_skill_gap_reports_compare_levels(gw):
    org = await create_org(gw)
    dept, skill = org["department"]["code"], org["skill"]["code"]  # role requires level 2
    low = (await new_employee(gw, org=org))["employee_no"]
    high = (await new_employee(gw, org=org))["employee_no"]
    await _practical(gw, low, skill, level=1)
    await _practical(gw, high, skill, level=2)
    r = await gw.get(f"/training/v1/reports/skill-attainment?department={dept}", headers=HR)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["total"]["employees"], report["total"]["count"]) == (2, 1)
    assert [(s["skill_code"], s["holding"], s["lacking"]) for s in report["skills"]] == \
        [(skill, 1, 1)]
    r = await gw.get(f"/training/v1/reports/skill-gaps?department={dept}", headers=HR)
    assert [(e["employee_no"], e["missing_skills"]) for e in r.json()["items"]] == \
        [(low, [skill])]


async def test_bad_levels_are_refused(gw):
    emp = await new_employee(gw)
    no, skill = emp["employee_no"], emp["org"]["skill"]["code"]
    for level in (0, 6, "two", 10**20):
        r = await gw.post("/training/v1/practical-assessments", headers=ASSESSOR, json={
            "employee_no": no, "skill_code": skill, "passed": True, "level": level,
            "assessed_at": ago()})
        assert_problem(r, 422)
    course = await create_course(gw)
    r = await gw.put(f"/training/v1/exams/{uid('X')}", headers=HR, json={
        "course_code": course["code"], "title": "考试", "pass_level": 9})
    assert_problem(r, 422)
    for teaches in ([{"skill_code": skill, "level": 0}],
                    [{"skill_code": skill, "level": 2}, {"skill_code": skill, "level": 3}]):
        r = await gw.put(f"/training/v1/courses/{uid('C')}", headers=HR, json={
            "title": "课程", "format": "online", "difficulty": "basic", "class_hours": "1",
            "teaches": teaches})
        # a level out of range is off the schema; a skill taught twice breaks a rule
        assert_problem(r, 422 if teaches[0]["level"] == 0 else 409)
    r = await gw.put(f"/training/v1/courses/{uid('C')}", headers=HR, json={
        "title": "课程", "format": "online", "difficulty": "basic", "class_hours": "1",
        "teaches": [{"skill_code": skill, "level": 2}], "skill_codes": [skill]})
    assert_problem(r, 422)
