"""Skill records made before levels existed are migrated as docs/training-records.md
says: at the level the employee's role requires of the skill, else level 1."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg

from jifen.stack import Stack

REPO = Path(__file__).resolve().parents[3]
BEFORE_LEVELS = "0003"

SEED = """
INSERT INTO department (code, name, path) VALUES ('D', '车间', '/D/');
INSERT INTO skill (code, name) VALUES ('S-REQ', '设备操作'), ('S-OTHER', '质量控制');
INSERT INTO job_role (code, name, family) VALUES ('R', '操作工', 'production');
INSERT INTO job_role_skill (job_role_id, skill_id, level)
  SELECT r.id, s.id, 3 FROM job_role r, skill s WHERE s.code = 'S-REQ';
INSERT INTO employee (employee_no, name, department_id, job_role_id, is_front_line, status)
  SELECT 'E1', '张伟', d.id, r.id, true, 'active' FROM department d, job_role r;
INSERT INTO training_fact (id, fact_type, employee_no, occurred_at, content_hash, recorded_by)
VALUES ('{a}', 'practical_assessment', 'E1', now(), 'x', 'A'),
       ('{b}', 'practical_assessment', 'E1', now(), 'y', 'A'),
       ('{c}', 'practical_assessment', 'E1', now(), 'z', 'A');
INSERT INTO practical_assessment (id, skill_code, passed, assessor) VALUES
  ('{a}', 'S-REQ', true, 'A'), ('{b}', 'S-OTHER', true, 'A'), ('{c}', 'S-REQ', false, 'A');
INSERT INTO employee_skill (employee_no, skill_code, fact_id, proven_by, since) VALUES
  ('E1', 'S-REQ', '{a}', 'practical_assessment', now()),
  ('E1', 'S-OTHER', '{b}', 'practical_assessment', now());
"""


def _alembic(url: str, *args: str) -> None:
    env = {**os.environ, "TRAINING_DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "alembic", "-c",
                           str(REPO / "migrations/training/alembic.ini"), *args],
                          cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


async def test_records_before_levels_count_at_the_level_their_role_requires(stack: Stack):
    assert stack.pg is not None
    name = f"jifen_migration_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(host="127.0.0.1", port=stack.pg.port, user="postgres",
                                  database="postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = stack.pg.url(name)
        await asyncio.to_thread(_alembic, url, "upgrade", BEFORE_LEVELS)
        ids = {k: str(uuid.uuid4()) for k in "abc"}
        conn = await asyncpg.connect(host="127.0.0.1", port=stack.pg.port, user="postgres",
                                     database=name)
        try:
            await conn.execute(SEED.format(**ids))
            await asyncio.to_thread(_alembic, url, "upgrade", "head")
            proofs = dict(await conn.fetch("SELECT skill_code, level FROM employee_skill"))
            practicals = dict(await conn.fetch(
                "SELECT id::text, level FROM practical_assessment"))
            await asyncio.to_thread(_alembic, url, "downgrade", BEFORE_LEVELS)
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
    assert proofs == {"S-REQ": 3, "S-OTHER": 1}
    assert practicals == {ids["a"]: 3, ids["b"]: 1, ids["c"]: 1}
