"""History import at scale: 100,000 legacy records of 2,000 employees (course
completions, exam scores, practical results, skill levels over six years) in one
job through the gateway, replayed under the rules; then the same file again
(nothing changes). Reports the rows written per second, the events points_api
applied per second, and the whole job from upload to its reconciliation."""

from __future__ import annotations

import os
import random
import time
from typing import Any

import httpx

from bench.employees import import_csv, seed_org
from jifen.stack import Stack
from tests.conftest import auth

HR = auth("BENCH-HR", "hr_admin")
ROWS = int(os.environ.get("BENCH_HISTORY_ROWS", "100000"))
EMPLOYEES = 2000
HEADER = "记录编号,工号,类型,日期,课程编码,考试编码,成绩,技能编码,结果,等级,积分"


def seed_catalogue(client: httpx.Client) -> None:
    client.put("/training/v1/skills/BH-SKILL", headers=HR,
               json={"name": "设备点检"}).raise_for_status()
    for i in range(10):
        client.put(f"/training/v1/courses/BH-C{i}", headers=HR, json={
            "title": f"历史课程{i}", "format": "offline", "difficulty": "intermediate",
            "class_hours": "2", "skill_codes": ["BH-SKILL"]}).raise_for_status()
        client.put(f"/training/v1/exams/BH-X{i}", headers=HR, json={
            "course_code": f"BH-C{i}", "title": f"历史考试{i}",
            "pass_score": 60}).raise_for_status()


def history_csv(rows: int, prefix: str) -> bytes:
    rng = random.Random(14)
    lines = [HEADER]
    for i in range(rows):
        no = f"BH{i % EMPLOYEES:06d}"
        day = f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        pick = rng.random()
        if pick < 0.6:
            lines.append(f"{prefix}{i},{no},课程完成,{day},BH-C{i % 10},,,,,,16")
        elif pick < 0.85:
            lines.append(f"{prefix}{i},{no},考试,{day},,BH-X{i % 10},{rng.randint(50, 100)},,,,10")
        elif pick < 0.95:
            lines.append(f"{prefix}{i},{no},实操考核,{day},,,,BH-SKILL,通过,2,30")
        else:
            lines.append(f"{prefix}{i},{no},技能等级,{day},,,,BH-SKILL,,3,0")
    return ("\n".join(lines) + "\n").encode()


def run_job(client: httpx.Client, content: bytes) -> tuple[dict[str, Any], float, float]:
    """(final status, seconds until every row was written, seconds until done)."""
    started = time.monotonic()
    r = client.post("/training/v1/history-imports", headers=HR,
                    files={"file": ("history.csv", content, "text/csv")})
    r.raise_for_status()
    job, written = r.json(), None
    while job["status"] not in ("done", "failed"):
        time.sleep(0.5)
        job = client.get(job["links"]["status"], headers=HR).json()
        if written is None and job["progress"]["phase"] not in ("queued", "reading",
                                                                 "importing"):
            written = time.monotonic() - started
    done = time.monotonic() - started
    if job["status"] != "done":
        raise RuntimeError(f"history import failed: {job['error']}")
    return job, written or done, done


def run(stack: Stack) -> list[str]:
    with httpx.Client(base_url=stack.gateway_url, timeout=600) as client:
        dept, role = seed_org(client)
        import_csv_rows = import_csv(EMPLOYEES, dept, role, "BH")
        client.post("/training/v1/employee-imports", headers=HR,
                    files={"file": ("employees.csv", import_csv_rows, "text/csv")}
                    ).raise_for_status()
        seed_catalogue(client)
        content = history_csv(ROWS, "LEG")
        job, written, done = run_job(client, content)
        again, _, again_done = run_job(client, content)
    p, t = job["progress"], job["totals"]["total"]
    return [
        f"{ROWS:,} legacy rows ({len(content) / 1e6:.1f} MB CSV) of {EMPLOYEES:,} employees, "
        f"replay: rows written in {written:.0f} s = {p['rows_per_second']:,.0f} rows/s "
        f"(job's own figure), {ROWS / written:,.0f} rows/s from upload",
        f"  points applied: {p['events_total']:,} events, job done after {done:.0f} s = "
        f"{ROWS / done:,.0f} rows/s end to end; legacy {t['legacy']:,} vs Jifen "
        f"{t['jifen']:,} points",
        f"same file again: {again['counts']['unchanged']:,} unchanged in {again_done:.0f} s "
        f"= {ROWS / again_done:,.0f} rows/s",
    ]
