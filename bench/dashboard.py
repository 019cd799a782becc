"""Issue-6 benchmark: every dashboard report on the demo plant scaled up (100,000
employees and a year of training by default; BENCH_DASHBOARD_EMPLOYEES for another
scale), timed through the gateway against one hand-written SQL query computing the
same figure on the same data, in the same run. The figures of both must agree.
The points mix reads points_api's ledger: ten million entries over the year
(BENCH_DASHBOARD_ENTRIES), with reversals and HR adjustments, for the same employees.

The organisation, catalogue, plans and surveys go through the API; the bulk
(employees, training records, skill records, survey answers, KPIs, and points_api's
employee copy, period totals and ledger) is written straight into the databases with
INSERT ... SELECT generate_series, as a migration from an old system would."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from tqdm import tqdm

from bench.harness import asyncpg_dsn
from bench.leaderboard import drop_indexes, insert_in_chunks
from jifen.demo import exams, plans, roles_and_courses, skills, surveys
from jifen.demo_plant import DEPARTMENTS, PILOT_DEPARTMENT, ROLES, STAFFING, Timeline
from jifen.stack import Stack
from services.points_api.mix.repository import MixScope, mix_statement
from tests.conftest import auth

HR = auth("BENCH-HR", "hr_admin")
EMPLOYEES = int(os.environ.get("BENCH_DASHBOARD_EMPLOYEES", "100000"))
FACTS_PER_EMPLOYEE = int(os.environ.get("BENCH_DASHBOARD_FACTS", "12"))
LEDGER_ENTRIES = int(os.environ.get("BENCH_DASHBOARD_ENTRIES", "10000000"))
LEDGER_CHUNK = 250_000
RUNS = 3
TZ = "Asia/Shanghai"
TEAMS_PER_DEPARTMENT = 10


def _org(client: httpx.Client, t: Timeline) -> None:
    for code, name, parent in DEPARTMENTS:
        client.put(f"/training/v1/departments/{code}", headers=HR, json={
            "name": name, "parent_code": parent, "is_pilot": code == PILOT_DEPARTMENT}
        ).raise_for_status()
        if code in STAFFING:
            for i in range(TEAMS_PER_DEPARTMENT):
                client.put(f"/training/v1/departments/{code}-T{i:02d}", headers=HR, json={
                    "name": f"{name}{i + 1}班组", "parent_code": code}).raise_for_status()
    for group in (skills(), roles_and_courses(), exams()):
        for method, path, kwargs in group:
            client.request(method, path, headers=HR, **kwargs).raise_for_status()
    client.put(f"/training/v1/departments/{PILOT_DEPARTMENT}/pilot", headers=HR,
               json={"started_on": t.pilot_start.isoformat()}).raise_for_status()
    for method, path, kwargs in surveys(t):
        client.request(method, path, headers=HR, **kwargs).raise_for_status()


def _plans(client: httpx.Client, t: Timeline) -> None:
    for method, path, kwargs in plans(t, []):
        body = kwargs["json"]
        if "employee_nos" in body:  # the list plan: a sample of team leads
            body["employee_nos"] = [f"B{i:07d}" for i in range(1, min(EMPLOYEES, 2000), 20)]
        client.request(method, path, headers=HR, json=body).raise_for_status()


EMPLOYEES_SQL = """
INSERT INTO employee (employee_no, name, department_id, job_role_id, is_front_line, hired_on,
                      status)
SELECT 'B' || lpad(i::text, 7, '0'), '员工' || i, p.team, p.role, p.front_line,
       CASE WHEN i % 100 < 15 THEN $2::date + (i::bigint * 7919 % 330)::int
            ELSE $2::date - 200 - (i::bigint * 104729 % 3400)::int END,
       CASE WHEN i % 97 = 0 THEN 'left' ELSE 'active' END
FROM generate_series(1, $1::int) i
JOIN unnest($3::int[], $4::int[], $5::bool[]) WITH ORDINALITY AS p(team, role, front_line, j)
  ON p.j = 1 + i % cardinality($3::int[])
"""


async def _bulk_training(conn: asyncpg.Connection, t: Timeline) -> None:
    """Employees spread over the teams like the demo plant's head counts and role mix."""
    teams: dict[str, list[int]] = {}
    for row in await conn.fetch("SELECT code, id FROM department WHERE code ~ '-T[0-9]{2}$' "
                                "ORDER BY code"):
        teams.setdefault(row["code"][:-4], []).append(row["id"])
    role_ids = dict(await conn.fetch("SELECT code, id FROM job_role"))
    pattern: list[tuple[int, int, bool]] = []
    for dept, (heads, mix) in STAFFING.items():
        roles = [r for r, share in mix for _ in range(round(share * 20))]
        for k in range(heads // 10 * 20):
            role = roles[k % len(roles)]
            pattern.append((teams[dept][k % len(teams[dept])], role_ids[role], ROLES[role][3]))
    await conn.execute(EMPLOYEES_SQL, EMPLOYEES, t.year_start, [p[0] for p in pattern],
                       [p[1] for p in pattern], [p[2] for p in pattern])
    await _facts(conn, t)
    await _proofs(conn, t)
    await _answers(conn, t)
    await _kpis(conn, t)


FACTS_SQL = """
WITH picked AS (
  SELECT gen_random_uuid() AS id, e.employee_no,
         CASE WHEN k % 10 < 6 THEN 'course_completion' WHEN k % 10 < 8 THEN 'live_interaction'
              ELSE 'study_note' END AS fact_type,
         greatest($1::timestamptz + (random() * 365) * interval '1 day',
                  e.hired_on::timestamptz + interval '1 day') AS occurred_at,
         (ARRAY['AP-C-EQ101','AP-C-QC201','AP-C-ASM101','AP-C-NEWEQ','AP-C-CAD','AP-C-SAFE',
                'AP-C-TROUBLE','AP-C-TEAM','AP-C-COST','AP-C-WH'])[1 + (k * 7 + length(e.name))
                % 10] AS course_code
  FROM employee e, generate_series(1, $2::int) k
  WHERE e.employee_no LIKE 'B%' AND random() < 0.55 + (hashtext(e.employee_no) % 40) / 100.0
),
f AS (INSERT INTO training_fact (id, fact_type, employee_no, occurred_at, content_hash,
                                 recorded_by)
      SELECT id, fact_type, employee_no, least(occurred_at, now() - interval '1 hour'), 'bench',
             'bench' FROM picked RETURNING 1),
c AS (INSERT INTO course_completion (id, course_code)
      SELECT id, course_code FROM picked WHERE fact_type = 'course_completion' RETURNING 1),
l AS (INSERT INTO live_interaction (id, course_code, kind)
      SELECT id, 'AP-C-LIVE', 'speak' FROM picked WHERE fact_type = 'live_interaction'
      RETURNING 1),
n AS (INSERT INTO study_note (id, title, body)
      SELECT id, '学习笔记', '要点' FROM picked WHERE fact_type = 'study_note' RETURNING 1)
SELECT (SELECT count(*) FROM f), (SELECT count(*) FROM c), (SELECT count(*) FROM l),
       (SELECT count(*) FROM n)
"""

PROOFS_SQL = """
WITH picked AS (
  SELECT gen_random_uuid() AS id, e.employee_no, s.code AS skill_code,
         least(now() - interval '1 hour',
               e.hired_on::timestamptz + (CASE WHEN e.hired_on >= $1::date
                   THEN 7 + random() * 35 ELSE 20 + random() * 300 END) * interval '1 day')
           AS occurred_at
  FROM employee e
  JOIN job_role_skill jrs ON jrs.job_role_id = e.job_role_id
  JOIN skill s ON s.id = jrs.skill_id
  WHERE e.employee_no LIKE 'B%' AND random() < 0.82
),
f AS (INSERT INTO training_fact (id, fact_type, employee_no, occurred_at, content_hash,
                                 recorded_by)
      SELECT id, 'practical_assessment', employee_no, occurred_at, 'bench', 'bench'
      FROM picked RETURNING 1),
p AS (INSERT INTO practical_assessment (id, skill_code, passed, assessor)
      SELECT id, skill_code, true, 'bench' FROM picked RETURNING 1),
s AS (INSERT INTO employee_skill (employee_no, skill_code, fact_id, proven_by, since)
      SELECT employee_no, skill_code, id, 'practical_assessment', occurred_at FROM picked
      RETURNING 1)
SELECT (SELECT count(*) FROM f), (SELECT count(*) FROM p), (SELECT count(*) FROM s)
"""

ANSWERS_SQL = """
WITH r AS (
  INSERT INTO survey_response (survey_id, employee_no, department_id, answered_at, recorded_by)
  SELECT sv.id, e.employee_no, e.department_id,
         sv.opens_at + random() * (sv.closes_at - sv.opens_at), 'bench'
  FROM survey sv, employee e
  WHERE sv.kind = 'satisfaction' AND e.employee_no LIKE 'B%' AND random() < 0.5
  RETURNING id, survey_id
)
INSERT INTO survey_answer (response_id, question_id, choice, scale)
SELECT r.id, q.id, CASE WHEN q.kind = 'single_choice' THEN 'yes' END,
       CASE WHEN q.kind = 'scale' THEN 1 + floor(random() * 5)::int END
FROM r JOIN survey_question q ON q.survey_id = r.survey_id AND q.kind <> 'text'
"""

KPIS_SQL = """
INSERT INTO department_kpi (department_id, month, defect_rate, skill_defect_share, efficiency,
                            source, updated_by)
SELECT d.id, m::date, 1.2 - random() * 0.4, 40 - random() * 20, 100 + random() * 20, 'import',
       'bench'
FROM department d, generate_series(date_trunc('month', $1::date), $2::date,
                                   interval '1 month') m
WHERE d.code LIKE 'AP-%'
ON CONFLICT DO NOTHING
"""


async def _facts(conn: asyncpg.Connection, t: Timeline) -> None:
    start = datetime.combine(t.year_start, datetime.min.time(), tzinfo=UTC)
    await conn.execute(FACTS_SQL, start, FACTS_PER_EMPLOYEE)


async def _proofs(conn: asyncpg.Connection, t: Timeline) -> None:
    await conn.execute(PROOFS_SQL, t.year_start)


async def _answers(conn: asyncpg.Connection, t: Timeline) -> None:
    await conn.execute(ANSWERS_SQL)


async def _kpis(conn: asyncpg.Connection, t: Timeline) -> None:
    await conn.execute(KPIS_SQL, t.year_start, t.today)


POINTS_SOURCE_SQL = """
SELECT e.employee_no, e.name, d.code AS department_code,
       string_to_array(trim(both '/' from d.path), '/') AS department_path,
       EXISTS (SELECT 1 FROM department p WHERE p.is_pilot AND starts_with(d.path, p.path))
         AS is_pilot,
       r.code AS job_role_code, r.family, e.is_front_line, e.hired_on, e.status, e.version
FROM employee e JOIN department d ON d.id = e.department_id JOIN job_role r ON r.id = e.job_role_id
WHERE e.employee_no LIKE 'B%'
"""

MONTHLY_POINTS_SQL = """
SELECT employee_no, to_char(timezone($1, occurred_at), 'YYYY-MM') AS month,
       sum(CASE fact_type WHEN 'course_completion' THEN 20 WHEN 'practical_assessment' THEN 30
                          WHEN 'study_note' THEN 10 ELSE 2 END)::bigint AS points,
       sum(CASE WHEN fact_type = 'practical_assessment' THEN 30 ELSE 0 END)::bigint AS outcome
FROM training_fact WHERE employee_no LIKE 'B%' GROUP BY 1, 2
"""


async def _bulk_points(training: asyncpg.Connection, points: asyncpg.Connection) -> None:
    """points_api's copy of the employees and their period totals, as its event consumer
    and ledger would have built them."""
    copies = await training.fetch(POINTS_SOURCE_SQL)
    await points.copy_records_to_table("employee_copy", records=[tuple(r) for r in copies],
                                       columns=["employee_no", "name", "department_code",
                                                "department_path", "is_pilot",
                                                "job_role_code", "job_role_family",
                                                "is_front_line", "hired_on", "status",
                                                "version"])
    totals: dict[tuple[str, str], list[int]] = {}
    for row in await training.fetch(MONTHLY_POINTS_SQL, TZ):
        year, month = row["month"].split("-")
        for key in (f"M{year}-{month}", f"Q{year}-{(int(month) - 1) // 3 + 1}", f"Y{year}",
                    "ALL"):
            acc = totals.setdefault((key, row["employee_no"]), [0, 0])
            acc[0] += row["points"]
            acc[1] += row["outcome"]
    await points.copy_records_to_table(
        "period_total", records=[(k, no, p, p - o, o, 0) for (k, no), (p, o) in totals.items()],
        columns=["period", "employee_no", "points", "participation_points", "outcome_points",
                 "growth_points"])


# Earnings over the last year as the default rules pay them (practical assessments and
# growth bonuses rarer than the rest), for employees drawn at random.
MIX_LEDGER_SQL = """
INSERT INTO ledger_entry (employee_no, kind, amount, qualifying_amount, category, rule_id,
                          rule_set_version, source_event_id, reason, occurred_at)
SELECT 'B' || lpad((1 + floor(random() * $1))::int::text, 7, '0'), 'earn', p.points,
       p.points, p.category, p.rule_id, 1, gen_random_uuid(), p.reason,
       now() - interval '1 hour' - r.t * interval '365 days'
FROM (SELECT 1 + floor(random() * 20)::int AS k, random() AS t
      FROM generate_series(1, $2::int)) AS r
JOIN (VALUES (1, 16, 'participation', 'course.per_class_hour', '完成课程 设备操作基础 2 课时'),
             (2, 16, 'participation', 'course.per_class_hour', '完成课程 安全生产 2 课时'),
             (3, 10, 'participation', 'course.per_class_hour', '完成课程 5S 管理 2 课时'),
             (4, 20, 'participation', 'course.explicit_value', '完成课程 设备操作基础'),
             (5, 30, 'participation', 'course.explicit_value', '完成课程 质量管控进阶'),
             (6, 30, 'participation', 'course.role_value', '完成课程 新设备操作'),
             (7, 2, 'participation', 'live.speak', '直播课发言'),
             (8, 2, 'participation', 'live.speak', '直播课发言'),
             (9, 3, 'participation', 'live.question', '直播课提问'),
             (10, 10, 'participation', 'note.shared', '分享学习笔记'),
             (11, 5, 'participation', 'note.featured', '学习笔记被评为精华'),
             (12, 15, 'outcome', 'exam.score', '考试 质量管控 92 分'),
             (13, 20, 'outcome', 'exam.score', '考试 质量管控 100 分'),
             (14, 10, 'outcome', 'exam.score', '考试 安全生产 85 分'),
             (15, 30, 'outcome', 'practical.passed', '实操考核通过 设备调试'),
             (16, 80, 'outcome', 'skill_application.confirmed', '技能应用确认 换模时间缩短'),
             (17, 60, 'outcome', 'skill_application.confirmed', '技能应用确认 次品率下降'),
             (18, 15, 'outcome', 'exam.score', '考试 设备操作 95 分'),
             (19, 16, 'participation', 'course.per_class_hour', '完成课程 精益生产 2 课时'),
             (20, 50, 'growth', 'honour.monthly', '月度 TOP 10 第 3 名奖励'))
  AS p(k, points, category, rule_id, reason) ON p.k = r.k
"""
# one earning in 200 reversed (its fact voided), dated like the entry it reverses
MIX_REVERSALS_SQL = """
INSERT INTO ledger_entry (employee_no, kind, amount, qualifying_amount, category, rule_id,
                          rule_set_version, source_event_id, reverses_entry_id, reason,
                          occurred_at)
SELECT employee_no, 'reverse', -amount, -qualifying_amount, category, rule_id,
       rule_set_version, gen_random_uuid(), id, '撤销: ' || reason || ' (录入错误)', occurred_at
FROM ledger_entry WHERE kind = 'earn' AND employee_no LIKE 'B%' AND id % 200 = 0
"""
MIX_ADJUSTMENTS_SQL = """
INSERT INTO ledger_entry (employee_no, kind, amount, qualifying_amount, category, reason,
                          actor, occurred_at)
SELECT 'B' || lpad((1 + floor(random() * $1))::int::text, 7, '0'), 'adjust', a.points,
       a.points, (ARRAY['participation', 'outcome', 'growth'])[1 + i % 3], '人工调整: 补录',
       'BENCH-HR', now() - interval '1 hour' - random() * interval '365 days'
FROM generate_series(1, $2::int) i, LATERAL (SELECT 5 + i % 46 AS points) a
"""


async def _bulk_ledger(points: asyncpg.Connection) -> str:
    """points_api's ledger for the points mix, loaded like the leaderboard benchmark's:
    triggers and foreign keys off, secondary indexes dropped and built again after."""
    started = time.perf_counter()
    await points.execute("INSERT INTO account (employee_no) SELECT employee_no "
                         "FROM employee_copy WHERE employee_no LIKE 'B%' ON CONFLICT DO NOTHING")
    await points.execute("SET session_replication_role = replica")
    await points.execute("SET maintenance_work_mem = '512MB'")
    indexes = await drop_indexes(points, ["ledger_entry"])
    await insert_in_chunks(points, MIX_LEDGER_SQL, EMPLOYEES, total=LEDGER_ENTRIES,
                           chunk=LEDGER_CHUNK)
    await points.execute(MIX_REVERSALS_SQL)
    await points.execute(MIX_ADJUSTMENTS_SQL, EMPLOYEES, max(1, LEDGER_ENTRIES // 500))
    for definition in tqdm(indexes, desc="ledger indexes", unit=" index"):
        await points.execute(definition)
    await points.execute("RESET session_replication_role")
    # sets the visibility map, as autovacuum does for an insert-only table, so that the
    # covering index answers without visiting the table
    await points.execute("VACUUM ANALYZE ledger_entry")
    await points.execute("VACUUM ANALYZE account")
    count = await points.fetchval("SELECT count(*) FROM ledger_entry WHERE employee_no LIKE 'B%'")
    return f"generated {count:,} ledger entries in {time.perf_counter() - started:.0f} s"


async def _generate(stack: Stack, t: Timeline) -> list[str]:
    training = await asyncpg.connect(asyncpg_dsn(stack, "training"))
    points = await asyncpg.connect(asyncpg_dsn(stack, "points"))
    try:
        started = time.perf_counter()
        async with training.transaction():
            await _bulk_training(training, t)
        async with points.transaction():
            await _bulk_points(training, points)
        for conn in (training, points):
            await conn.execute("VACUUM ANALYZE")
        counts = await training.fetchrow(
            "SELECT (SELECT count(*) FROM employee WHERE employee_no LIKE 'B%') e, "
            "(SELECT count(*) FROM training_fact WHERE employee_no LIKE 'B%') f, "
            "(SELECT count(*) FROM employee_skill WHERE employee_no LIKE 'B%') s, "
            "(SELECT count(*) FROM survey_response WHERE employee_no LIKE 'B%') r")
        out = [f"generated {counts['e']:,} employees, {counts['f']:,} training records, "
               f"{counts['s']:,} skill records, {counts['r']:,} survey responses in "
               f"{time.perf_counter() - started:.0f} s"]
        return [*out, await _bulk_ledger(points)]
    finally:
        await training.close()
        await points.close()


# -- the hand-written queries, one per report -----------------------------------------------

ACTIVE = "e.status = 'active' AND (e.hired_on IS NULL OR e.hired_on <= $3)"
PARTICIPATION_SQL = f"""
SELECT count(*), count(a.employee_no)
FROM employee e JOIN department d ON d.id = e.department_id
LEFT JOIN (SELECT DISTINCT employee_no FROM training_fact
           WHERE occurred_at >= $1 AND occurred_at < $2 AND voided_at IS NULL) a
  ON a.employee_no = e.employee_no
WHERE {ACTIVE} AND d.path LIKE '/AP/%'
"""
ATTAINMENT_SQL = f"""
SELECT count(*), count(*) FILTER (WHERE held = required) FROM (
  SELECT e.employee_no, count(*) AS required, count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM employee_skill es WHERE es.employee_no = e.employee_no
             AND es.skill_code = s.code AND es.since < $2)) AS held
  FROM employee e JOIN department d ON d.id = e.department_id
  JOIN job_role_skill jrs ON jrs.job_role_id = e.job_role_id JOIN skill s ON s.id = jrs.skill_id
  WHERE {ACTIVE} AND d.path LIKE '/AP/%' AND $1::timestamptz IS NOT NULL
  GROUP BY e.employee_no) per
"""
GAPS_SQL = """
SELECT e.employee_no FROM employee e
JOIN job_role_skill jrs ON jrs.job_role_id = e.job_role_id JOIN skill s ON s.id = jrs.skill_id
WHERE e.status = 'active' AND (e.hired_on IS NULL OR e.hired_on <= $2)
  AND NOT EXISTS (SELECT 1 FROM employee_skill es WHERE es.employee_no = e.employee_no
                    AND es.skill_code = s.code AND es.since < $1)
GROUP BY e.employee_no ORDER BY e.employee_no LIMIT 50
"""
COMPETENCY_SQL = """
SELECT count(*), count(days), percentile_cont(0.5) WITHIN GROUP (ORDER BY days) FROM (
  SELECT CASE WHEN count(*) = count(first_at) THEN greatest(0,
           (timezone($3, max(first_at)))::date - hired_on) END AS days
  FROM (SELECT e.employee_no, e.hired_on,
               (SELECT min(es.since) FROM employee_skill es WHERE es.employee_no = e.employee_no
                  AND es.skill_code = s.code) AS first_at
        FROM employee e JOIN job_role_skill jrs ON jrs.job_role_id = e.job_role_id
        JOIN skill s ON s.id = jrs.skill_id
        WHERE e.status = 'active' AND e.hired_on BETWEEN $1 AND $2) x
  GROUP BY employee_no, hired_on) per
"""
QUANTILES_SQL = """
SELECT employee_no FROM (
  SELECT c.employee_no, row_number() OVER (ORDER BY coalesce(t.points, 0) DESC, c.employee_no)
           AS rn, count(*) OVER () AS n
  FROM employee_copy c LEFT JOIN period_total t ON t.employee_no = c.employee_no
    AND t.period = 'ALL'
  WHERE c.status = 'active' AND c.department_path @> ARRAY['AP']::varchar[]) r
WHERE rn <= floor(n * 0.2) OR rn > n - floor(n * 0.2)
"""
SET_ATTAINMENT_SQL = """
SELECT count(*) FILTER (WHERE held = required) FROM (
  SELECT e.employee_no, count(*) AS required, count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM employee_skill es WHERE es.employee_no = e.employee_no
             AND es.skill_code = s.code)) AS held
  FROM employee e JOIN job_role_skill jrs ON jrs.job_role_id = e.job_role_id
  JOIN skill s ON s.id = jrs.skill_id
  WHERE e.employee_no = ANY($1::text[]) GROUP BY e.employee_no) per
"""
PLANS_SQL = """
SELECT count(*), count(*) FILTER (WHERE done = n) FROM (
  SELECT p.id, e.employee_no, count(*) AS n, count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM training_fact f JOIN course_completion cc ON cc.id = f.id
           WHERE f.employee_no = e.employee_no AND cc.course_code = pc.course_code
             AND f.voided_at IS NULL
             AND (p.starts_on IS NULL OR f.occurred_at >= timezone($3, p.starts_on::timestamp))
         )) AS done
  FROM training_plan p JOIN training_plan_course pc ON pc.plan_id = p.id
  LEFT JOIN department pd ON pd.id = p.department_id
  JOIN employee e ON e.status = 'active' AND (e.hired_on IS NULL OR e.hired_on <= p.due_on)
   AND (p.job_role_id IS NULL OR e.job_role_id = p.job_role_id)
   AND (NOT p.by_list OR EXISTS (SELECT 1 FROM training_plan_member m
                                 WHERE m.plan_id = p.id AND m.employee_no = e.employee_no))
  JOIN department d ON d.id = e.department_id
   AND (pd.path IS NULL OR starts_with(d.path, pd.path))
  WHERE p.due_on BETWEEN $1 AND $2
  GROUP BY p.id, e.employee_no) a
"""
PILOT_POINTS_SQL = """
SELECT c.is_pilot, count(*), coalesce(sum(t.points), 0)
FROM employee_copy c LEFT JOIN period_total t ON t.employee_no = c.employee_no AND t.period = $1
WHERE c.status = 'active' AND c.department_path @> ARRAY['AP']::varchar[] GROUP BY c.is_pilot
"""
PILOT_SQL = f"""
SELECT d.path LIKE '/AP/AP-PROD/{PILOT_DEPARTMENT}/%' AS pilot, count(*),
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM training_fact f
         WHERE f.employee_no = e.employee_no AND f.occurred_at >= $1 AND f.occurred_at < $2
           AND f.voided_at IS NULL))
FROM employee e JOIN department d ON d.id = e.department_id
WHERE {ACTIVE} AND d.path LIKE '/AP/%' GROUP BY 1
"""
KPI_SQL = """
SELECT m.month, count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM training_fact f
         WHERE f.employee_no = e.employee_no AND f.occurred_at >= m.start_at
           AND f.occurred_at < m.end_at AND f.voided_at IS NULL)), max(k.defect_rate)
FROM (SELECT to_char(g, 'YYYY-MM') AS month, timezone($3, g) AS start_at,
             timezone($3, g + interval '1 month') AS end_at,
             (g + interval '1 month' - interval '1 day')::date AS last_day
      FROM generate_series($1::timestamp, $2::timestamp, interval '1 month') g) m
JOIN employee e ON e.status = 'active' AND (e.hired_on IS NULL OR e.hired_on <= m.last_day)
JOIN department d ON d.id = e.department_id AND d.path LIKE '/AP/AP-PROD/%'
LEFT JOIN department_kpi k ON k.department_id = (SELECT id FROM department
                                                 WHERE code = 'AP-PROD')
  AND to_char(k.month, 'YYYY-MM') = m.month
GROUP BY m.month ORDER BY m.month
"""
SATISFACTION_SQL = """
SELECT to_char(timezone($3, r.answered_at), 'YYYY-MM'), count(*),
       count(*) FILTER (WHERE a.scale >= 4)
FROM survey_answer a JOIN survey_question q ON q.id = a.question_id
JOIN survey_response r ON r.id = a.response_id JOIN survey s ON s.id = r.survey_id
WHERE q.kind = 'scale' AND s.kind = 'satisfaction' AND r.answered_at >= $1
  AND r.answered_at < $2
GROUP BY 1
"""
SURVEY_SQL = """
SELECT q.position, a.choice, a.scale, count(*)
FROM survey_answer a JOIN survey_question q ON q.id = a.question_id
JOIN survey_response r ON r.id = a.response_id JOIN survey s ON s.id = r.survey_id
JOIN department d ON d.id = r.department_id
WHERE s.code = 'AP-SAT-3' AND d.path LIKE '/AP/%' GROUP BY 1, 2, 3
"""

# the points mix: points and paying entries per rule of the period's entries (the null
# rule: HR's adjustments), within a department subtree or the whole company
MIX_SQL = """
SELECT le.rule_id, sum(le.qualifying_amount)::bigint, count(*) FILTER (WHERE le.kind = 'earn')
FROM ledger_entry le JOIN employee_copy c ON c.employee_no = le.employee_no
WHERE le.occurred_at >= $1 AND le.occurred_at < $2 AND le.kind <> 'spend'
  AND c.department_path @> $3::varchar[]
GROUP BY le.rule_id
"""
MIX_COMPANY_SQL = """
SELECT rule_id, sum(qualifying_amount)::bigint, count(*) FILTER (WHERE kind = 'earn')
FROM ledger_entry
WHERE occurred_at >= $1 AND occurred_at < $2 AND kind <> 'spend'
GROUP BY rule_id
"""
ALL_TIME = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))


class Bench:
    """The reports, each timed through the gateway and as hand-written SQL."""

    def __init__(self, stack: Stack, t: Timeline) -> None:
        self.stack, self.t = stack, t
        tz = ZoneInfo(TZ)
        self.tz = tz
        first = t.today.replace(day=1)
        self.month = (first, _next_month(first) - timedelta(days=1))
        self.year = (date(t.today.year, 1, 1), date(t.today.year, 12, 31))
        self.last12 = (t.months()[1], self.month[1])

    def bounds(self, days: tuple[date, date]) -> tuple[datetime, datetime]:
        def midnight(d: date) -> datetime:
            return datetime.combine(d, datetime.min.time(), tzinfo=self.tz).astimezone(UTC)

        return midnight(days[0]), midnight(days[1] + timedelta(days=1))

    def cases(self) -> list[Case]:
        m, y, l12 = self.month, self.year, self.last12
        month_starts = (datetime.combine(l12[0], datetime.min.time()),
                        datetime.combine(m[0], datetime.min.time()))
        return [
            Case("participation, month, AP by department",
                 "/training/v1/reports/participation?department=AP&group_by=department",
                 lambda tr, pt: tr.fetchrow(PARTICIPATION_SQL, *self.bounds(m), m[1]),
                 _same_total),
            Case("participation, year, AP by department",
                 f"/training/v1/reports/participation?department=AP&group_by=department"
                 f"&period=Y{y[0].year}",
                 lambda tr, pt: tr.fetchrow(PARTICIPATION_SQL, *self.bounds(y), y[1]),
                 _same_total),
            Case("skill attainment, AP by department",
                 "/training/v1/reports/skill-attainment?department=AP&group_by=department",
                 lambda tr, pt: tr.fetchrow(ATTAINMENT_SQL, *self.bounds(m), m[1]),
                 _same_total),
            Case("skill gaps, first page of 50", "/training/v1/reports/skill-gaps?department=AP",
                 lambda tr, pt: tr.fetch(GAPS_SQL, self.bounds(m)[1], m[1]),
                 lambda a, s: [i["employee_no"] for i in a["items"]] == [r[0] for r in s]),
            Case("time to competency, 12 months of hires",
                 "/training/v1/reports/time-to-competency?department=AP",
                 lambda tr, pt: tr.fetchrow(COMPETENCY_SQL, l12[0], l12[1], TZ),
                 lambda a, s: (a["total"]["hires"], a["total"]["competent"],
                               a["total"]["median_days"]) == (
                     s[0], s[1], None if s[2] is None else round(s[2], 1))),
            Case("effectiveness, top vs bottom 20%",
                 "/training/v1/reports/effectiveness?department=AP", self._effectiveness,
                 lambda a, s: a["top"]["attained"] + a["bottom"]["attained"] == s),
            Case("training plans, year", "/training/v1/reports/training-plans?department=AP",
                 lambda tr, pt: tr.fetchrow(PLANS_SQL, y[0], y[1], TZ),
                 lambda a, s: (a["total"]["assigned"], a["total"]["completed"]) == tuple(s)),
            Case("pilot comparison, year", "/training/v1/reports/pilot-comparison?department=AP",
                 self._pilot, _same_pilot),
            Case("production KPIs, AP-PROD, 12 months",
                 "/training/v1/reports/production-kpis?department=AP-PROD",
                 lambda tr, pt: tr.fetch(KPI_SQL, *month_starts, TZ),
                 lambda a, s: [(r["month"], r["employees"]) for r in a["months"]] == [
                     (r[0], r[1]) for r in s]),
            Case("satisfaction, 12 months by month",
                 "/training/v1/reports/satisfaction?department=AP",
                 lambda tr, pt: tr.fetch(SATISFACTION_SQL, *self.bounds(l12), TZ),
                 lambda a, s: {(r["period"], r["answers"], r["satisfied"]) for r in a["rows"]
                               if r["question_code"] is None and r["period"] != "all"}
                 == {tuple(r) for r in s}),
            Case("survey results, one survey",
                 "/training/v1/surveys/AP-SAT-3/results?department=AP",
                 lambda tr, pt: tr.fetch(SURVEY_SQL),
                 lambda a, s: {q["position"]: q["answers"] for q in a["questions"]
                               if q["answers"]} == _answers_per_question(s)),
            Case("points mix, month, AP-PROD", "/points/v1/reports/points-mix?department=AP-PROD",
                 lambda tr, pt: _roomy(pt, MIX_SQL, *self.bounds(m), ["AP-PROD"]), _same_mix),
            Case("points mix, year, company",
                 f"/points/v1/reports/points-mix?period=Y{y[0].year}",
                 lambda tr, pt: _roomy(pt, MIX_COMPANY_SQL, *self.bounds(y)), _same_mix),
            Case("points mix, all time, AP",
                 "/points/v1/reports/points-mix?period=ALL&department=AP",
                 lambda tr, pt: _roomy(pt, MIX_SQL, *ALL_TIME, ["AP"]), _same_mix),
        ]

    async def _effectiveness(self, tr: asyncpg.Connection, pt: asyncpg.Connection) -> Any:
        nos = [r[0] for r in await pt.fetch(QUANTILES_SQL)]
        return await tr.fetchval(SET_ATTAINMENT_SQL, nos)

    async def _pilot(self, tr: asyncpg.Connection, pt: asyncpg.Connection) -> Any:
        y = self.year
        return (await tr.fetch(PILOT_SQL, *self.bounds(y), y[1]),
                await tr.fetchrow(ATTAINMENT_SQL, *self.bounds(y), y[1]),
                await tr.fetchrow(PLANS_SQL, y[0], y[1], TZ),
                await pt.fetch(PILOT_POINTS_SQL, f"Y{y[0].year}"))

    async def measure(self) -> list[str]:
        tr = await asyncpg.connect(asyncpg_dsn(self.stack, "training"))
        pt = await asyncpg.connect(asyncpg_dsn(self.stack, "points"))
        out = []
        try:
            async with httpx.AsyncClient(base_url=self.stack.gateway_url, timeout=120) as http:
                for case in self.cases():
                    api, answer = await _median(lambda p=case.path: _get(http, p))
                    hand, figures = await _median(lambda q=case.sql: q(tr, pt))
                    ratio = api / hand if hand else float("inf")
                    verdict = "meets" if api < 1.0 or ratio < 1.5 else "MISSES"
                    agree = "same figures" if case.agree(answer, figures) else "FIGURES DIFFER"
                    out.append(f"{case.name:<40} API {api * 1000:6.0f} ms  hand-written SQL "
                               f"{hand * 1000:6.0f} ms  {ratio:4.1f}x  {verdict:<6} {agree}")
        finally:
            await tr.close()
            await pt.close()
        return out


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    sql: Callable[[asyncpg.Connection, asyncpg.Connection], Awaitable[Any]]
    agree: Callable[[Any, Any], bool]  # (the API's JSON, the SQL's result)


def _same_total(api: Any, row: Any) -> bool:
    return (api["total"]["employees"], api["total"]["count"]) == (row[0], row[1])


def _same_pilot(api: Any, found: Any) -> bool:
    participation, _, plans_row, points = found
    people = {bool(pilot): (n, hits) for pilot, n, hits in participation}
    pts = {bool(pilot): (n, total) for pilot, n, total in points}
    groups = {True: api["pilot"], False: api["rest"]}
    return all(
        (g["employees"], round(people[k][1] / people[k][0], 4)) ==
        (people[k][0], g["participation_rate"])
        and (g["points_employees"], g["total_points"]) == pts[k] for k, g in groups.items()
    ) and api["pilot"]["plan_assignments"] + api["rest"]["plan_assignments"] == plans_row[0]


async def _roomy(conn: asyncpg.Connection, sql: str, *args: Any) -> Any:
    """The query with the memory the report has (64 MB of work_mem), so that both hash
    the scope's employees in memory."""
    async with conn.transaction():
        await conn.execute("SET LOCAL work_mem = '64MB'")
        return await conn.fetch(sql, *args)


def _same_mix(api: Any, rows: Any) -> bool:
    found = {rule_id: (points, entries) for rule_id, points, entries in rows}
    adjusted = found.pop(None, (0, 0))[0]
    return ({s["rule_id"]: (s["points"], s["entries"]) for s in api["sources"]} == found
            and api["adjustments"]["points"] == adjusted
            and api["total_points"] == sum(points for points, _ in found.values()))


async def explain_mix(stack: Stack, month: tuple[datetime, datetime]) -> list[str]:
    """The plan of the report's own query for a month of a department subtree."""
    statement = mix_statement(*month, MixScope(department="AP-PROD"))
    compiled = statement.compile(dialect=asyncpg_dialect.dialect())
    conn = await asyncpg.connect(asyncpg_dsn(stack, "points"))
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL work_mem = '64MB'")
            plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}",
                                    *[compiled.params[k] for k in compiled.positiontup or []])
    finally:
        await conn.close()
    return ["EXPLAIN ANALYZE points mix, month, AP-PROD:", *("  " + r[0] for r in plan)]


def _answers_per_question(rows: Any) -> dict[int, int]:
    out: dict[int, int] = {}
    for position, _, _, n in rows:
        out[position] = out.get(position, 0) + n
    return out


async def _get(http: httpx.AsyncClient, path: str) -> Any:
    r = await http.get(path, headers=HR)
    r.raise_for_status()
    return r.json()


async def _median(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """Median time of RUNS calls after a warm-up, and the last call's answer."""
    result = await call()  # warm-up: plans and caches
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        result = await call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def run(stack: Stack) -> list[str]:
    tz = ZoneInfo(TZ)
    t = Timeline(datetime.now(UTC).astimezone(tz).date(), tz)  # type: ignore[arg-type]
    with httpx.Client(base_url=stack.gateway_url, timeout=300) as client:
        _org(client, t)
    out = [f"scale: {EMPLOYEES:,} employees (BENCH_DASHBOARD_EMPLOYEES), up to "
           f"{FACTS_PER_EMPLOYEE} training records each over a year"]
    out += asyncio.run(_generate(stack, t))
    with httpx.Client(base_url=stack.gateway_url, timeout=300) as client:
        _plans(client, t)
    bench = Bench(stack, t)
    out += asyncio.run(bench.measure())
    out += asyncio.run(explain_mix(stack, bench.bounds(bench.month)))
    return out
