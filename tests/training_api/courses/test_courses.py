"""Courses and exams: upsert, reads, filters, archiving."""

from tests.conftest import auth
from tests.factories import create_job_role, uid
from tests.training_api.records import (
    LMS,
    ago,
    assert_problem,
    create_course,
    create_exam,
    new_employee,
    new_skill,
)


async def test_upsert_creates_then_updates_with_chinese_text(gw, hr):
    skill = await new_skill(gw, "设备操作")
    role = await create_job_role(gw, family="production", name="设备操作工")
    code = uid("C")
    body = {"title": "新设备操作", "format": "offline", "difficulty": "intermediate",
            "class_hours": "2.5", "skill_codes": [skill], "tags": ["新设备", "安全"],
            "points": 20, "role_points": {role["code"]: 30}, "family_points": {"technical": 40},
            "description": "数控机床的开机、换模与点检"}
    r1 = await gw.put(f"/training/v1/courses/{code}", headers=hr, json=body)
    assert r1.status_code == 201, r1.text
    course = r1.json()
    assert course["title"] == "新设备操作" and course["tags"] == ["新设备", "安全"]
    assert course["skills"] == [{"code": skill, "name": "设备操作", "level": 1}]
    assert course["teaches"] == [{"skill_code": skill, "skill_name": "设备操作", "level": 1}]
    assert course["class_hours"] == "2.50" and course["points"] == 20
    assert course["role_points"] == {role["code"]: 30}
    assert course["family_points"] == {"technical": 40}
    assert course["archived"] is False
    r2 = await gw.put(f"/training/v1/courses/{code}", headers=hr,
                      json={**body, "title": "新设备操作（第二版）", "skill_codes": []})
    assert r2.status_code == 200
    assert r2.json()["title"] == "新设备操作（第二版）" and r2.json()["skills"] == []
    got = await gw.get(f"/training/v1/courses/{code}", headers=auth("E1", "employee"))
    assert got.status_code == 200 and got.json()["title"] == "新设备操作（第二版）"


async def test_integration_may_sync_courses_but_an_employee_may_not(gw):
    body = {"title": "质量管控进阶", "format": "online", "difficulty": "advanced",
            "class_hours": "3"}
    r = await gw.put(f"/training/v1/courses/{uid('C')}", headers=LMS, json=body)
    assert r.status_code == 201, r.text
    r = await gw.put(f"/training/v1/courses/{uid('C')}", headers=auth("E1", "employee"), json=body)
    assert_problem(r, 403)


async def test_unknown_skill_or_role_is_a_conflict(gw, hr):
    base = {"title": "家电装配", "format": "practical", "difficulty": "basic", "class_hours": "1"}
    r = await gw.put(f"/training/v1/courses/{uid('C')}", headers=hr,
                     json={**base, "skill_codes": ["NO-SUCH-SKILL"]})
    assert_problem(r, 409, "unknown-skill")
    r = await gw.put(f"/training/v1/courses/{uid('C')}", headers=hr,
                     json={**base, "role_points": {"NO-SUCH-ROLE": 10}})
    assert_problem(r, 409, "unknown-job-role")


async def test_invalid_courses_are_refused(gw, hr):
    base = {"title": "CAD进阶", "format": "online", "difficulty": "advanced", "class_hours": "2"}
    for bad in ({"class_hours": "0"}, {"class_hours": "1000.01"}, {"class_hours": "1.234"},
                {"format": "video"}, {"difficulty": "expert"}, {"points": -1},
                {"family_points": {"astronauts": 5}}, {"title": ""}, {"title": "坏\u0000标题"},
                {"colour": "red"}, {"points": 10**30}):
        r = await gw.put(f"/training/v1/courses/{uid('C')}", headers=hr, json={**base, **bad})
        assert_problem(r, 422)


async def test_list_filters_by_tag_format_difficulty_and_archived(gw, hr):
    tag = uid("标签")
    a = await create_course(gw, tags=[tag], format="online", difficulty="basic")
    b = await create_course(gw, tags=[tag, "安全"], format="offline", difficulty="advanced")
    c = await create_course(gw, tags=[tag], format="offline", difficulty="advanced")
    r = await gw.post(f"/training/v1/courses/{c['code']}/archive", headers=hr)
    assert r.status_code == 200 and r.json()["archived"] is True

    async def codes(**params):
        r = await gw.get("/training/v1/courses", headers=hr, params={"tag": tag, **params})
        assert r.status_code == 200, r.text
        return [item["code"] for item in r.json()["items"]]

    assert await codes() == sorted([a["code"], b["code"], c["code"]])
    assert await codes(format="offline") == sorted([b["code"], c["code"]])
    assert await codes(difficulty="basic") == [a["code"]]
    assert await codes(archived="true") == [c["code"]]
    assert await codes(archived="false") == sorted([a["code"], b["code"]])
    page = (await gw.get("/training/v1/courses", headers=hr,
                         params={"tag": tag, "limit": 2})).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = (await gw.get("/training/v1/courses", headers=hr,
                         params={"tag": tag, "cursor": page["next_cursor"]})).json()
    assert [i["code"] for i in page["items"] + rest["items"]] == await codes()


async def test_archived_course_takes_no_new_completions(gw, hr):
    emp = await new_employee(gw)
    course = await create_course(gw, title="旧设备操作")
    r = await gw.post(f"/training/v1/courses/{course['code']}/archive", headers=hr)
    assert r.status_code == 200 and r.json()["archived_at"]
    again = await gw.post(f"/training/v1/courses/{course['code']}/archive", headers=hr)
    assert again.status_code == 200 and again.json()["archived_at"] == r.json()["archived_at"]
    r = await gw.post("/training/v1/course-completions", headers=LMS, json={
        "employee_no": emp["employee_no"], "course_code": course["code"], "completed_at": ago()})
    assert_problem(r, 409, "course-archived")
    assert (await gw.get(f"/training/v1/courses/{course['code']}", headers=hr)).status_code == 200
    r = await gw.put(f"/training/v1/courses/{course['code']}", headers=hr, json={
        "title": "旧设备操作", "format": "online", "difficulty": "basic", "class_hours": "2"})
    assert r.json()["archived"] is True, "an upsert does not restore an archived course"


async def test_missing_course_is_404(gw, hr):
    assert_problem(await gw.get("/training/v1/courses/NOPE-404", headers=hr), 404,
                   "course-not-found")
    assert_problem(await gw.post("/training/v1/courses/NOPE-404/archive", headers=hr), 404,
                   "course-not-found")


async def test_exams_belong_to_courses(gw, hr):
    course = await create_course(gw, title="设备操作基础")
    code = uid("X")
    r = await gw.put(f"/training/v1/exams/{code}", headers=hr, json={
        "course_code": course["code"], "title": "设备操作基础 结业考试", "pass_score": 80})
    assert r.status_code == 201, r.text
    assert r.json()["course_title"] == "设备操作基础" and r.json()["pass_score"] == 80
    r = await gw.put(f"/training/v1/exams/{code}", headers=hr, json={
        "course_code": course["code"], "title": "设备操作基础 结业考试", "pass_score": 70})
    assert r.status_code == 200 and r.json()["pass_score"] == 70
    got = await gw.get(f"/training/v1/exams/{code}", headers=hr)
    assert got.json()["title"] == "设备操作基础 结业考试"
    listed = await gw.get("/training/v1/exams", headers=hr, params={"course_code": course["code"]})
    assert [e["code"] for e in listed.json()["items"]] == [code]
    await create_exam(gw, course=course["code"])
    r = await gw.put(f"/training/v1/exams/{uid('X')}", headers=hr, json={
        "course_code": "NO-SUCH-COURSE", "title": "x", "pass_score": 60})
    assert_problem(r, 409, "unknown-course")
    r = await gw.put(f"/training/v1/exams/{uid('X')}", headers=hr, json={
        "course_code": course["code"], "title": "x", "pass_score": 101})
    assert_problem(r, 422)
    assert_problem(await gw.get("/training/v1/exams/NOPE-404", headers=hr), 404, "exam-not-found")


async def test_progressions_are_data_prerequisites_and_who_may_take_a_course(gw, hr):
    skill = await new_skill(gw, "设备故障排查")
    role = await create_job_role(gw, code=uid("R"))
    basic = await create_course(gw, title="设备故障排查入门", skills=[(skill, 1)])
    advanced = await create_course(
        gw, title="设备故障排查进阶", skills=[(skill, 2)], prerequisites=[basic["code"]],
        prerequisite_skills=[{"skill_code": skill, "level": 1}],
        open_to_job_roles=[role["code"]], open_to_families=["technical"])
    assert advanced["prerequisites"] == [basic["code"]]
    assert [(p["skill_code"], p["level"]) for p in advanced["prerequisite_skills"]] == \
        [(skill, 1)]
    assert (advanced["open_to_job_roles"], advanced["open_to_families"]) == \
        ([role["code"]], ["technical"])
    assert basic["prerequisites"] == [] and basic["open_to_job_roles"] == []

    # the basic course cannot require its own successor, nor itself
    for before in ([advanced["code"]], [basic["code"]]):
        r = await gw.put(f"/training/v1/courses/{basic['code']}", headers=hr, json={
            "title": "设备故障排查入门", "format": "online", "difficulty": "basic",
            "class_hours": "1", "prerequisites": before})
        assert_problem(r, 409, "prerequisite-cycle")
    r = await gw.put(f"/training/v1/courses/{uid('C')}", headers=hr, json={
        "title": "课程", "format": "online", "difficulty": "basic", "class_hours": "1",
        "prerequisites": ["NO-SUCH-COURSE"]})
    assert_problem(r, 409, "unknown-course")
    r = await gw.put(f"/training/v1/courses/{uid('C')}", headers=hr, json={
        "title": "课程", "format": "online", "difficulty": "basic", "class_hours": "1",
        "open_to_job_roles": ["NO-SUCH-ROLE"]})
    assert_problem(r, 409, "unknown-job-role")
    r = await gw.put(f"/training/v1/courses/{uid('C')}", headers=hr, json={
        "title": "课程", "format": "online", "difficulty": "basic", "class_hours": "1",
        "open_to_families": ["astronauts"]})
    assert_problem(r, 422)


async def test_a_job_role_names_the_course_formats_its_people_can_attend(gw, hr):
    code = uid("R")
    r = await gw.put(f"/training/v1/job-roles/{code}", headers=hr, json={
        "name": "倒班操作工", "family": "production", "course_formats": ["practical", "offline"]})
    assert r.status_code == 201, r.text
    assert r.json()["course_formats"] == ["offline", "practical"]
    r = await gw.put(f"/training/v1/job-roles/{code}", headers=hr, json={
        "name": "倒班操作工", "family": "production", "course_formats": ["hologram"]})
    assert_problem(r, 422)
