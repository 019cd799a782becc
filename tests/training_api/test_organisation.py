"""Departments, skills and job roles synced from the HR suite, through the gateway."""

from tests.conftest import auth
from tests.factories import create_department, create_job_role, create_skill, uid

PROBLEM = "application/problem+json"


async def test_department_upsert_is_idempotent(gw, hr):
    code = uid("D")
    r1 = await gw.put(f"/training/v1/departments/{code}", headers=hr, json={"name": "总装车间"})
    r2 = await gw.put(f"/training/v1/departments/{code}", headers=hr, json={"name": "总装车间"})
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r2.json()["name"] == "总装车间"
    got = await gw.get(f"/training/v1/departments/{code}", headers=hr)
    assert got.json()["path"] == [code] and got.json()["depth"] == 0


async def test_departments_listed_in_tree_order(gw, hr):
    root = await create_department(gw, code=uid("T0"))
    b = await create_department(gw, code=root["code"] + "-B", parent=root["code"])
    a = await create_department(gw, code=root["code"] + "-A", parent=root["code"])
    a1 = await create_department(gw, code=a["code"] + "-1", parent=a["code"])
    codes, cursor = [], None
    while True:
        r = await gw.get(
            "/training/v1/departments",
            headers=hr,
            params={"limit": 2, **({"cursor": cursor} if cursor else {})},
        )
        assert r.status_code == 200
        codes += [d["code"] for d in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    mine = [c for c in codes if c.startswith(root["code"])]
    assert mine == [root["code"], a["code"], a1["code"], b["code"]]


async def test_department_cannot_become_its_own_ancestor(gw, hr):
    top = await create_department(gw)
    child = await create_department(gw, parent=top["code"])
    grandchild = await create_department(gw, parent=child["code"])
    for new_parent in (top["code"], grandchild["code"]):
        r = await gw.put(
            f"/training/v1/departments/{top['code']}",
            headers=hr,
            json={"name": "x", "parent_code": new_parent},
        )
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["type"].endswith("/department-cycle")


async def test_moving_a_department_moves_its_subtree(gw, hr):
    a, b = await create_department(gw), await create_department(gw)
    child = await create_department(gw, parent=a["code"])
    leaf = await create_department(gw, parent=child["code"])
    r = await gw.put(
        f"/training/v1/departments/{child['code']}",
        headers=hr,
        json={"name": "移动", "parent_code": b["code"]},
    )
    assert r.status_code == 200
    moved = (await gw.get(f"/training/v1/departments/{leaf['code']}", headers=hr)).json()
    assert moved["path"] == [b["code"], child["code"], leaf["code"]]


async def test_unknown_parent_is_a_conflict(gw, hr):
    r = await gw.put(
        f"/training/v1/departments/{uid('D')}",
        headers=hr,
        json={"name": "x", "parent_code": "NOPE-" + uid()},
    )
    assert r.status_code == 409
    assert r.json()["type"].endswith("/unknown-department")


async def test_job_role_carries_its_competency_model(gw, hr):
    s1, s2 = await create_skill(gw, name="设备操作"), await create_skill(gw, name="质量检验")
    role = await create_job_role(gw, family="quality", skills=[(s1["code"], 2), (s2["code"], 3)])
    got = (await gw.get(f"/training/v1/job-roles/{role['code']}", headers=hr)).json()
    assert got["family"] == "quality"
    assert {(s["skill_code"], s["level"]) for s in got["required_skills"]} == {
        (s1["code"], 2),
        (s2["code"], 3),
    }
    # replacing the model removes a skill
    r = await gw.put(
        f"/training/v1/job-roles/{role['code']}",
        headers=hr,
        json={
            "name": "质检员",
            "family": "quality",
            "required_skills": [{"skill_code": s2["code"], "level": 4}],
        },
    )
    assert r.status_code == 200
    assert [(s["skill_code"], s["level"]) for s in r.json()["required_skills"]] == [(s2["code"], 4)]


async def test_job_role_with_unknown_skill_or_family(gw, hr):
    r = await gw.put(
        f"/training/v1/job-roles/{uid('R')}",
        headers=hr,
        json={
            "name": "x",
            "family": "production",
            "required_skills": [{"skill_code": "NOPE", "level": 1}],
        },
    )
    assert r.status_code == 409 and r.json()["type"].endswith("/unknown-skill")
    r = await gw.put(
        f"/training/v1/job-roles/{uid('R')}", headers=hr, json={"name": "x", "family": "astronaut"}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "#/family"


async def test_employee_cannot_write_org_data(gw):
    r = await gw.put(
        f"/training/v1/skills/{uid('S')}", headers=auth("E1", "employee"), json={"name": "x"}
    )
    assert r.status_code == 403
    assert r.headers["content-type"].startswith(PROBLEM)
