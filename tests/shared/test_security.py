"""JWT matrix and bad input, through the gateway: every refusal is a 4xx problem+json."""

import base64
import json
import socket
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.settings import DEV_JWT_SECRET
from tests.conftest import auth
from tests.factories import create_employee, create_org, uid

URL = "/training/v1/departments"


def sign(claims: dict, key: str = DEV_JWT_SECRET, alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg)


def good_claims(**over) -> dict:
    now = int(time.time())
    return {
        "sub": "HR9",
        "roles": ["hr_admin"],
        "iss": "jifen",
        "aud": "jifen",
        "iat": now,
        "exp": now + 600,
        **over,
    }


def unsigned(claims: dict) -> str:
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{enc({'alg': 'none', 'typ': 'JWT'})}.{enc(claims)}."


def tampered() -> str:
    header, payload, signature = sign(good_claims(roles=["employee"])).split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged["roles"] = ["hr_admin"]
    new_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    return f"{header}.{new_payload}.{signature}"


BAD_TOKENS = {
    "alg none": unsigned(good_claims()),
    "wrong key": sign(good_claims(), key="not-the-key-" * 3),
    "expired": sign(good_claims(exp=int(time.time()) - 10)),
    "wrong audience": sign(good_claims(aud="someone-else")),
    "wrong issuer": sign(good_claims(iss="evil")),
    "no exp": sign({k: v for k, v in good_claims().items() if k != "exp"}),
    "tampered payload": tampered(),
    "exp as a string": sign(good_claims(exp=str(int(time.time()) + 600))),
    "exp 1e308": sign(good_claims(exp=1e308)),
    "exp a float": sign(good_claims(exp=time.time() + 600)),
    "exp in forty days": sign(good_claims(exp=int(time.time()) + 40 * 86400)),
    "iat a string": sign(good_claims(iat="yesterday")),
    "garbage": "not.a.jwt",
}


async def test_missing_token_is_401(gw):
    r = await gw.get(URL)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
async def test_bad_tokens_are_401(gw, case):
    r = await gw.get(URL, headers={"Authorization": f"Bearer {BAD_TOKENS[case]}"})
    assert r.status_code == 401, (case, r.text)
    body = r.json()
    assert body["status"] == 401 and body["type"].endswith("/unauthorized")


async def test_good_token_passes(gw):
    r = await gw.get(URL, headers={"Authorization": f"Bearer {sign(good_claims())}"})
    assert r.status_code == 200


@pytest.fixture(scope="module")
async def org(gw):
    return await create_org(gw)


async def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["type"] and body["title"]
    return body


async def test_unknown_fields_rejected_with_pointer(gw, hr):
    body = await problem(
        await gw.put(
            f"/training/v1/skills/{uid('S')}", headers=hr, json={"name": "x", "colour": "red"}
        ),
        422,
    )
    assert body["errors"][0]["pointer"] == "#/colour"


async def test_nul_bytes_are_4xx(gw, hr, org):
    await problem(
        await gw.put(f"/training/v1/skills/{uid('S')}", headers=hr, json={"name": "bad\u0000name"}),
        422,
    )
    r = await gw.get("/training/v1/employees/A%00B", headers=hr)
    assert 400 <= r.status_code < 500
    r = await gw.get("/training/v1/employees", headers=hr, params={"department": "X\x00"})
    assert 400 <= r.status_code < 500


async def test_out_of_range_and_wrong_types(gw, hr, org):
    body = {
        "name": "x",
        "family": "production",
        "required_skills": [{"skill_code": org["skill"]["code"], "level": 10**30}],
    }
    await problem(await gw.put(f"/training/v1/job-roles/{uid('R')}", headers=hr, json=body), 422)
    await problem(await gw.get("/training/v1/employees", headers=hr, params={"limit": 10**20}), 422)
    await problem(await gw.get("/training/v1/employees", headers=hr, params={"limit": "lots"}), 422)
    await problem(
        await gw.put(
            f"/training/v1/employees/{uid('E')}",
            headers=hr,
            json={
                "name": "x",
                "department_code": org["department"]["code"],
                "job_role_code": org["role"]["code"],
                "hired_on": "2024-02-30",
            },
        ),
        422,
    )
    await problem(
        await gw.put(
            f"/training/v1/employees/{uid('E')}",
            headers=hr,
            json={
                "name": "x",
                "department_code": org["department"]["code"],
                "job_role_code": org["role"]["code"],
                "hired_on": "9999-01-01",
            },
        ),
        422,
    )
    await problem(
        await gw.put(
            f"/training/v1/skills/{uid('S')}",
            headers=hr,
            content=b"{not json",
        ),
        422,
    )


@pytest.mark.parametrize(("cursor", "status"), [
    ("!!!", 422), ("a" * 3000, 422),  # not the documented cursor alphabet or length
    ("bm90LWpzb24", 404), ("WzEsMiwzXQ", 404),  # well-formed, but names no page of this list
])
async def test_malformed_cursor_is_4xx(gw, hr, cursor, status):
    r = await gw.get("/training/v1/employees", headers=hr, params={"cursor": cursor})
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_oversized_body_is_413_problem(gw, hr):
    big = b"x" * (21 * 1024 * 1024)
    r = await gw.post(
        "/training/v1/employee-imports", headers=hr, files={"file": ("big.csv", big, "text/csv")}
    )
    await problem(r, 413)


async def test_wrong_role_is_403_problem(gw):
    await problem(await gw.get("/training/v1/admin/outbox", headers=auth("E7", "employee")), 403)


@pytest.mark.parametrize("header", [b"X-Note: a\x01b", b"X-Note: \x7fdel", b"X-Bad\x02Name: x"])
def test_control_characters_in_a_header_are_a_problem(stack, header):
    """Whichever refuses it, the gateway or the service behind it, the answer is a 400
    problem document, not a text/plain page."""
    request = (b"GET /training/v1/departments HTTP/1.1\r\nHost: jifen\r\n" + header +
               b"\r\nConnection: close\r\n\r\n")
    with socket.create_connection(("127.0.0.1", stack.config.gateway_port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ", 2)[1] == b"400", answer[:300]
    assert b"application/problem+json" in head.lower(), answer[:300]
    assert json.loads(body)["status"] == 400


async def test_display_names_refuse_invisible_characters(gw, hr):
    org = await create_org(gw)
    for name in ("张\u202e伟", "\ufeff李娜", "王\u200b强"):
        r = await gw.put(f"/training/v1/employees/{uid('E')}", headers=hr, json={
            "name": name, "department_code": org["department"]["code"],
            "job_role_code": org["role"]["code"]})
        assert r.status_code == 422, (name, r.text)
        assert r.json()["errors"][0]["pointer"] == "#/name"
        assert "U+" in r.json()["errors"][0]["detail"]
    r = await gw.put(f"/training/v1/departments/{uid('D')}", headers=hr,
                     json={"name": "焊装\u2066车间"})
    assert r.status_code == 422


async def test_titles_people_see_refuse_invisible_characters(gw, hr):
    """Course, exam, plan, survey, note, rule, honour and points-mix titles are shown
    to employees as names are: a bidi override or a zero-width character is 422 with
    the field named, like a name's."""
    org = await create_org(gw)
    employee = await create_employee(gw, department=org["department"]["code"],
                                     role=org["role"]["code"])
    no, bad = employee["employee_no"], "设备\u202e操作"
    today = datetime.now(UTC)
    rule = (await gw.get("/points/v1/rule-sets/1", headers=hr)).json()["rules"][0]
    honours = (await gw.get("/points/v1/honours/settings", headers=hr)).json()
    mix = {"categories": {"participation": {"target_percent": 35, "tolerance_percent": 5},
                          "outcome": {"target_percent": 55, "tolerance_percent": 5},
                          "growth": {"target_percent": 10, "tolerance_percent": 3}},
           "sources": [{"label": bad, "rule_ids": ["practical.passed"], "min_percent": 20}]}
    sends = [
        ("PUT", f"/training/v1/courses/{uid('C')}", hr, "#/title", {
            "title": bad, "format": "online", "difficulty": "basic", "class_hours": "2",
            "teaches": [], "tags": []}),
        ("PUT", f"/training/v1/exams/{uid('X')}", hr, "#/title", {
            "course_code": uid("C"), "title": "\u200b结业考试", "pass_score": 60}),
        ("PUT", f"/training/v1/training-plans/{uid('PL')}", hr, "#/name", {
            "name": "\ufeff补训计划", "course_codes": [uid("C")], "employee_nos": [no],
            "due_on": (today + timedelta(days=30)).date().isoformat()}),
        ("PUT", f"/training/v1/surveys/{uid('SV')}", hr, "#/title", {
            "title": bad, "kind": "satisfaction", "opens_at": today.isoformat(),
            "audience": {"department_code": org["department"]["code"]},
            "questions": [{"code": "fairness", "kind": "scale", "text": "满意度"}]}),
        ("POST", "/training/v1/notes", auth(no, "employee"), "#/title", {
            "employee_no": no, "title": bad, "body": "步骤",
            "shared_at": (today - timedelta(minutes=5)).isoformat()}),
        ("POST", "/points/v1/rule-sets", hr, "#/rules/0/name", {
            "rules": [{**rule, "name": bad}]}),
        ("PUT", "/points/v1/honours/settings", hr, "#/monthly/title", {
            **honours, "monthly": {**honours["monthly"], "title": bad}}),
        ("PUT", "/points/v1/points-mix/targets", hr, "#/sources/0/label", mix),
    ]
    for method, path, headers, pointer, body in sends:
        r = await gw.request(method, path, headers=headers, json=body)
        assert r.status_code == 422, (path, r.text)
        errors = r.json()["errors"]
        assert [e["pointer"] for e in errors] == [pointer], (path, errors)
        assert "invisible character U+" in errors[0]["detail"], path
