"""Personal recommendations at plant scale: 100,000 employees in ten job roles, a
catalogue of 1,000 courses (50 skills, four ladders of five levels each, every
level needing the one below), about 800,000 completions and 140,000 skill
records, three training plans (BENCH_RECS_EMPLOYEES and BENCH_RECS_COURSE_LADDERS
for another scale).

Measured through the gateway, every request for a different employee read by the
employee themself (so each one also records what was shown): the latency at low
load (2 connections; goal p95 < 100 ms), then requests/s and CPU per request at
the usual load against the bare one-SELECT endpoint (an indexed read of one
employee) in the same run, directly and through a gateway of its own. Also the
time the colleague model takes to build at this scale, which bounds how fresh the
colleague signals can be. Any answer other than 200 fails the run.

The organisation, skills, roles, catalogue and plans go through the API; the
employees and their records are written straight into the database."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from bench.harness import (
    Run,
    asyncpg_dsn,
    baseline_server,
    measure,
    stack_roots,
)
from jifen.stack import Stack
from tests.conftest import auth, make_token

HR = auth("BENCH-HR", "hr_admin")
EMPLOYEES = int(os.environ.get("BENCH_RECS_EMPLOYEES", "100000"))
SKILLS = 50
LADDERS = int(os.environ.get("BENCH_RECS_COURSE_LADDERS", "4"))  # per skill, five levels each
LEVELS = 5
ROLES = 10
DEPARTMENTS = 10
# employees whose tokens the load runs use (every run takes its own slice)
READERS = min(EMPLOYEES, 40000)
LOW_LOAD_CONNECTIONS = 2
GOAL_P95_MS = 100.0
FORMATS = ("online", "offline", "practical")


def course_code(skill: int, ladder: int, level: int) -> str:
    return f"BR-C{skill:02d}-{ladder}-{level}"


async def _put_all(client: httpx.AsyncClient, requests: list[tuple[str, dict]],
                   concurrency: int = 8) -> None:
    limit = asyncio.Semaphore(concurrency)

    async def one(path: str, body: dict) -> None:
        async with limit:
            r = await client.put(path, headers=HR, json=body)
            if r.status_code not in (200, 201):
                raise RuntimeError(f"PUT {path}: {r.status_code} {r.text}")

    await asyncio.gather(*(one(p, b) for p, b in requests))


async def _catalogue(client: httpx.AsyncClient) -> None:
    """Departments, skills, roles (each requiring four skills at level 2), the course
    ladders level by level (a level needs the one below), and three plans."""
    await _put_all(client, [("/training/v1/departments/BR", {"name": "推荐压测工厂"})])
    await _put_all(client, [(f"/training/v1/departments/BR-D{d}", {
        "name": f"车间{d}", "parent_code": "BR"}) for d in range(DEPARTMENTS)])
    await _put_all(client, [(f"/training/v1/skills/BR-SK{s:02d}", {"name": f"技能{s:02d}"})
                            for s in range(SKILLS)])
    await _put_all(client, [(f"/training/v1/job-roles/BR-R{r}", {
        "name": f"岗位{r}", "family": "production",
        "required_skills": [{"skill_code": f"BR-SK{(5 * r + k) % SKILLS:02d}", "level": 2}
                            for k in range(4)]}) for r in range(ROLES)])
    for level in range(1, LEVELS + 1):
        await _put_all(client, [(f"/training/v1/courses/{course_code(s, ladder, level)}", {
            "title": f"技能{s:02d} 路线{ladder} {level}级", "format": FORMATS[(s + ladder) % 3],
            "class_hours": "2", "difficulty": "basic" if level < 3 else "advanced",
            "teaches": [{"skill_code": f"BR-SK{s:02d}", "level": level}],
            "prerequisites": [course_code(s, ladder, level - 1)] if level > 1 else [],
            # one ladder in four of the upper levels is open to one role only
            **({"open_to_job_roles": [f"BR-R{s % ROLES}"]}
               if ladder == 3 and level >= 4 else {})})
            for s in range(SKILLS) for ladder in range(LADDERS)])
    await _put_all(client, [
        ("/training/v1/training-plans/BR-P-ALL", {
            "name": "全厂安全复训", "course_codes": [course_code(0, 0, 1)],
            "department_code": "BR", "due_on": "2099-03-31"}),
        ("/training/v1/training-plans/BR-P-D0", {
            "name": "车间0 技能提升", "course_codes": [course_code(1, 0, 2), course_code(2, 0, 2)],
            "department_code": "BR-D0", "due_on": "2099-06-30"}),
        ("/training/v1/training-plans/BR-P-R1", {
            "name": "岗位1 进阶", "course_codes": [course_code(6, 0, 3)],
            "job_role_code": "BR-R1", "due_on": "2099-01-31"})])


EMPLOYEES_SQL = """
INSERT INTO employee (employee_no, name, department_id, job_role_id, is_front_line, hired_on,
                      status)
SELECT 'B' || lpad(i::text, 7, '0'), '员工' || i, d.ids[1 + i % cardinality(d.ids)],
       r.ids[1 + i % cardinality(r.ids)], i % 10 < 7, DATE '2020-01-01' + (i % 1500), 'active'
FROM generate_series(0, $1::int - 1) i,
     (SELECT array_agg(id ORDER BY code) ids FROM department WHERE code LIKE 'BR-D%') d,
     (SELECT array_agg(id ORDER BY code) ids FROM job_role WHERE code LIKE 'BR-R%') r
"""
# eight completions each: mostly the lower levels of ladders of the role's own skills
COMPLETIONS_SQL = """
WITH picked AS (
  SELECT gen_random_uuid() AS id, e.employee_no,
         now() - (1 + random() * 360) * interval '1 day' AS occurred_at,
         'BR-C' || lpad((CASE WHEN random() < 0.7
                              THEN (5 * (substr(r.code, 5)::int) + floor(random() * 5)::int)
                              ELSE floor(random() * $1::int)::int END % $1::int)::text, 2, '0')
           || '-' || floor(random() * $2::int)::int || '-' || (1 + floor(random() * 3)::int)
           AS course_code
  FROM employee e JOIN job_role r ON r.id = e.job_role_id, generate_series(1, 8) k
  WHERE e.employee_no LIKE 'B%'
),
f AS (INSERT INTO training_fact (id, fact_type, employee_no, occurred_at, content_hash,
                                 recorded_by)
      SELECT id, 'course_completion', employee_no, occurred_at, 'bench', 'bench' FROM picked)
INSERT INTO course_completion (id, course_code) SELECT id, course_code FROM picked
"""
PROOFS_SQL = """
WITH picked AS (
  SELECT gen_random_uuid() AS id, e.employee_no, s.code AS skill_code,
         now() - (1 + random() * 360) * interval '1 day' AS occurred_at,
         1 + floor(random() * 3)::int AS level
  FROM employee e JOIN job_role_skill jrs ON jrs.job_role_id = e.job_role_id
  JOIN skill s ON s.id = jrs.skill_id
  WHERE e.employee_no LIKE 'B%' AND random() < 0.35
),
f AS (INSERT INTO training_fact (id, fact_type, employee_no, occurred_at, content_hash,
                                 recorded_by)
      SELECT id, 'practical_assessment', employee_no, occurred_at, 'bench', 'bench'
      FROM picked),
p AS (INSERT INTO practical_assessment (id, skill_code, passed, level, assessor)
      SELECT id, skill_code, true, level, 'bench' FROM picked)
INSERT INTO employee_skill (employee_no, skill_code, fact_id, proven_by, since, level)
SELECT employee_no, skill_code, id, 'practical_assessment', occurred_at, level FROM picked
"""


async def _bulk(stack: Stack) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(stack, "training"))
    try:
        started = time.perf_counter()
        async with conn.transaction():
            await conn.execute(EMPLOYEES_SQL, EMPLOYEES)
            await conn.execute(COMPLETIONS_SQL, SKILLS, LADDERS)
            await conn.execute(PROOFS_SQL)
        await conn.execute("VACUUM ANALYZE")
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM employee WHERE employee_no LIKE 'B%') e, "
            "(SELECT count(*) FROM course WHERE code LIKE 'BR-%') c, "
            "(SELECT count(*) FROM course_completion WHERE course_code LIKE 'BR-%') cc, "
            "(SELECT count(*) FROM employee_skill WHERE employee_no LIKE 'B%') s")
        return (f"generated {counts['e']:,} employees, {counts['c']:,} courses, "
                f"{counts['cc']:,} completions, {counts['s']:,} skill records in "
                f"{time.perf_counter() - started:.0f} s")
    finally:
        await conn.close()


async def _build_model(client: httpx.AsyncClient, stack: Stack) -> str:
    """Rebuild the colleague model now and wait for it: how long a refresh takes."""
    started = time.perf_counter()
    r = await client.post("/training/v1/recommendation-model/refresh", headers=HR)
    r.raise_for_status()
    while True:
        body = (await client.get("/training/v1/recommendation-model", headers=HR)).json()
        if body["status"] == "failed":
            logs = "".join(p.read_text(errors="replace")[-3000:]
                           for p in sorted(stack.log_dir.glob("training-*.log")))
            raise RuntimeError(f"the model build failed: {body['error']}\n{logs}")
        if body["status"] == "ready" and body["built_at"] >= r.json()["started_at"]:
            break
        await asyncio.sleep(1)
    return (f"colleague model built in {time.perf_counter() - started:.0f} s "
            f"({body['employees']:,} employees, {body['completions']:,} completions)")


async def _check_one(client: httpx.AsyncClient) -> str:
    r = await client.get("/training/v1/employees/B0000000/recommendations", headers=HR)
    r.raise_for_status()
    items = r.json()["items"]
    if len(items) != 5:
        raise RuntimeError(f"expected five recommendations, got {r.text}")
    return "B0000000 is recommended: " + "; ".join(
        f"{i['course_code']} ({'，'.join(x['text'] for x in i['reasons'])})" for i in items)


def _token_file(directory: Path) -> Path:
    """One "employee_no token" line per reader, spread over the employees."""
    path = directory / "tokens.txt"
    step = max(1, EMPLOYEES // READERS)
    with path.open("w") as f:
        for i in range(0, EMPLOYEES, step):
            no = f"B{i:07d}"
            f.write(f"{no} {make_token(no, 'employee', ttl=6 * 3600)}\n")
    return path


def _loads(stack: Stack, tokens: Path) -> tuple[Run, Run, Run, Run]:
    per_employee = {"BENCH_PATH": "/training/v1/employees/%s/recommendations",
                    "BENCH_TOKEN_FILE": str(tokens)}
    roots = stack_roots(stack, "training")
    low = measure("recommendations, 2 connections", stack.gateway_url, roots=roots,
                  script="per_employee.lua", expect=200,
                  env={**per_employee, "BENCH_OFFSET": "0"},
                  connections=LOW_LOAD_CONNECTIONS)
    env = {"BENCH_KEYS": str(EMPLOYEES)}
    with baseline_server(stack, "training") as base:
        bare = measure("bare one-SELECT", base.url, roots=base.roots(stack), script="get.lua",
                       expect=200, env={**env, "BENCH_PATH": "/baseline/employees/B%07d"})
        floor = measure("floor (bare one-SELECT through nginx)", base.floor_url,
                        roots=base.floor_roots(stack), script="get.lua", expect=200,
                        env={**env, "BENCH_PATH": "/training/baseline/employees/B%07d"})
    ours = measure("GET /training/v1/employees/{no}/recommendations via gateway",
                   stack.gateway_url, roots=roots, script="per_employee.lua", expect=200,
                   env={**per_employee, "BENCH_OFFSET": str(READERS // 2)})
    return low, bare, floor, ours


async def _prepare(stack: Stack) -> list[str]:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=600) as client:
        started = time.perf_counter()
        await _catalogue(client)
        out = [f"catalogue of {SKILLS * LADDERS * LEVELS:,} courses, {ROLES} roles, plans "
               f"through the API in {time.perf_counter() - started:.0f} s"]
        out.append(await _bulk(stack))
        out.append(await _build_model(client, stack))
        out.append(await _check_one(client))
        return out


def run(stack: Stack) -> list[str]:
    out = asyncio.run(_prepare(stack))
    with tempfile.TemporaryDirectory(prefix="jifen-bench-recs-") as tmp:
        low, bare, floor, ours = _loads(stack, _token_file(Path(tmp)))
    verdict = "meets" if low.wrk.p95_ms < GOAL_P95_MS else "MISSES"
    return [*out,
            f"{low.line()}; p95 {low.wrk.p95_ms:.1f} ms -- goal p95 < {GOAL_P95_MS:.0f} ms: "
            f"{verdict}",
            bare.line(), floor.line(), f"{ours.line()}; p95 {ours.wrk.p95_ms:.1f} ms",
            _against("the bare one-SELECT", ours, bare),
            _against("the floor", ours, floor)]


def _against(name: str, ours: Run, base: Run) -> str:
    """No goal: a recommendation reads ten times what one SELECT does; the ratio says
    what that costs on this machine today."""
    rps = ours.wrk.requests_per_second / base.wrk.requests_per_second
    cpu = ours.cpu_total / base.cpu_total if base.cpu_total else float("nan")
    return (f"recommendations against {name}: {rps:.0%} of its requests/s, {cpu:.1f} times "
            "its CPU per request")
