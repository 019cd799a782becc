"""`jifen evaluate recommendations` on a training database: the history it reads
(people, role models, dated completions, plans with the day they were set up) and
the command's answer."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.training_api.recommendations.db_history import history
from shared.db import create_engine, make_sessionmaker
from tests.factories import HR, uid
from tests.training_api.records import LMS, ago, create_course, new_employee

TZ = "Asia/Shanghai"


async def test_the_database_history_and_the_command(gw, stack):
    emp = await new_employee(gw)
    no, org = emp["employee_no"], emp["org"]
    skill, role = org["skill"]["code"], org["role"]["code"]
    first = (await create_course(gw, title="设备点检 1 级", skills=[(skill, 1)]))["code"]
    second = (await create_course(gw, title="设备点检 2 级", skills=[(skill, 2)]))["code"]
    due = date.today() + timedelta(days=40)
    r = await gw.put(f"/training/v1/training-plans/{uid('P')}", headers=HR, json={
        "name": "点检提升", "course_codes": [second], "department_code":
        org["department"]["code"], "due_on": due.isoformat()})
    assert r.status_code == 201, r.text
    r = await gw.post("/training/v1/course-completions", headers=LMS, json={
        "employee_no": no, "course_code": first, "completed_at": ago(days=20)})
    assert r.status_code == 201, r.text

    url = stack.database_url("training")
    engine = create_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            h = await history(session, tz=TZ)
    finally:
        await engine.dispose()
    assert [(p.job_role, p.left_on) for p in h.people if p.employee_no == no] == [(role, None)]
    assert h.roles[role].required == {skill: 2}
    today = datetime.now(ZoneInfo(TZ)).date()
    assert [(c, d) for n, c, d in h.completions if n == no] == [
        (first, today - timedelta(days=20))]
    assert [(p.course_code, p.plan_name, p.due_on) for p in h.plans if p.employee_no == no] \
        == [(second, "点检提升", due)]
    assert {first, second} <= {c.code for c in h.courses}

    argv = [sys.executable, "-m", "jifen.cli", "evaluate", "recommendations",
            "--training-url", url, "--cutoff", (today - timedelta(days=30)).isoformat(),
            "--horizon", "30", "--format", "json"]
    done = await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True,
                                   timeout=300)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["employees"] >= 1 and doc["horizon_days"] == 30
    for figures in (doc["hit_rate_at_5"], doc["ndcg_at_5"]):
        assert set(figures) == {"ranker", "popularity_in_role", "random"}
        assert all(0 <= v <= 1 for v in figures.values())
