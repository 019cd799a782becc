"""Issue-6 benchmark: the rule what-if over a month of events at plant scale (100,000
employees by default, BENCH_WHATIF_EMPLOYEES for another scale; about one training
event per employee per month, as the dashboard benchmark's year of facts).

Two months of events are generated deterministically (the month before the window
gives the caps and exam top-ups their history), scored with the default rules, and
written straight into points_api's event log, ledger, accounts and period totals, as
the earning consumer would have left them. Then, through the gateway:

- the default rules replayed over the window (must show no difference), and a draft
  paying 40 instead of 30 for a passed practical assessment (must show exactly 10 per
  passed assessment of the window), each timed from the POST until ``done``;
- that draft's difference applied as adjustment entries.

Baseline, same run: one hand-written query reading the window's events (with their
payloads decoded), the floor any replay pays. Reported as events per second.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from bench.harness import asyncpg_dsn
from jifen.stack import Stack
from services.points_api.ledger.periods import period_keys
from services.points_api.rules.defaults import default_rule_set
from services.points_api.whatif.replay import LoggedEvent, Replay
from tests.conftest import auth

HR = auth("BENCH-HR", "hr_admin")
EMPLOYEES = int(os.environ.get("BENCH_WHATIF_EMPLOYEES", "100000"))
TZ = ZoneInfo("Asia/Shanghai")
PREVIOUS, WINDOW = (2025, 5), (2025, 6)
SEED = 20251
DEPARTMENTS = [(f"WIF-{i}", ["WIF", f"WIF-{i}"]) for i in range(20)]
FAMILIES = ["production"] * 7 + ["technical", "quality", "logistics"]


def _employee(i: int) -> dict[str, Any]:
    code, path = DEPARTMENTS[i % len(DEPARTMENTS)]
    family = FAMILIES[i % len(FAMILIES)]
    return {"employee_no": f"W{i:07d}", "job_role_code": f"R-{family}",
            "job_role_family": family, "department_code": code, "department_path": path,
            "is_pilot": i % len(DEPARTMENTS) == 0, "is_front_line": family == "production"}


def _payload(rng: random.Random, kind: int, at: datetime, no: str) -> tuple[str, dict[str, Any]]:
    base = {"fact_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "employee_no": no, "occurred_at": at.isoformat()}
    if kind < 50:
        return "course.completed", {
            **base, "course_code": f"C-{rng.randrange(40)}", "course_title": "设备操作",
            "course_format": "online",
            "course_difficulty": rng.choice(["basic", "intermediate", "advanced"]),
            "class_hours": str(rng.choice([1, 2, 3])),
            **({"course_points": 20} if kind < 10 else {})}
    if kind < 70:
        return "live.interaction", {**base, "kind": rng.choice(["speak", "question"])}
    if kind < 80:
        return "note.shared", {**base, "title": "学习笔记"}
    if kind < 90:
        return "exam.attempted", {**base, "exam_code": f"E-{rng.randrange(5)}",
                                  "exam_title": "安全考试", "score": rng.randrange(60, 101),
                                  "pass_score": 60}
    if kind < 97:
        return "practical.assessed", {**base, "skill_code": "S-SETUP", "skill_name": "设备调试",
                                      "passed": rng.random() < 0.8, "assessor": "A001"}
    return "skill_application.confirmed", {**base, "summary": "改进工装",
                                           "points": rng.randrange(50, 101), "confirmer": "M1"}


def _events() -> list[LoggedEvent]:
    """About one event per employee per month, in two months, in occurred order."""
    rng = random.Random(SEED)
    out = []
    for year, month in (PREVIOUS, WINDOW):
        start = datetime(year, month, 1, tzinfo=TZ)
        for i in range(EMPLOYEES):
            employee = _employee(i)
            for _ in range(rng.choice([0, 1, 1, 2])):
                at = start + timedelta(minutes=rng.randrange(28 * 24 * 60))
                event_type, payload = _payload(rng, rng.randrange(100), at,
                                               employee["employee_no"])
                out.append((at, event_type, payload, employee))
    out.sort(key=lambda e: e[0])
    return [LoggedEvent(seq=n, event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                        event_type=event_type, employee_no=payload["employee_no"],
                        fact_id=payload["fact_id"], occurred_at=at, payload=payload,
                        employee=employee)
            for n, (at, event_type, payload, employee) in enumerate(out, start=1)]


async def _generate(stack: Stack) -> tuple[int, int, str]:
    """Write the log, ledger, accounts and totals; the window's events, its passed
    practical assessments, and a line on the generation."""
    started = time.perf_counter()
    events = _events()
    replay = Replay(default_rule_set(), tz=TZ, keep_awards=True)
    for event in events:
        replay.feed(event)
    assert replay.awards is not None
    conn = await asyncpg.connect(asyncpg_dsn(stack, "points"))
    try:
        async with conn.transaction():
            await conn.copy_records_to_table("employee_copy", records=[
                (e["employee_no"], f"员工{i}", e["department_code"], e["department_path"],
                 e["is_pilot"], e["job_role_code"], e["job_role_family"], e["is_front_line"],
                 None, "active", 1) for i, e in enumerate(map(_employee, range(EMPLOYEES)))],
                columns=["employee_no", "name", "department_code", "department_path", "is_pilot",
                         "job_role_code", "job_role_family", "is_front_line", "hired_on",
                         "status", "version"])
            accounts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            totals: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for logged, award in replay.awards:
                accounts[logged.employee_no][award.category] += award.points
                for key in period_keys(award.occurred_at, TZ):
                    totals[(key, logged.employee_no)][award.category] += award.points
            await conn.copy_records_to_table("account", records=[
                (no, sum(c.values()), sum(c.values()), c["participation"], c["outcome"],
                 c["growth"]) for no, c in accounts.items()],
                columns=["employee_no", "balance", "qualifying", "participation_points",
                         "outcome_points", "growth_points"])
            await conn.copy_records_to_table("training_event_log", records=[
                (e.event_id, e.event_type, e.employee_no, e.fact_id, e.occurred_at,
                 json.dumps(e.payload, ensure_ascii=False),
                 json.dumps(e.employee, ensure_ascii=False)) for e in events],
                columns=["event_id", "event_type", "employee_no", "fact_id", "occurred_at",
                         "payload", "employee"])
            await conn.copy_records_to_table("ledger_entry", records=[
                (logged.employee_no, "earn", a.points, a.points, a.category, a.rule_id, 1,
                 logged.event_id, a.fact_id, a.dedupe_key, f"bench {a.rule_id}",
                 a.occurred_at) for logged, a in replay.awards],
                columns=["employee_no", "kind", "amount", "qualifying_amount", "category",
                         "rule_id", "rule_set_version", "source_event_id", "source_fact_id",
                         "dedupe_key", "reason", "occurred_at"])
            await conn.copy_records_to_table("period_total", records=[
                (key, no, sum(c.values()), c["participation"], c["outcome"], c["growth"])
                for (key, no), c in totals.items()],
                columns=["period", "employee_no", "points", "participation_points",
                         "outcome_points", "growth_points"])
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    start, end = _window()
    in_window = [e for e in events if start <= e.occurred_at < end]
    passed = sum(1 for e in in_window
                 if e.event_type == "practical.assessed" and e.payload["passed"])
    line = (f"generated {len(events):,} events over two months ({len(in_window):,} in the "
            f"window) and {len(replay.awards):,} ledger entries in "
            f"{time.perf_counter() - started:.0f} s")
    return len(in_window), passed, line


def _window() -> tuple[datetime, datetime]:
    (year, month) = WINDOW
    return (datetime(year, month, 1, tzinfo=TZ).astimezone(UTC),
            datetime(year, month + 1, 1, tzinfo=TZ).astimezone(UTC))


async def _baseline(stack: Stack) -> float:
    """Seconds to read the window's events once, payloads decoded (median of 3)."""
    start, end = _window()
    conn = await asyncpg.connect(asyncpg_dsn(stack, "points"))
    try:
        times = []
        for _ in range(3):
            began = time.perf_counter()
            rows = await conn.fetch(
                "SELECT seq, event_id, event_type, employee_no, fact_id, occurred_at, payload, "
                "employee FROM training_event_log WHERE occurred_at >= $1 AND occurred_at < $2 "
                "ORDER BY seq", start, end)
            decoded = [(json.loads(r["payload"]), json.loads(r["employee"])) for r in rows]
            times.append(time.perf_counter() - began)
            assert decoded
        return statistics.median(times)
    finally:
        await conn.close()


def _simulate(client: httpx.Client, version: int) -> tuple[float, dict[str, Any]]:
    period = f"M{WINDOW[0]}-{WINDOW[1]:02d}"
    began = time.perf_counter()
    r = client.post(f"/points/v1/rule-sets/{version}/simulations", headers=HR,
                    json={"period": period})
    r.raise_for_status()
    while True:
        sim = client.get(f"/points/v1/simulations/{r.json()['id']}", headers=HR).json()
        if sim["status"] != "running":
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - began
    if sim["status"] != "done":
        raise RuntimeError(f"simulation failed: {sim['error']}")
    return elapsed, sim


def _draft(client: httpx.Client) -> int:
    rules = client.get("/points/v1/rule-sets/1", headers=HR).json()["rules"]
    for rule in rules:
        if rule["id"] == "practical.passed":
            rule["award"] = {"kind": "fixed", "points": 40}
    r = client.post("/points/v1/rule-sets", headers=HR, json={"rules": rules})
    r.raise_for_status()
    return int(r.json()["version"])


def run(stack: Stack) -> list[str]:
    out = [f"scale: {EMPLOYEES:,} employees (BENCH_WHATIF_EMPLOYEES), about one training "
           "event each per month"]
    events, passed, line = asyncio.run(_generate(stack))
    out.append(line)
    floor = asyncio.run(_baseline(stack))
    out.append(f"baseline: one query reading the window's {events:,} events: {floor:.2f} s "
               f"= {events / floor:,.0f} events/s")
    with httpx.Client(base_url=stack.gateway_url, timeout=600) as client:
        client.put("/points/v1/positions/BENCH-LEAD", headers=HR, json={
            "name": "生产组长", "min_points": 200, "required_skills": ["S-NOBODY"]}
        ).raise_for_status()
        for label, version, expected in (("default rules (no change)", 1, 0),
                                         ("draft: practical 30 -> 40", _draft(client),
                                          10 * passed)):
            seconds, sim = _simulate(client, version)
            summary = sim["summary"]
            if summary["events"] != events or summary["difference"] != expected:
                raise RuntimeError(f"{label}: {summary['events']} events, difference "
                                   f"{summary['difference']}, expected {events} and {expected}")
            crossing = sum(m["gained"] + m["lost"] for m in summary["milestones"])
            out.append(f"what-if, {label}: {seconds:.2f} s = {events / seconds:,.0f} events/s "
                       f"({floor / seconds:.0%} of the baseline's rate); difference "
                       f"{summary['difference']:+,} points for {summary['employees_changed']:,}"
                       f" employees, {crossing:,} points-bar crossings")
            last = sim
        began = time.perf_counter()
        r = client.post(f"/points/v1/simulations/{last['id']}/apply", headers=HR,
                        json={"reason": "bench"})
        r.raise_for_status()
        seconds = time.perf_counter() - began
        application = r.json()["application"]
        out.append(f"apply the draft's difference: {application['entries']:,} adjustment entries"
                   f" ({application['points']:+,} points) in {seconds:.2f} s")
    return out
