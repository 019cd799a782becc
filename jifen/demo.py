"""``jifen demo`` (``make demo``): load the sample plant of the source article through
the public API, so that every dashboard report shows meaningful figures.

Everything goes through the gateway as an HR suite, a learning platform and the
employees' app would send it, so points are computed by the real rules. Re-running
is harmless: business keys are upserted, facts carry client ids, answers and
decisions that exist already are left alone.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from jifen import config
from jifen.demo_plant import (
    COURSES,
    DEPARTMENTS,
    ELECTIVES,
    NAMESPACE,
    PATH_COURSES,
    PILOT_DEPARTMENT,
    PLANS,
    ROLE_LEVEL,
    ROLES,
    SKILLS,
    Employee,
    Timeline,
    department_managers,
    kpi_figures,
    mood,
    plant,
)

# Conflicts that mean "this is already there" on a re-run
ALREADY = ("client-id-conflict", "survey-already-answered", "already-decided")


class Loader:
    """Sends requests with at most ``concurrency`` in flight, retries what the system
    asks to retry (429, 503, dropped connections) and counts the outcomes."""

    def __init__(self, client: httpx.AsyncClient, *, token: str, concurrency: int,
                 progress: bool) -> None:
        self.client, self.progress = client, progress
        self.headers = {"Authorization": f"Bearer {token}"}
        self.limit = asyncio.Semaphore(concurrency)
        self.outcomes: Counter[str] = Counter()
        self.failures: list[str] = []

    async def send(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                   **kwargs: Any) -> httpx.Response | None:
        async with self.limit:
            for attempt in range(6):
                try:
                    r = await self.client.request(method, path, headers=headers or self.headers,
                                                  **kwargs)
                except httpx.TransportError:
                    await asyncio.sleep(0.5 * 2 ** attempt)
                    continue
                if r.status_code in (429, 502, 503, 504):
                    await asyncio.sleep(0.5 * 2 ** attempt)
                    continue
                self._count(method, path, r)
                return r
        self._fail(f"{method} {path}: no answer after retries")
        return None

    def _count(self, method: str, path: str, r: httpx.Response) -> None:
        if r.status_code == 201:
            self.outcomes["created"] += 1
        elif r.status_code < 300:
            self.outcomes["unchanged"] += 1
        elif r.status_code == 409 and r.json().get("type", "").endswith(ALREADY):
            self.outcomes["present"] += 1
        else:
            self._fail(f"{method} {path}: {r.status_code} {r.text[:300]}")

    def _fail(self, message: str) -> None:
        self.outcomes["failed"] += 1
        if len(self.failures) < 10:
            self.failures.append(message)

    async def all(self, label: str, requests: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Send the requests concurrently, showing progress."""
        from jifen.progress import progress

        with progress(label, total=len(requests), unit="req", enabled=self.progress) as bar:

            async def one(method: str, path: str, kwargs: dict[str, Any]) -> None:
                await self.send(method, path, **kwargs)
                bar.advance()

            await asyncio.gather(*(one(m, p, k) for m, p, k in requests))


def skills() -> list[tuple[str, str, dict[str, Any]]]:
    return [("PUT", f"/training/v1/skills/{code}", {"json": {"name": name}})
            for code, name in SKILLS.items()]


def roles_and_courses() -> list[tuple[str, str, dict[str, Any]]]:
    out: list[tuple[str, str, dict[str, Any]]] = [
        ("PUT", f"/training/v1/job-roles/{code}", {"json": {
            "name": name, "family": family,
            "required_skills": [{"skill_code": s, "level": ROLE_LEVEL} for s in required]}})
        for code, (name, family, required, _) in ROLES.items()]
    for c in COURSES:
        out.append(("PUT", f"/training/v1/courses/{c.code}", {"json": {
            "title": c.title, "format": c.format, "difficulty": c.difficulty,
            "class_hours": c.hours,
            "teaches": [{"skill_code": c.skill, "level": ROLE_LEVEL}] if c.skill else [],
            "points": c.points, "family_points": c.family_points, "tags": list(c.tags)}}))
    return out


def path_courses() -> list[list[tuple[str, str, dict[str, Any]]]]:
    """The electives, then the progression courses in batches, each needing only
    courses of the batches before it (a prerequisite must exist when its course is
    created)."""
    known = {c.code for c in COURSES}
    left, batches = list(PATH_COURSES), [[("PUT", f"/training/v1/courses/{c.code}", {"json": {
        "title": c.title, "format": c.format, "difficulty": "basic", "class_hours": c.hours,
        "teaches": [{"skill_code": c.skill, "level": c.level}] if c.skill else []}})
        for c in ELECTIVES]]
    while left:
        ready = [c for c in left if c.prerequisite in known]
        batches.append([("PUT", f"/training/v1/courses/{c.code}", {"json": {
            "title": c.title, "format": c.format, "difficulty": "advanced",
            "class_hours": c.hours, "teaches": [{"skill_code": c.skill, "level": c.level}],
            "prerequisites": [c.prerequisite]}}) for c in ready])
        known |= {c.code for c in ready}
        left = [c for c in left if c not in ready]
    return batches


def exams() -> list[tuple[str, str, dict[str, Any]]]:
    return [("PUT", f"/training/v1/exams/{c.code}-X", {"json": {
        "course_code": c.code, "title": f"{c.title} 结业考试", "pass_score": 60}})
        for c in COURSES if c.skill and c.format != "practical"]


def employee_csv(staff: list[Employee], *, left: bool = False) -> bytes:
    """The directory as the HR suite exports it; with ``left`` the leavers as they are
    at the end (离职 with their last day). Everyone is loaded as 在职 first, so that the
    records of their working months can be recorded."""
    lines = ["工号,姓名,部门编码,岗位编码,是否一线,入职日期,状态,离职日期"]
    lines += [f"{e.no},{e.name},{e.department},{e.role},{'是' if e.front_line else '否'},"
              f"{e.hired_on.isoformat()},"
              + (f"离职,{e.left_on.isoformat()}" if left and e.left_on else "在职,")
              for e in staff if not left or e.left_on]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


async def load_org(loader: Loader, t: Timeline, staff: list[Employee]) -> None:
    for code, name, parent in DEPARTMENTS:  # parents first
        await loader.send("PUT", f"/training/v1/departments/{code}",
                          json={"name": name, "parent_code": parent,
                                "is_pilot": code == PILOT_DEPARTMENT})
    await loader.all("skills", skills())  # before the roles and courses that name them
    await loader.all("roles and courses", roles_and_courses())
    for batch in path_courses():
        await loader.all("progressions", batch)
    await loader.all("exams", exams())
    await loader.send("PUT", f"/training/v1/departments/{PILOT_DEPARTMENT}/pilot", json={
        "started_on": t.pilot_start.isoformat(), "note": "积分体系试点：机加工一车间"})
    r = await loader.send("POST", "/training/v1/employee-imports",
                          files={"file": ("employees.csv", employee_csv(staff), "text/csv")})
    if r is not None and r.status_code == 200:
        report = r.json()
        print(f"employees: {report['created']} created, {report['updated']} updated, "
              f"{report['unchanged']} unchanged, {len(report['rejected'])} rejected",
              file=sys.stderr)


async def wait_for_points(loader: Loader, staff: list[Employee], within: float = 120) -> None:
    """points_api learns of employees through the outbox; facts wait until it has them
    (an employee's account answers once points_api holds the employee)."""
    deadline = time.monotonic() + within
    for emp in (staff[0], staff[len(staff) // 2], staff[-1]):
        while time.monotonic() < deadline:
            r = await loader.client.get(f"/points/v1/accounts/{emp.no}",
                                        headers=loader.headers)
            if r.status_code == 200:
                break
            await asyncio.sleep(0.5)


async def load_applications(loader: Loader, applications: list[tuple[str, dict[str, Any], int]],
                            secret: tuple[str, str, str]) -> None:
    """Employees submit skill applications from the app; HR confirms them with points."""
    from shared.tokens import mint_token

    key, issuer, audience = secret

    async def one(no: str, body: dict[str, Any], points: int) -> None:
        token = mint_token(secret=key, sub=no, roles=["employee"], issuer=issuer,
                           audience=audience, ttl_seconds=3600)
        r = await loader.send("POST", "/training/v1/skill-applications", json=body,
                              headers={"Authorization": f"Bearer {token}"})
        if r is not None and r.status_code in (200, 201) and r.json()["status"] == "submitted":
            await loader.send("POST", f"/training/v1/skill-applications/{r.json()['id']}/confirm",
                              json={"points": points})

    await asyncio.gather(*(one(*a) for a in applications))


def plans(t: Timeline, staff: list[Employee]) -> list[tuple[str, str, dict[str, Any]]]:
    """The plant's training plans (``PLANS``; their members take the courses, see
    ``path_steps``)."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for p in PLANS:
        body: dict[str, Any] = {
            "name": p.name, "course_codes": list(p.courses),
            "starts_on": (t.today - timedelta(days=p.starts_days_ago)).isoformat(),
            "due_on": (t.today + timedelta(days=p.due_in_days)).isoformat()}
        if p.listed_role is not None:
            body["employee_nos"] = [e.no for e in staff if p.applies_to(e)]
        else:
            body.update({k: v for k, v in (("department_code", p.department),
                                           ("job_role_code", p.job_role)) if v is not None})
        out.append(("PUT", f"/training/v1/training-plans/{p.code}", {"json": body}))
    return out


SATISFACTION_WAVES = [  # (code, title, opens days ago, share of answers 4-5, share willing)
    ("AP-SAT-1", "积分体系上线前 培训满意度调查", 330, 0.55, 0.5),
    ("AP-SAT-2", "试点期 培训满意度调查", 185, 0.7, 0.65),
    ("AP-SAT-3", "年终 培训满意度调查", 40, 0.88, 0.8),
]
SATISFACTION_QUESTIONS = [
    {"code": "fairness", "kind": "scale",
     "text": "您认为积分规则公平吗？（1 很不公平 - 5 很公平）"},
    {"code": "satisfaction", "kind": "scale", "text": "您对培训的总体满意度（1-5）"},
    {"code": "continue", "kind": "single_choice", "text": "您是否愿意继续参与培训？",
     "options": [{"value": "yes", "label": "愿意"}, {"value": "no", "label": "不愿意"}]},
    {"code": "suggestion", "kind": "text", "text": "您对培训和积分的建议", "required": False},
]
NEEDS_QUESTIONS = [
    {"kind": "single_choice", "text": "您更喜欢哪种培训形式？", "preference": "format",
     "options": [{"value": "online", "label": "线上视频"}, {"value": "practical",
                                                          "label": "线下实操"},
                 {"value": "live", "label": "直播互动"}]},
    {"kind": "single_choice", "text": "每次培训多长合适？", "preference": "length",
     "options": [{"value": "15min", "label": "15分钟以内"}, {"value": "30min",
                                                          "label": "30分钟左右"},
                 {"value": "60min", "label": "1小时以上"}]},
    {"kind": "single_choice", "text": "什么时间参加培训最方便？", "preference": "time_of_day",
     "options": [{"value": "before_shift", "label": "班前"}, {"value": "lunch", "label": "午休"},
                 {"value": "after_shift", "label": "班后"}]},
]
SUGGESTIONS = ("课程时间太长，希望拆成短课", "积分兑换选项太少", "希望多一些实操课程",
               "直播课时间能否安排在班前", "兑换的礼品不够实用，希望有超市购物卡")


def surveys(t: Timeline) -> list[tuple[str, str, dict[str, Any]]]:
    def window(days_ago: int) -> dict[str, str]:
        return {"opens_at": t.at(t.today - timedelta(days=days_ago), 8),
                "closes_at": t.at(t.today - timedelta(days=days_ago - 25), 8)}

    out = [("PUT", f"/training/v1/surveys/{code}", {"json": {
        "title": title, "kind": "satisfaction", "questions": SATISFACTION_QUESTIONS,
        **window(days)}}) for code, title, days, _, _ in SATISFACTION_WAVES]
    out.append(("PUT", "/training/v1/surveys/AP-NEEDS", {"json": {
        "title": "员工培训需求调研", "kind": "training_needs", "questions": NEEDS_QUESTIONS,
        **window(340)}}))
    return out


def answers(seed: int, t: Timeline,
            staff: list[Employee]) -> list[tuple[str, str, dict[str, Any]]]:
    """Most employees answer each wave (HR enters the answers collected in the
    workshops, with the day they were given)."""
    rng = random.Random(f"{seed}:answers")
    out = []
    for code, _, days, satisfied, willing in SATISFACTION_WAVES:
        for emp in staff:
            if emp.hired_on > t.today - timedelta(days=days) or rng.random() > 0.6:
                continue
            day = t.today - timedelta(days=days - rng.randrange(1, 20))
            if emp.left_on is not None and day > emp.left_on:
                continue
            feeling = mood(emp, day)

            def scale(share: float) -> int:
                return rng.choice((4, 5)) if rng.random() < share else rng.choice((1, 2, 3, 3))

            given = [{"question": 1, "scale": scale(satisfied * feeling)},
                     {"question": 2, "scale": scale(satisfied * feeling)},
                     {"question": 3, "choice": "yes" if rng.random() < willing * feeling
                      else "no"}]
            if rng.random() < 0.1:
                given.append({"question": 4, "text": rng.choice(SUGGESTIONS)})
            out.append(("POST", f"/training/v1/surveys/{code}/responses", {"json": {
                "employee_no": emp.no, "answered_at": t.at(day, 12), "answers": given}}))
    for emp in staff:
        if emp.hired_on > t.today - timedelta(days=340) or rng.random() > 0.6:
            continue
        short = emp.front_line or rng.random() < 0.3
        out.append(("POST", "/training/v1/surveys/AP-NEEDS/responses", {"json": {
            "employee_no": emp.no, "answered_at": t.at(t.today - timedelta(days=330), 12),
            "answers": [
                {"question": 1, "choice": "practical" if short and rng.random() < 0.6
                 else rng.choice(("online", "live"))},
                {"question": 2, "choice": "15min" if short else rng.choice(("30min", "60min"))},
                {"question": 3, "choice": rng.choice(("before_shift", "lunch", "after_shift"))},
            ]}}))
    return out


FEEDBACK = [("courses", "设备操作基础", "课程时间太长，希望缩短到 15 分钟"),
            ("rewards", None, "积分兑换的礼品不够实用"),
            ("rules", "实操考核", "实操考核的积分太少，建议提高"),
            ("courses", "CAD进阶", "希望增加案例讲解"),
            ("rewards", None, "希望可以兑换带薪休假"),
            ("rules", None, "直播互动每天上限太低"),
            ("other", None, "培训时间和排班冲突")]


async def load_feedback(loader: Loader, seed: int, staff: list[Employee]) -> None:
    rng = random.Random(f"{seed}:feedback")
    picked = rng.sample(staff, min(60, len(staff)))
    for i, emp in enumerate(picked):
        topic, subject, text = FEEDBACK[i % len(FEEDBACK)]
        r = await loader.send("POST", "/training/v1/feedback", json={
            "client_id": str(uuid.uuid5(NAMESPACE, f"{seed}:feedback:{emp.no}")),
            "employee_no": emp.no, "topic": topic, "subject": subject, "text": text})
        if r is None or r.status_code != 201 or i % 2:
            continue
        fid = r.json()["id"]
        await loader.send("PUT", f"/training/v1/feedback/{fid}/tags",
                          json={"tags": [{"courses": "课程时长", "rewards": "兑换选项",
                                          "rules": "规则调整", "other": "排班"}[topic]]})
        await loader.send("POST", f"/training/v1/feedback/{fid}/close",
                          json={"resolution": "已纳入下一版积分规则与课程安排"})


def kpis(seed: int, t: Timeline) -> list[tuple[str, str, dict[str, Any]]]:
    return [("PUT", f"/training/v1/departments/{dept}/kpis/{month}", {"json": figures})
            for dept, month, figures in kpi_figures(seed, t)]


async def run(args: argparse.Namespace) -> int:
    tz = ZoneInfo(args.timezone)
    t = Timeline(datetime.now(UTC).astimezone(tz).date(), tz)  # type: ignore[arg-type]
    data = plant(args.seed, t, args.employees, args.facts_per_employee)
    started = time.monotonic()
    limits = httpx.Limits(max_connections=args.concurrency + 5,
                          max_keepalive_connections=args.concurrency + 5)
    async with httpx.AsyncClient(base_url=args.url.rstrip("/"), timeout=120,
                                 limits=limits) as client:
        loader = Loader(client, token=args.token or config.default_token(),
                        concurrency=args.concurrency, progress=not args.quiet)
        try:
            await client.get("/training/healthz")
        except httpx.HTTPError as exc:
            print(f"jifen demo: cannot reach {args.url} ({exc}); start it with `make run`",
                  file=sys.stderr)
            return 1
        await load_org(loader, t, data.employees)
        await wait_for_points(loader, data.employees)
        await loader.all("training facts", [("POST", p, {"json": b}) for p, b in data.facts])
        await load_applications(loader, data.applications, config.token_settings())
        await loader.all("plans, surveys, KPIs", plans(t, data.employees) + surveys(t)
                         + kpis(args.seed, t))
        await loader.all("survey answers", answers(args.seed, t, data.employees))
        await load_feedback(loader, args.seed, data.employees)
        await load_leavers(loader, data.employees)
        risk = await attrition_risk(loader)
        change = await change_forecast(loader, t)
    _summary(loader, data, time.monotonic() - started)
    print(risk)
    print(change)
    return 1 if loader.outcomes["failed"] else 0


async def load_leavers(loader: Loader, staff: list[Employee]) -> None:
    """The year's leavers leave (with their last day), and each department's head is
    named its manager, who receives the weekly attrition-risk digest."""
    await loader.send("POST", "/training/v1/employee-imports",
                      files={"file": ("leavers.csv", employee_csv(staff, left=True), "text/csv")})
    for code, managers in department_managers(staff).items():
        name, parent = next((n, p) for c, n, p in DEPARTMENTS if c == code)
        await loader.send("PUT", f"/training/v1/departments/{code}", json={
            "name": name, "parent_code": parent, "is_pilot": code == PILOT_DEPARTMENT,
            "manager_employee_nos": managers})


async def attrition_risk(loader: Loader, within: float = 600) -> str:
    """A risk run on the loaded plant, and the top of its report with reasons."""
    r = await loader.send("POST", "/training/v1/attrition-risk/runs",
                          json={"horizon_months": 3})
    if r is None or r.status_code not in (202, 409):
        return "attrition risk: the run could not start"
    location = r.headers.get("location") or \
        f"/training/v1/attrition-risk/runs/{r.json().get('run_id', '')}"
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        run = (await loader.client.get(location, headers=loader.headers)).json()
        if run.get("status") != "running":
            break
        await asyncio.sleep(2)
    report = (await loader.client.get("/training/v1/reports/attrition-risk",
                                      headers=loader.headers, params={"limit": 5})).json()
    return risk_summary(report)


CHANGE = ("AP-CHG-LINE2", {
    "name": "机加工二车间 新设备上线", "kind": "equipment",
    "required_skills": [{"skill_code": "AP-SK-NEWEQ", "level": 2},
                        {"skill_code": "AP-SK-SAFETY", "level": 2}],
    "department_codes": ["AP-MACH2", "AP-HEAT"], "job_role_codes": ["AP-R-OP"],
    "target_share": "0.9", "description": "二号线引入新设备，生产操作工须在上线前掌握新设备操作"})


# the HR suite's requisition: operators joining 机加工二车间 next month
PLANNED_HIRE = ("AP-REQ-MACH2", {"department_code": "AP-MACH2", "job_role_code": "AP-R-OP",
                                 "headcount": 12})


async def change_forecast(loader: Loader, t: Timeline) -> str:
    """New equipment 60 days from now and a requisition for next month: the change's
    forecast, and the demand forecast's errors and onboarding."""
    code, body = CHANGE
    await loader.send("PUT", f"/training/v1/changes/{code}", json={
        **body, "go_live_on": (t.today + timedelta(days=60)).isoformat()})
    next_month = (t.today.replace(day=1) + timedelta(days=32)).replace(day=1)
    hire, fields = PLANNED_HIRE
    await loader.send("PUT", f"/training/v1/planned-hires/{hire}",
                      json={**fields, "month": f"{next_month:%Y-%m}"})
    found = (await loader.client.get(f"/training/v1/changes/{code}/forecast",
                                     headers=loader.headers)).json()
    demand = (await loader.client.get("/training/v1/reports/training-demand",
                                      headers=loader.headers)).json()
    return change_summary(found, demand)


def change_summary(found: dict[str, Any], demand: dict[str, Any]) -> str:
    if "change" not in found:
        return f"change forecast: {found.get('detail', found)}"
    lines = [f"\n{found['change']['name']}（上线 {found['change']['go_live_on']}，"
             f"{found['weeks_to_go_live']} 周后）：影响 {found['affected']} 人，已就绪 "
             f"{found['ready_now']} 人，需培训 {found['need_training']} 人"]
    for c in found["courses"]:
        lines.append(f"  {c['title']}（{c['course_code']}）：{c['seats']} 个名额，每周 "
                     f"{c['seats_per_week']} 人" + (f"，{c['sessions_per_week']} 个班"
                                                  if c["sessions_per_week"] else ""))
    lines.append(f"  预计上线时就绪 {found['projected_ready_share']:.0%}，目标 "
                 f"{found['target_share']:.0%}")
    if found["warning"]:
        lines.append(f"  ⚠ {found['warning']['message']}")
    overall = demand.get("overall") or {}
    lines.append(f"  月度培训需求预测（按课程，{overall.get('series')} 个序列）回测：MASE "
                 f"{overall.get('method_mase')}（朴素预测 {overall.get('naive_mase')}），MAPE "
                 f"{overall.get('method_mape')}%（朴素预测 {overall.get('naive_mape')}%）")
    onboarding = sum(sum(s.get("onboarding", {}).values()) for s in demand.get("series", []))
    lines.append(f"  计划招聘 {demand.get('planned_hires', 0)} 人，入职培训需求 {onboarding} "
                 "人次（按课程，预测月份内）")
    return "\n".join(lines)


def risk_summary(report: dict[str, Any]) -> str:
    if "run" not in report:
        return f"attrition risk: {report.get('detail', report)}"
    card = report["run"]["model_card"] or {}
    method = "模型" if card.get("method") == "model" else "参与度下降规则"
    lines = [f"\n流失风险（{card.get('target')}，{method}）"]
    for name in ("model", "rule_no_training_60_days", "engagement_rules"):
        if name in card:
            lines.append(f"  {name}: AUC {card[name]['auc']}, precision@10% "
                         f"{card[name]['precision_at_10_percent']}")
    if "refused" in card:
        lines.append(f"  {card['refused']}")
    for item in report["items"]:
        reasons = "；".join(r["text"] for r in item["reasons"])
        lines.append(f"  {item['rank']:>3} {item['employee_no']} {item['name']} "
                     f"{item['department_name']} {item['level']}: {reasons}")
    return "\n".join(lines)


def _summary(loader: Loader, data: Any, elapsed: float) -> None:
    o = loader.outcomes
    print(f"\nA企业 demo plant: {len(data.employees)} employees, {len(data.facts)} training "
          f"facts, {len(data.applications)} skill applications, in {elapsed:.0f} s\n"
          f"requests: {o['created']} created, {o['unchanged']} unchanged, {o['present']} "
          f"already there, {o['failed']} failed")
    for failure in loader.failures:
        print(f"  {failure}", file=sys.stderr)
    print("Try: jifen report participation --department AP --group-by department\n"
          "     jifen report pilot-comparison --department AP-PROD\n"
          "     jifen report production-kpis --department AP-MACH1")
