"""A plan that starts after it is due is well-formed but impossible: 409, not a schema
error (the schema cannot compare two fields)."""

from tests.conftest import auth
from tests.factories import create_org, uid
from tests.training_api.records import create_course

HR = auth("HR001", "hr_admin")


async def test_a_plan_cannot_start_after_it_is_due(gw):
    org, course = await create_org(gw), await create_course(gw)
    r = await gw.put(f"/training/v1/training-plans/{uid('P')}", headers=HR, json={
        "name": "新员工培训", "course_codes": [course["code"]],
        "department_code": org["department"]["code"],
        "starts_on": "2027-03-01", "due_on": "2027-02-01"})
    assert r.status_code == 409, r.text
    assert r.json()["type"].endswith("/plan-starts-after-due")
    assert [e["pointer"] for e in r.json()["errors"]] == ["#/starts_on"]
