"""Issue-4 benchmark: leaderboards on 100,000 employees and 10 million ledger
entries. The data is generated straight into the points database (employee
copies, accounts, ledger entries over the last year, and their period totals),
then: top-10 and rank-with-neighbours requests per second through the gateway
against the bare one-SELECT baseline, and the database time of the rank query
(p50/p95 over 500 employees) with its plan.

Smaller runs: BENCH_LEADERBOARD_EMPLOYEES and BENCH_LEADERBOARD_ENTRIES.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import statistics
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from tqdm import tqdm

from bench.harness import (
    asyncpg_dsn,
    baseline_server,
    client_tokens,
    measure,
    ratio_lines,
    stack_roots,
)
from jifen.stack import Stack
from services.points_api.leaderboards import repository as boards
from services.points_api.ledger.periods import month_key
from tests.conftest import auth

HR = auth("BENCH-HR", "hr_admin")
EMPLOYEES = int(os.environ.get("BENCH_LEADERBOARD_EMPLOYEES", "100000"))
ENTRIES = int(os.environ.get("BENCH_LEADERBOARD_ENTRIES", "10000000"))
CHUNK = 250_000
RUNS = 500
TZ = "Asia/Shanghai"

EMPLOYEE_COPIES = """
INSERT INTO employee_copy (employee_no, name, department_code, department_path, is_pilot,
                           job_role_code, job_role_family, is_front_line, hired_on, status,
                           version)
SELECT 'LB' || lpad(i::text, 6, '0'), '员工' || i, d.line,
       ARRAY[d.plant, d.workshop, d.line]::varchar[], false, 'LB-' || f.family, f.family,
       i % 10 < 7, date '2015-01-01' + i % 3000, 'active', 1
FROM generate_series(0, $1 - 1) AS i,
LATERAL (SELECT 'LBP' || i % 4 AS plant, 'LBP' || i % 4 || 'W' || i / 4 % 5 AS workshop,
                'LBP' || i % 4 || 'W' || i / 4 % 5 || 'L' || i / 20 % 5 AS line) AS d,
LATERAL (SELECT (ARRAY['production', 'production', 'production', 'technical', 'quality',
                       'logistics', 'management'])[1 + i % 7] AS family) AS f
"""

# Typical earnings: per class hour, interactions, notes, exam bands, practicals,
# skill applications; the more active employees have the lower numbers.
LEDGER_CHUNK = """
INSERT INTO ledger_entry (employee_no, kind, amount, qualifying_amount, category, rule_id,
                          rule_set_version, source_event_id, reason, occurred_at)
SELECT 'LB' || lpad(floor($1 * power(random(), 1.3))::int::text, 6, '0'), 'earn',
       (ARRAY[16, 10, 2, 3, 10, 15, 20, 30, 80])[r.k],
       (ARRAY[16, 10, 2, 3, 10, 15, 20, 30, 80])[r.k],
       (ARRAY['participation', 'participation', 'participation', 'participation',
              'participation', 'outcome', 'outcome', 'outcome', 'outcome'])[r.k],
       (ARRAY['course.per_class_hour', 'course.per_class_hour', 'live.speak', 'live.question',
              'note.shared', 'exam.score', 'exam.score', 'practical.passed',
              'skill_application.confirmed'])[r.k],
       1, gen_random_uuid(),
       (ARRAY['完成课程 设备操作基础 2 课时', '完成课程 安全生产 2 课时', '直播课发言',
              '直播课提问', '分享学习笔记', '考试 质量管控 92 分', '考试 质量管控 100 分',
              '实操考核通过 设备调试', '技能应用确认 换模时间缩短'])[r.k],
       now() - r.t * interval '365 days'
FROM (SELECT 1 + floor(random() * 9)::int AS k, random() AS t
      FROM generate_series(1, $2)) AS r
"""

MONTHLY = """
CREATE TEMP TABLE lb_month AS
SELECT employee_no, to_char(occurred_at AT TIME ZONE $1, 'YYYY-MM') AS month,
       extract(year FROM occurred_at AT TIME ZONE $1)::int AS year,
       extract(quarter FROM occurred_at AT TIME ZONE $1)::int AS quarter,
       sum(qualifying_amount) AS points,
       sum(qualifying_amount) FILTER (WHERE category = 'participation') AS participation,
       sum(qualifying_amount) FILTER (WHERE category = 'outcome') AS outcome
FROM ledger_entry WHERE employee_no LIKE 'LB%' GROUP BY 1, 2, 3, 4
"""

PERIOD_TOTALS = """
INSERT INTO period_total (period, employee_no, points, participation_points, outcome_points,
                          growth_points, department_key, job_role_family, is_front_line)
SELECT p.period, m.employee_no, sum(m.points), sum(coalesce(m.participation, 0)),
       sum(coalesce(m.outcome, 0)), 0, department_key(c.department_path, c.department_code),
       c.job_role_family, c.is_front_line
FROM lb_month m
CROSS JOIN LATERAL (VALUES ('M' || m.month), ('Q' || m.year || '-' || m.quarter),
                           ('Y' || m.year), ('ALL')) AS p(period)
JOIN employee_copy c ON c.employee_no = m.employee_no
GROUP BY p.period, m.employee_no, c.department_path, c.department_code, c.job_role_family,
         c.is_front_line
"""

ACCOUNTS = """
INSERT INTO account (employee_no, balance, qualifying, participation_points, outcome_points)
SELECT c.employee_no, coalesce(t.points, 0), coalesce(t.points, 0),
       coalesce(t.participation_points, 0), coalesce(t.outcome_points, 0)
FROM employee_copy c
LEFT JOIN period_total t ON t.period = 'ALL' AND t.employee_no = c.employee_no
WHERE c.employee_no LIKE 'LB%'
"""


def run(stack: Stack) -> list[str]:
    return asyncio.run(_run(stack))


async def _run(stack: Stack) -> list[str]:
    dsn = asyncpg_dsn(stack, "points")
    out = [f"data: {EMPLOYEES:,} employees, {ENTRIES:,} ledger entries over the last year"]
    conn = await asyncpg.connect(dsn)
    try:
        out.append(await generate(conn))
        period = month_key(datetime.now(UTC), ZoneInfo(TZ))
        out += await database_times(conn, period)
    finally:
        await conn.close()
    out += throughput(stack)
    return out


async def generate(conn: asyncpg.Connection) -> str:
    """Load everything with triggers and foreign keys off (replication role) and the
    secondary indexes dropped, then rebuild the indexes and refresh statistics."""
    started = time.perf_counter()
    await conn.execute("SET session_replication_role = replica")
    await conn.execute("SET maintenance_work_mem = '512MB'")
    await conn.execute("SET work_mem = '256MB'")
    await conn.execute(EMPLOYEE_COPIES, EMPLOYEES)
    indexes = await drop_indexes(conn, ["ledger_entry", "period_total"])
    await insert_in_chunks(conn, LEDGER_CHUNK, EMPLOYEES, total=ENTRIES, chunk=CHUNK)
    await conn.execute(MONTHLY, TZ)
    await conn.execute(PERIOD_TOTALS)
    await conn.execute(ACCOUNTS)
    for definition in tqdm(indexes, desc="indexes", unit=" index"):
        await conn.execute(definition)
    await conn.execute("RESET session_replication_role")
    for table in ("period_total", "employee_copy", "account"):
        await conn.execute(f"VACUUM ANALYZE {table}")
    await conn.execute("ANALYZE ledger_entry")
    rows = await conn.fetchval("SELECT count(*) FROM period_total WHERE employee_no LIKE 'LB%'")
    return f"generated in {time.perf_counter() - started:.0f} s ({rows:,} period totals)"


async def insert_in_chunks(conn: asyncpg.Connection, sql: str, employees: int, *, total: int,
                           chunk: int) -> None:
    """Run ``sql`` (arguments: the number of employees, the rows to insert) until
    ``total`` ledger entries are in, ``chunk`` at a time, with a progress bar."""
    with tqdm(total=total, unit=" entries", unit_scale=True, desc="ledger") as bar:
        left = total
        while left > 0:
            size = min(chunk, left)
            await conn.execute(sql, employees, size)
            left -= size
            bar.update(size)


async def drop_indexes(conn: asyncpg.Connection, tables: list[str]) -> list[str]:
    """Drop the secondary indexes (not those behind constraints) of the tables, for a
    bulk load; their definitions, to create them again."""
    rows = await conn.fetch("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = ANY($1)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
                            tables)
    for row in rows:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    return [row["indexdef"] for row in rows]


async def database_times(conn: asyncpg.Connection, period: str) -> list[str]:
    """p50/p95 of the rank query of each scope and of the top 10 over random employees,
    prepared as the service runs them; and the plans of the company board's."""
    out = []
    employees = [f"LB{random.randrange(EMPLOYEES):06d}" for _ in range(RUNS)]
    workshop = await conn.fetchval(
        "SELECT department_path[2] FROM employee_copy WHERE employee_no = 'LB000000'")
    company = boards.Board(period, "company")
    cases = [("rank, company", company),
             ("rank, family", boards.Board(period, "family", "production")),
             ("rank, front line", boards.Board(period, "front_line")),
             ("rank, department (workshop)", boards.Board(
                 period, "department", boards.subtree_pattern(["LBP0", workshop])))]
    for label, board in cases:
        statement, params = boards.around_statement(board, employee_no="", k=3)
        times = await _timed(conn, statement, [{**params, "employee_no": no}
                                               for no in employees])
        out.append(f"DB time {label} (k=3, {RUNS} employees): {_percentiles(times)}")
    top, top_params = boards.top_statement(company, limit=10)
    out.append(f"DB time top 10, company ({RUNS} runs): "
               f"{_percentiles(await _timed(conn, top, [top_params] * RUNS))}")
    middle = f"LB{EMPLOYEES // 2:06d}"
    rank, rank_params = boards.around_statement(company, employee_no=middle, k=3)
    for title, statement, params in (
            (f"rank query, company board, employee {middle}", rank, rank_params),
            ("top 10, company board", top, top_params)):
        sql, names = _asyncpg(statement)
        plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}",
                                *[params[n] for n in names])
        out.append(f"EXPLAIN ANALYZE {title}:")
        out += ["  " + row[0] for row in plan]
    return out


async def _timed(conn: asyncpg.Connection, statement: Any,
                 runs: list[dict[str, Any]]) -> list[float]:
    sql, names = _asyncpg(statement)
    prepared = await conn.prepare(sql)
    times = []
    for params in runs:
        started = time.perf_counter()
        await prepared.fetch(*[params[n] for n in names])
        times.append((time.perf_counter() - started) * 1000)
    return times


def throughput(stack: Stack) -> list[str]:
    """Requests per second and CPU per request through the gateway against the bare
    one-SELECT endpoint, with the account read (one employee's balances) as the
    reference of a one-row read of the same service."""
    gateway = stack.gateway_url
    tokens = client_tokens("hr_admin")
    roots = stack_roots(stack, "points")
    with baseline_server(stack, "points") as base:
        bare = measure("bare SELECT 1", base.url, roots=base.roots(stack), script="get.lua",
                       expect=200, env={"BENCH_PATH": "/baseline/select"})
    runs = [measure(label, gateway, roots=roots, script="get.lua", expect=200,
                    env={"BENCH_PATH": path, "BENCH_KEYS": str(EMPLOYEES), "BENCH_TOKENS": tokens})
            for label, path in (
                ("GET /points/v1/leaderboards top 10 via gateway",
                 "/points/v1/leaderboards?period=month&limit=10"),
                ("GET /points/v1/leaderboards/me k=3 via gateway",
                 "/points/v1/leaderboards/me?k=3&employee_no=LB%06d"),
                ("reference: GET /points/v1/accounts/{no} via gateway",
                 "/points/v1/accounts/LB%06d"))]
    out = [bare.line(), *(r.line() for r in runs)]
    for name, r in zip(("top 10", "rank with neighbours", "reference account read"), runs,
                       strict=True):
        out += ratio_lines(name, r, bare, 0.80)
    return out


def _asyncpg(statement: Any) -> tuple[str, list[str]]:
    """SQL with :name parameters as asyncpg's $n, and the names in that order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    return re.sub(r"(?<!:):([a-z_]+)", number, str(statement)), names


def _percentiles(times: list[float]) -> str:
    return (f"p50 {statistics.median(times):.2f} ms, "
            f"p95 {statistics.quantiles(times, n=20)[-1]:.2f} ms")
