"""Personal recommendations through the gateway: reasons, what never appears,
dismissals, permissions, bad input, and HR's weights."""

from __future__ import annotations

from tests.conftest import auth
from tests.factories import HR, create_job_role, create_org, uid
from tests.training_api.records import (
    LMS,
    ago,
    assert_problem,
    create_course,
    new_employee,
)


async def _recs(gw, no, who=None, **params):
    r = await gw.get(f"/training/v1/employees/{no}/recommendations",
                     headers=who or auth(no, "employee"), params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def _complete(gw, no, course):
    r = await gw.post("/training/v1/course-completions", headers=LMS, json={
        "employee_no": no, "course_code": course, "completed_at": ago(hours=2)})
    assert r.status_code == 201, r.text


async def test_reasons_progressions_plans_and_what_never_appears(gw):
    org = await create_org(gw)  # the role requires the skill at level 2
    skill, dept = org["skill"]["code"], org["department"]["code"]
    emp = await new_employee(gw, org=org)
    no = emp["employee_no"]
    basic = await create_course(gw, title="设备操作入门", skills=[(skill, 1)])
    advanced = await create_course(gw, title="设备操作进阶", skills=[(skill, 2)],
                                   prerequisites=[basic["code"]], difficulty="advanced")
    other_role = await create_job_role(gw, code=uid("R"))
    closed = await create_course(gw, title="班组长管理", open_to_job_roles=[other_role["code"]])
    planned = await create_course(gw, title="安全生产规范")
    r = await gw.put(f"/training/v1/training-plans/{uid('P')}", headers=HR, json={
        "name": "2026Q4安全计划", "course_codes": [planned["code"]], "department_code": dept,
        "due_on": "2099-03-31"})
    assert r.status_code == 201, r.text

    codes = [i["course_code"] for i in (await _recs(gw, no, limit=50))["items"]]
    assert advanced["code"] not in codes  # its prerequisite is not completed yet
    assert closed["code"] not in codes and basic["code"] in codes

    await _complete(gw, no, basic["code"])
    body = await _recs(gw, no, limit=50)
    items = {i["course_code"]: i for i in body["items"]}
    assert basic["code"] not in items
    texts = [r["text"] for r in items[advanced["code"]]["reasons"]]
    assert "岗位要求 设备操作 2 级，当前 0 级" in texts
    assert any(t.startswith("你的积分主要来自 设备操作") for t in texts)
    plan_reasons = [r["text"] for r in items[planned["code"]]["reasons"]]
    assert plan_reasons[0] == "培训计划 2026Q4安全计划 要求，截止 3月31日"
    assert body["items"][0]["rank"] == 1
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True)

    # archived: gone at once; dismissed: gone until undone
    r = await gw.post(f"/training/v1/courses/{advanced['code']}/archive", headers=HR)
    assert r.status_code == 200
    assert advanced["code"] not in [i["course_code"] for i in (await _recs(gw, no,
                                                                            limit=50))["items"]]
    path = f"/training/v1/employees/{no}/recommendations/{planned['code']}"
    r = await gw.post(f"{path}/dismiss", headers=auth(no, "employee"))
    assert r.status_code == 200 and r.json()["dismissed"] is True
    assert planned["code"] not in [i["course_code"] for i in (await _recs(gw, no,
                                                                           limit=50))["items"]]
    r = await gw.post(f"{path}/undismiss", headers=auth(no, "employee"))
    assert r.status_code == 200 and r.json()["dismissed"] is False
    assert planned["code"] in [i["course_code"] for i in (await _recs(gw, no,
                                                                       limit=50))["items"]]


async def test_no_history_and_a_role_without_a_model_still_get_courses(gw):
    org = await create_org(gw)
    bare_role = await create_job_role(gw, code=uid("R"), family="logistics")
    emp = await new_employee(gw, org=org)
    r = await gw.put(f"/training/v1/employees/{emp['employee_no']}", headers=HR, json={
        "name": emp["name"], "department_code": emp["department_code"],
        "job_role_code": bare_role["code"]})
    assert r.status_code == 200, r.text
    await create_course(gw, title="仓储管理实务")
    body = await _recs(gw, emp["employee_no"])
    assert body["items"], body
    assert all(any(r["kind"] == "no_history" for r in i["reasons"]) for i in body["items"])


async def test_diversity_keeps_one_skill_from_filling_the_list(gw):
    org = await create_org(gw)
    skill, dept = org["skill"]["code"], org["department"]["code"]
    no = (await new_employee(gw, org=org))["employee_no"]
    same = {(await create_course(gw, title=f"设备操作{i}", skills=[(skill, 2)]))["code"]
            for i in range(4)}
    other = await create_course(gw, title="质量意识")
    r = await gw.put(f"/training/v1/training-plans/{uid('P')}", headers=HR, json={
        "name": "质量计划", "course_codes": [other["code"]], "department_code": dept,
        "due_on": "2099-12-31"})
    assert r.status_code == 201, r.text
    weights = {"gap": 1, "progression": 0, "colleagues": 0, "plan": 0.5, "popularity": 0}
    try:
        for diversity, second_is_same in ((0, True), (0.9, False)):
            r = await gw.put("/training/v1/recommendation-settings", headers=HR,
                             json={"weights": weights, "diversity": diversity})
            assert r.status_code == 200, r.text
            top = [i["course_code"] for i in (await _recs(gw, no, limit=2))["items"]]
            assert top[0] in same and (top[1] in same) is second_is_same, (diversity, top)
    finally:
        r = await gw.put("/training/v1/recommendation-settings", headers=HR, json={})
        assert r.status_code == 200


async def test_who_may_see_them(gw):
    emp = await new_employee(gw)
    no, dept = emp["employee_no"], emp["org"]["department"]["code"]
    plant = emp["org"]["plant"]["code"]
    for who in (auth(no, "employee"), auth("M1", "manager", departments=(dept,)),
                auth("M0", "manager", departments=(plant,)), HR):
        r = await gw.get(f"/training/v1/employees/{no}/recommendations", headers=who)
        assert r.status_code == 200, r.text
    for who in (auth("E-OTHER", "employee"), auth("M2", "manager", departments=("ELSEWHERE",)),
                auth("ASSESSOR-01", "assessor"), auth("lms", "integration")):
        assert_problem(await gw.get(f"/training/v1/employees/{no}/recommendations",
                                    headers=who), 404)
    assert_problem(await gw.get("/training/v1/employees/NOBODY/recommendations",
                                headers=HR), 404)
    assert_problem(await gw.get(f"/training/v1/employees/{no}/recommendations"), 401)
    course = await create_course(gw)
    path = f"/training/v1/employees/{no}/recommendations/{course['code']}/dismiss"
    assert_problem(await gw.post(path, headers=HR), 404)  # only the employee dismisses
    assert_problem(await gw.post(
        f"/training/v1/employees/{no}/recommendations/NO-SUCH/dismiss",
        headers=auth(no, "employee")), 404)


async def test_bad_input_is_a_problem(gw):
    no = (await new_employee(gw))["employee_no"]
    for limit in ("0", "51", "x", "1" * 30):
        assert_problem(await gw.get(f"/training/v1/employees/{no}/recommendations",
                                    headers=HR, params={"limit": limit}), 422)
    assert_problem(await gw.get("/training/v1/employees/%00/recommendations", headers=HR), 400)
    for body in ({"weights": {"gap": -1}}, {"diversity": 1.5}, {"taken_within_days": 0},
                 {"weights": {"gap": "lots"}}, {"surprise": 1}):
        assert_problem(await gw.put("/training/v1/recommendation-settings", headers=HR,
                                    json=body), 422)
    emp = auth(no, "employee")
    assert_problem(await gw.get("/training/v1/recommendation-settings", headers=emp), 403)
    assert_problem(await gw.put("/training/v1/recommendation-settings", headers=emp,
                                json={}), 403)


async def test_hr_reads_changes_and_refreshes_the_model(gw):
    r = await gw.get("/training/v1/recommendation-settings", headers=HR)
    assert r.status_code == 200
    assert r.json()["weights"]["gap"] == 0.2 and r.json()["taken_within_days"] == 30
    r = await gw.post("/training/v1/recommendation-model/refresh", headers=HR)
    assert r.status_code == 202 and r.headers["location"] == "/training/v1/recommendation-model"
    r = await gw.get("/training/v1/recommendation-model", headers=HR)
    assert r.status_code == 200 and r.json()["refresh_seconds"] > 0
    assert_problem(await gw.post("/training/v1/recommendation-model/refresh",
                                 headers=auth("X", "employee")), 403)


async def test_catalogue_changes_count_from_the_next_request(gw):
    """Replicas keep the catalogue in memory while its version stays the same: a new
    prerequisite, a renamed skill and a new course all show in the next answer."""
    org = await create_org(gw)
    skill = org["skill"]["code"]
    no = (await new_employee(gw, org=org))["employee_no"]
    course = await create_course(gw, title="设备点检", skills=[(skill, 2)])
    first = {i["course_code"]: i for i in (await _recs(gw, no, limit=50))["items"]}
    assert course["code"] in first
    r = await gw.put(f"/training/v1/skills/{skill}", headers=HR, json={"name": "设备点检技能"})
    assert r.status_code in (200, 201), r.text
    texts = [x["text"] for x in {i["course_code"]: i for i in (
        await _recs(gw, no, limit=50))["items"]}[course["code"]]["reasons"]]
    assert "岗位要求 设备点检技能 2 级，当前 0 级" in texts, texts
    # The prerequisite teaches the same skill, so it ranks among the first 50 however
    # many courses other tests have added to the catalogue.
    before = await create_course(gw, title="点检入门", skills=[(skill, 1)])
    r = await gw.get(f"/training/v1/courses/{course['code']}", headers=HR)
    body = {k: r.json()[k] for k in ("title", "format", "difficulty", "class_hours")}
    r = await gw.put(f"/training/v1/courses/{course['code']}", headers=HR, json={
        **body, "teaches": [{"skill_code": skill, "level": 2}],
        "prerequisites": [before["code"]]})
    assert r.status_code == 200, r.text
    codes = [i["course_code"] for i in (await _recs(gw, no, limit=50))["items"]]
    assert before["code"] in codes and course["code"] not in codes
