"""The sample plant of the source article, as data: A企业, an engine-parts maker with
about 1,500 employees (70% front-line), its departments (one of them the pilot),
job roles with their competency models, the course catalogue with the article's
points values, and a year of training generated deterministically from a seed.

Pure: dates and a seed in, the requests ``jifen demo`` sends out. The story the
figures tell is the article's: participation and skill attainment low before the
points system, rising first in the pilot workshop and then everywhere; new hires
reaching their role's skills in about two weeks instead of four; fewer defects
caused by lacking skill; satisfaction from about 55% to about 88%.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

PREFIX = "AP"
NAMESPACE = uuid.UUID("6f0c6b3e-5d1a-4c55-9d8e-1f0a7a1c2b3d")

DEPARTMENTS: list[tuple[str, str, str | None]] = [  # code, name, parent
    ("AP", "A企业 发动机零部件厂", None),
    ("AP-PROD", "生产部", "AP"),
    ("AP-MACH1", "机加工一车间", "AP-PROD"),
    ("AP-MACH2", "机加工二车间", "AP-PROD"),
    ("AP-ASM", "装配车间", "AP-PROD"),
    ("AP-HEAT", "热处理车间", "AP-PROD"),
    ("AP-CAST", "铸造车间", "AP-PROD"),
    ("AP-QA", "质量部", "AP"),
    ("AP-TECH", "技术部", "AP"),
    ("AP-EQ", "设备部", "AP"),
    ("AP-LOG", "物流部", "AP"),
    ("AP-ADMIN", "综合管理部", "AP"),
]
PILOT_DEPARTMENT = "AP-MACH1"
# the level every role requires of its skills, which the core courses teach and
# their exams and practical assessments prove
ROLE_LEVEL = 2
WORKSHOPS = ("AP-MACH1", "AP-MACH2", "AP-ASM", "AP-HEAT", "AP-CAST")

SKILLS: dict[str, str] = {
    "AP-SK-EQUIP": "设备操作", "AP-SK-SAFETY": "安全生产", "AP-SK-QC": "质量控制",
    "AP-SK-ASSEMBLY": "装配工艺", "AP-SK-NEWEQ": "新设备操作", "AP-SK-CAD": "CAD绘图",
    "AP-SK-TROUBLE": "设备故障排查", "AP-SK-TEAM": "团队管理", "AP-SK-COST": "成本控制",
    "AP-SK-WAREHOUSE": "仓储管理", "AP-SK-INSPECT": "产品检测",
}

# code -> (name, family, required skills, front-line)
ROLES: dict[str, tuple[str, str, list[str], bool]] = {
    "AP-R-OP": ("生产操作工", "production", ["AP-SK-EQUIP", "AP-SK-SAFETY", "AP-SK-NEWEQ"],
                True),
    "AP-R-ASM": ("装配工", "production", ["AP-SK-ASSEMBLY", "AP-SK-SAFETY", "AP-SK-QC"], True),
    "AP-R-LEAD": ("生产组长", "management", ["AP-SK-TEAM", "AP-SK-EQUIP", "AP-SK-SAFETY"],
                  False),
    "AP-R-QI": ("质检员", "quality", ["AP-SK-INSPECT", "AP-SK-QC"], True),
    "AP-R-QE": ("质量工程师", "quality", ["AP-SK-QC", "AP-SK-CAD"], False),
    "AP-R-TECH": ("工艺工程师", "technical", ["AP-SK-CAD", "AP-SK-QC"], False),
    "AP-R-MAINT": ("设备维修工", "technical", ["AP-SK-EQUIP", "AP-SK-TROUBLE", "AP-SK-SAFETY"],
                   False),
    "AP-R-LOG": ("物流专员", "logistics", ["AP-SK-WAREHOUSE", "AP-SK-SAFETY"], False),
    "AP-R-MGR": ("部门经理", "management", ["AP-SK-TEAM", "AP-SK-COST"], False),
    "AP-R-STAFF": ("职能专员", "other", [], False),
}

# department -> (head count, [(role, share)])
STAFFING: dict[str, tuple[int, list[tuple[str, float]]]] = {
    "AP-MACH1": (220, [("AP-R-OP", 0.95), ("AP-R-LEAD", 0.05)]),
    "AP-MACH2": (220, [("AP-R-OP", 0.95), ("AP-R-LEAD", 0.05)]),
    "AP-ASM": (300, [("AP-R-ASM", 0.95), ("AP-R-LEAD", 0.05)]),
    "AP-HEAT": (150, [("AP-R-OP", 0.95), ("AP-R-LEAD", 0.05)]),
    "AP-CAST": (160, [("AP-R-OP", 0.95), ("AP-R-LEAD", 0.05)]),
    "AP-QA": (120, [("AP-R-QI", 0.6), ("AP-R-QE", 0.35), ("AP-R-MGR", 0.05)]),
    "AP-TECH": (90, [("AP-R-TECH", 0.9), ("AP-R-MGR", 0.1)]),
    "AP-EQ": (80, [("AP-R-MAINT", 0.9), ("AP-R-MGR", 0.1)]),
    "AP-LOG": (100, [("AP-R-LOG", 0.9), ("AP-R-MGR", 0.1)]),
    "AP-ADMIN": (60, [("AP-R-STAFF", 0.8), ("AP-R-MGR", 0.2)]),
}


@dataclass(frozen=True)
class Course:
    code: str
    title: str
    format: str
    difficulty: str
    hours: str
    skill: str | None
    points: int | None = None
    family_points: dict[str, int] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


COURSES = [
    Course("AP-C-EQ101", "设备操作基础", "online", "basic", "2", "AP-SK-EQUIP", points=20),
    Course("AP-C-QC201", "质量管控进阶", "offline", "intermediate", "3", "AP-SK-QC", points=30),
    Course("AP-C-ASM101", "家电装配", "offline", "basic", "2", "AP-SK-ASSEMBLY", points=25),
    Course("AP-C-NEWEQ", "新设备操作", "practical", "intermediate", "2", "AP-SK-NEWEQ",
           family_points={"production": 30}, tags=("新设备",)),
    Course("AP-C-CAD", "CAD进阶", "online", "advanced", "4", "AP-SK-CAD",
           family_points={"technical": 40}),
    Course("AP-C-SAFE", "安全生产规范", "online", "basic", "1.5", "AP-SK-SAFETY",
           tags=("安全",)),
    Course("AP-C-TROUBLE", "设备故障排查", "offline", "advanced", "3", "AP-SK-TROUBLE"),
    Course("AP-C-TEAM", "班组长团队管理", "offline", "intermediate", "2", "AP-SK-TEAM"),
    Course("AP-C-COST", "成本控制", "online", "intermediate", "2", "AP-SK-COST"),
    Course("AP-C-WH", "仓储管理实务", "online", "basic", "2", "AP-SK-WAREHOUSE"),
    Course("AP-C-INSPECT", "产品检测实务", "practical", "intermediate", "2", "AP-SK-INSPECT"),
    Course("AP-C-LIVE", "质量月直播课", "live", "basic", "1", None, tags=("直播",)),
]
COURSE_OF_SKILL = {c.skill: c for c in COURSES if c.skill}
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑"
            "梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华飞玉兰鹏辉建国志强海燕红梅"
NOTE_TITLES = ("设备点检要点", "换模步骤总结", "质量问题复盘", "安全操作心得")
NOTE_BODIES = ("先确认参数再开机", "首件必检", "记录异常并上报")


@dataclass(frozen=True)
class Timeline:
    """The demo's year on the company calendar, anchored on ``today``."""

    today: date
    tz: timezone

    @property
    def year_start(self) -> date:
        return self.today - timedelta(days=365)

    @property
    def pilot_start(self) -> date:
        return self.today - timedelta(days=270)

    @property
    def rollout(self) -> date:
        """When the points system reached every department."""
        return self.today - timedelta(days=150)

    def at(self, day: date, hour: int, minute: int = 0) -> str:
        moment = datetime.combine(day, time(hour, minute), tzinfo=self.tz)
        latest = datetime.now(UTC) - timedelta(minutes=10)
        return min(moment, latest.astimezone(self.tz)).isoformat()

    def months(self) -> list[date]:
        first = self.year_start.replace(day=1)
        out = []
        while first <= self.today:
            out.append(first)
            first = (first + timedelta(days=32)).replace(day=1)
        return out


@dataclass
class Employee:
    no: str
    name: str
    department: str
    role: str
    front_line: bool
    hired_on: date
    engagement: float
    left_on: date | None = None  # a leaver's last working day (see "Attrition" below)
    fade_months: int = 0  # how long before leaving their training faded (0: it did not)
    dip: tuple[date, date] | None = None  # a stayer's passing slump, the noise


@dataclass
class Plant:
    employees: list[Employee]
    facts: list[tuple[str, dict[str, Any]]]  # (path, body)
    applications: list[tuple[str, dict[str, Any], int]]  # (employee_no, body, points)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def employees(seed: int, timeline: Timeline, count: int = 1500) -> list[Employee]:
    rng = random.Random(f"{seed}:employees")
    out: list[Employee] = []
    scale = count / sum(n for n, _ in STAFFING.values())
    for dept, (heads, mix) in STAFFING.items():
        size = max(1, round(heads * scale))
        for i in range(size):
            role = _role_at(mix, i / size)
            new_hire = rng.random() < 0.15
            if new_hire:
                hired = timeline.year_start + timedelta(days=rng.randrange(20, 335))
            else:
                hired = timeline.year_start - timedelta(days=rng.randrange(200, 3650))
            out.append(Employee(
                no=f"{PREFIX}{len(out) + 1:05d}", name=_name(rng), department=dept, role=role,
                front_line=ROLES[role][3], hired_on=hired,
                engagement=min(1.0, max(0.05, rng.betavariate(2.2, 2.0)))))
    return out[:count] if len(out) >= count else out


def _role_at(mix: list[tuple[str, float]], fraction: float) -> str:
    """The role at this fraction of a department's head count (the mix in order)."""
    total = 0.0
    for role, share in mix:
        total += share
        if fraction < total:
            return role
    return mix[-1][0]


class FactMaker:
    """The training facts of one employee, deterministic from the seed."""

    def __init__(self, seed: int, timeline: Timeline, emp: Employee) -> None:
        self.rng = random.Random(f"{seed}:{emp.no}")
        self.seed, self.t, self.emp = seed, timeline, emp
        self.facts: list[tuple[str, dict[str, Any]]] = []
        self.index = 0

    def _id(self) -> str:
        self.index += 1
        return str(uuid.uuid5(NAMESPACE, f"{self.seed}:{self.emp.no}:{self.index}"))

    def add(self, path: str, body: dict[str, Any]) -> None:
        self.facts.append((path, {"client_id": self._id(), "employee_no": self.emp.no, **body}))

    def prove(self, skill: str, day: date, *, pass_it: bool = True) -> None:
        """Prove a skill: pass the exam of the course that teaches it or, for practical
        skills, a practical assessment."""
        course = COURSE_OF_SKILL[skill]
        if course.format == "practical":
            self.add("/training/v1/practical-assessments", {
                "skill_code": skill, "passed": pass_it, "level": ROLE_LEVEL,
                "assessed_at": self.t.at(day, 15),
                "remarks": "实操考核" + ("合格" if pass_it else "未通过")})
            return
        score = self.rng.choice((92, 85, 100, 88, 95, 81)) if pass_it else self.rng.randrange(
            40, 60)
        self.add("/training/v1/exam-attempts", {
            "exam_code": course.code + "-X", "score": score, "attempted_at": self.t.at(day, 14)})

    def active_probability(self, month: date) -> float:
        started = self.t.pilot_start if self.emp.department == PILOT_DEPARTMENT \
            else self.t.rollout
        boost = month >= started.replace(day=1)
        base = (0.62 if boost else 0.22) if self.emp.front_line else (0.66 if boost else 0.34)
        return min(0.98, base * (0.55 + 0.6 * self.emp.engagement)
                   * engagement_factor(self.emp, month))


def _first_skills(maker: FactMaker, required: list[str]) -> set[str]:
    """Skills a veteran proved before the demo year (most hold most of theirs)."""
    rng, emp, t = maker.rng, maker.emp, maker.t
    held = set()
    for skill in required:
        if skill == "AP-SK-NEWEQ":
            continue  # the new equipment arrived this year
        if rng.random() < 0.45 + 0.45 * emp.engagement:
            day = max(emp.hired_on + timedelta(days=rng.randrange(10, 60)),
                      date(2001, 1, 1))
            maker.prove(skill, min(day, t.year_start - timedelta(days=5)))
            held.add(skill)
    return held


def _new_hire_onboarding(maker: FactMaker, required: list[str]) -> list[str]:
    """New hires prove their role's skills in about four weeks before the points system
    and about two weeks after; before it, three in ten do not get their last skill
    (the article's 30%); they may prove it later. Returns the skills still missing."""
    rng, emp, t = maker.rng, maker.emp, maker.t
    fast = emp.hired_on >= (t.pilot_start if emp.department == PILOT_DEPARTMENT else t.rollout)
    target = rng.randrange(9, 18) if fast else rng.randrange(22, 36)
    stuck = bool(required) and rng.random() < (0.05 if fast else 0.3)
    proven = required[:-1] if stuck else required
    for i, skill in enumerate(proven):
        day = emp.hired_on + timedelta(days=max(1, target - 3 * (len(required) - 1 - i)))
        if day < t.today and (emp.left_on is None or day <= emp.left_on):
            maker.prove(skill, day)
    return required[len(proven):]


def _month_activity(maker: FactMaker, month: date, missing: list[str]) -> None:
    """At most one or two records in a month the employee trains at all."""
    rng, t, emp = maker.rng, maker.t, maker.emp
    days = [month + timedelta(days=d) for d in range(28)]
    days = [d for d in days if t.year_start <= d < t.today and d >= emp.hired_on
            and (emp.left_on is None or d <= emp.left_on)]
    if not days or rng.random() > maker.active_probability(month):
        return
    own = [COURSE_OF_SKILL[s] for s in ROLES[emp.role][2]] + [COURSE_OF_SKILL["AP-SK-SAFETY"]]
    for _ in range(1 if rng.random() < 0.8 else 2):
        day, kind = rng.choice(days), rng.random()
        if missing and kind < 0.3 + 0.3 * emp.engagement:
            maker.prove(missing.pop(0), day, pass_it=rng.random() < 0.9)
        elif kind < 0.75:
            course = rng.choice(own) if rng.random() < 0.6 else rng.choice(COURSES[:10])
            maker.add("/training/v1/course-completions", {
                "course_code": course.code, "completed_at": t.at(day, 9, 30)})
        elif kind < 0.9:
            maker.add("/training/v1/live-interactions", {
                "course_code": "AP-C-LIVE", "kind": rng.choice(("speak", "question")),
                "occurred_at": t.at(day, 19, rng.randrange(0, 59))})
        else:
            maker.add("/training/v1/notes", {
                "title": rng.choice(NOTE_TITLES), "body": "学习笔记：" + rng.choice(NOTE_BODIES),
                "shared_at": t.at(day, 20)})


def facts_of(seed: int, timeline: Timeline, emp: Employee,
             limit: int) -> list[tuple[str, dict[str, Any]]]:
    """The employee's records: skills proven before the year or on joining, then the
    monthly training; cut at ``limit``, keeping the proofs and the latest months."""
    maker = FactMaker(seed, timeline, emp)
    required = list(ROLES[emp.role][2])
    if emp.hired_on < timeline.year_start:
        held = _first_skills(maker, required)
        missing = [s for s in required if s not in held]
    else:
        missing = _new_hire_onboarding(maker, required)
    proofs = len(maker.facts)
    maker.rng.shuffle(missing)
    for month in timeline.months():
        _month_activity(maker, month, missing)
    monthly = maker.facts[proofs:]
    keep = max(0, limit - proofs)
    latest = monthly[max(0, len(monthly) - keep):] if keep else []
    return maker.facts[:min(proofs, limit)] + latest


def applications_of(seed: int, timeline: Timeline,
                    emp: Employee) -> tuple[str, dict[str, Any], int] | None:
    """A few front-line employees report applying a skill in production."""
    rng = random.Random(f"{seed}:{emp.no}:application")
    if not emp.front_line or emp.left_on is not None or \
            rng.random() > 0.04 * (1 + emp.engagement):
        return None
    day = min(timeline.rollout + timedelta(days=rng.randrange(5, 140)),
              timeline.today - timedelta(days=2))
    return (emp.no, {
        "client_id": str(uuid.uuid5(NAMESPACE, f"{seed}:{emp.no}:application")),
        "employee_no": emp.no, "skill_code": ROLES[emp.role][2][0],
        "summary": "改进工装定位，减少返工", "metric_name": "次品率(%)",
        "metric_before": "1.3", "metric_after": "0.8", "submitted_at": timeline.at(day, 16)},
        rng.choice((60, 70, 80, 90)))


def plant(seed: int, timeline: Timeline, count: int = 1500,
          facts_per_employee: int = 10) -> Plant:
    """Every employee (and the year's leavers) and training record of the demo."""
    staff = employees(seed, timeline, count)
    staff += leavers(seed, timeline, staff)
    add_dips(seed, timeline, staff)
    facts: list[tuple[str, dict[str, Any]]] = []
    applications: list[tuple[str, dict[str, Any], int]] = []
    for emp in staff:
        records = facts_of(seed, timeline, emp, facts_per_employee)
        facts.extend(records)
        facts.extend(path_facts(seed, timeline, emp, records))
        found = applications_of(seed, timeline, emp)
        if found is not None:
            applications.append(found)
    return Plant(staff, facts, applications)


def kpi_figures(seed: int, timeline: Timeline) -> list[tuple[str, str, dict[str, str]]]:
    """(department, YYYY-MM, figures) of the workshops for each month of the year: defects
    fall and efficiency rises once the points system reaches the workshop."""
    rng = random.Random(f"{seed}:kpis")
    out = []
    for dept in WORKSHOPS:
        started = timeline.pilot_start if dept == PILOT_DEPARTMENT else timeline.rollout
        for month in timeline.months()[:-1]:
            after = month >= started.replace(day=1)
            progress = min(1.0, max(0.0, (month - started).days / 150)) if after else 0.0
            pilot = dept == PILOT_DEPARTMENT
            share = 40 - (25 if pilot else 15) * progress
            defect = 1.2 - (0.45 if pilot else 0.3) * progress
            efficiency = 100 + (20 if pilot else 12) * progress
            out.append((dept, month.strftime("%Y-%m"), {
                "defect_rate": f"{defect + rng.uniform(-0.05, 0.05):.2f}",
                "skill_defect_share": f"{share + rng.uniform(-2, 2):.1f}",
                "efficiency": f"{efficiency + rng.uniform(-1.5, 1.5):.1f}"}))
    return out


# --- Progressions (recommendations): courses that build on each other, and the ways
# employees move through them, so that "what comes next" has the structure of a real
# plant for an offline evaluation to measure. Within a role people specialise: each
# employee follows one of the role's branches (a production operator may go the
# equipment way, the new-equipment way or the quality way), and what they took so
# far shows which; one who lacks a level the role requires takes the course that
# teaches it before passing its exam; training plans send their members to the
# plan's courses before the due date; and about a step in four is anything else.

@dataclass(frozen=True)
class PathCourse:
    code: str
    title: str
    format: str
    hours: str
    skill: str
    level: int
    prerequisite: str


PATH_COURSES = [
    PathCourse("AP-C-EQ201", "设备操作进阶", "offline", "3", "AP-SK-EQUIP", 3, "AP-C-EQ101"),
    PathCourse("AP-C-EQ401", "设备精益保全（TPM）", "offline", "4", "AP-SK-EQUIP", 4,
               "AP-C-EQ201"),
    PathCourse("AP-C-EQ301", "设备故障排查进阶", "offline", "4", "AP-SK-TROUBLE", 3,
               "AP-C-EQ201"),
    PathCourse("AP-C-TR401", "预测性维护", "offline", "4", "AP-SK-TROUBLE", 4, "AP-C-EQ301"),
    PathCourse("AP-C-NEWEQ201", "新设备编程与调试", "practical", "3", "AP-SK-NEWEQ", 3,
               "AP-C-NEWEQ"),
    PathCourse("AP-C-QC301", "质量管控高级", "offline", "3", "AP-SK-QC", 3, "AP-C-QC201"),
    PathCourse("AP-C-QC401", "六西格玛质量改进", "offline", "6", "AP-SK-QC", 4, "AP-C-QC301"),
    PathCourse("AP-C-INSP301", "三坐标测量", "practical", "3", "AP-SK-INSPECT", 3,
               "AP-C-INSPECT"),
    PathCourse("AP-C-ASM201", "装配工艺进阶", "offline", "3", "AP-SK-ASSEMBLY", 3,
               "AP-C-ASM101"),
    PathCourse("AP-C-ASM301", "精密装配与防错", "offline", "3", "AP-SK-ASSEMBLY", 4,
               "AP-C-ASM201"),
    PathCourse("AP-C-CAD301", "CAD高级建模", "online", "4", "AP-SK-CAD", 3, "AP-C-CAD"),
    PathCourse("AP-C-CAD401", "仿真分析", "online", "4", "AP-SK-CAD", 4, "AP-C-CAD301"),
    PathCourse("AP-C-SAFE301", "安全员实务", "offline", "3", "AP-SK-SAFETY", 3, "AP-C-SAFE"),
    PathCourse("AP-C-TEAM301", "精益班组管理", "offline", "3", "AP-SK-TEAM", 3, "AP-C-TEAM"),
    PathCourse("AP-C-COST301", "精益成本分析", "online", "3", "AP-SK-COST", 3, "AP-C-COST"),
    PathCourse("AP-C-WH301", "智能仓储系统", "online", "2", "AP-SK-WAREHOUSE", 3, "AP-C-WH"),
]
PREREQUISITE = {c.code: c.prerequisite for c in PATH_COURSES}


@dataclass(frozen=True)
class Elective:
    """A course anyone may take, with how much it draws people who take something
    outside their branch (relative)."""

    code: str
    title: str
    format: str
    hours: str
    skill: str | None
    level: int
    appeal: int


ELECTIVES = [
    Elective("AP-C-FIRE", "消防安全与应急", "offline", "1", "AP-SK-SAFETY", 1, 3),
    Elective("AP-C-AID", "急救知识", "practical", "1.5", None, 1, 3),
    Elective("AP-C-5S", "5S现场管理", "offline", "1.5", None, 1, 3),
    Elective("AP-C-HEALTH", "职业健康防护", "online", "1", None, 1, 2),
    Elective("AP-C-LEAN", "精益生产基础", "online", "2", None, 1, 2),
    Elective("AP-C-TPM1", "TPM自主保全入门", "online", "1.5", "AP-SK-EQUIP", 1, 2),
    Elective("AP-C-OFFICE", "办公软件实用技巧", "online", "1", None, 1, 2),
    Elective("AP-C-COMM", "沟通与协作", "online", "1", None, 1, 2),
    Elective("AP-C-DRAW", "机械识图", "offline", "2", "AP-SK-CAD", 1, 2),
    Elective("AP-C-SPC", "SPC统计过程控制", "online", "2", "AP-SK-QC", 1, 1),
    Elective("AP-C-MSA", "测量系统分析", "online", "2", "AP-SK-INSPECT", 1, 1),
    Elective("AP-C-QCC", "QC小组活动", "offline", "2", "AP-SK-QC", 1, 1),
    Elective("AP-C-PLC", "PLC基础", "offline", "3", "AP-SK-NEWEQ", 1, 1),
    Elective("AP-C-FORK", "叉车安全驾驶", "practical", "2", "AP-SK-WAREHOUSE", 1, 1),
    Elective("AP-C-ERP", "ERP系统操作", "online", "1.5", "AP-SK-WAREHOUSE", 1, 1),
    Elective("AP-C-ENV", "环境保护与节能", "online", "1", None, 1, 1),
    Elective("AP-C-ERGO", "人机工程与防疲劳", "online", "1", None, 1, 1),
    Elective("AP-C-TIME", "时间管理", "online", "1", None, 1, 1),
]
# how often a step off the branch lands on each course (core courses 2, advanced 1)
APPEAL = {**{c.code: 2 for c in COURSES if c.skill}, **{c.code: 1 for c in PATH_COURSES},
          **{c.code: c.appeal for c in ELECTIVES}}
SKILL_OF = {**{c.code: c.skill for c in COURSES if c.skill},
            **{c.code: c.skill for c in PATH_COURSES},
            **{c.code: c.skill for c in ELECTIVES if c.skill}}
# role -> its branches: (share of the role's employees, courses in the order taken)
BRANCHES: dict[str, list[tuple[float, list[str]]]] = {
    "AP-R-OP": [(0.45, ["AP-C-EQ101", "AP-C-EQ201", "AP-C-EQ301", "AP-C-EQ401", "AP-C-TR401"]),
                (0.3, ["AP-C-NEWEQ", "AP-C-NEWEQ201", "AP-C-EQ101", "AP-C-EQ201"]),
                (0.25, ["AP-C-QC201", "AP-C-INSPECT", "AP-C-QC301", "AP-C-INSP301"])],
    "AP-R-ASM": [(0.5, ["AP-C-ASM101", "AP-C-ASM201", "AP-C-ASM301", "AP-C-QC201"]),
                 (0.3, ["AP-C-QC201", "AP-C-QC301", "AP-C-INSPECT", "AP-C-QC401"]),
                 (0.2, ["AP-C-EQ101", "AP-C-EQ201", "AP-C-TROUBLE", "AP-C-EQ301"])],
    "AP-R-LEAD": [(0.5, ["AP-C-TEAM", "AP-C-TEAM301", "AP-C-COST", "AP-C-COST301"]),
                  (0.3, ["AP-C-EQ101", "AP-C-EQ201", "AP-C-TROUBLE", "AP-C-EQ301"]),
                  (0.2, ["AP-C-SAFE", "AP-C-SAFE301", "AP-C-TEAM", "AP-C-TEAM301"])],
    "AP-R-QI": [(0.55, ["AP-C-INSPECT", "AP-C-INSP301", "AP-C-QC201", "AP-C-QC301"]),
                (0.45, ["AP-C-QC201", "AP-C-QC301", "AP-C-QC401", "AP-C-CAD"])],
    "AP-R-QE": [(0.6, ["AP-C-QC201", "AP-C-QC301", "AP-C-QC401", "AP-C-COST"]),
                (0.4, ["AP-C-CAD", "AP-C-CAD301", "AP-C-QC201", "AP-C-CAD401"])],
    "AP-R-TECH": [(0.6, ["AP-C-CAD", "AP-C-CAD301", "AP-C-CAD401", "AP-C-QC201"]),
                  (0.4, ["AP-C-QC201", "AP-C-QC301", "AP-C-CAD", "AP-C-QC401"])],
    "AP-R-MAINT": [(0.5, ["AP-C-EQ101", "AP-C-TROUBLE", "AP-C-EQ201", "AP-C-EQ301",
                          "AP-C-TR401"]),
                   (0.5, ["AP-C-NEWEQ", "AP-C-NEWEQ201", "AP-C-EQ101", "AP-C-EQ201",
                          "AP-C-EQ401"])],
    "AP-R-LOG": [(0.6, ["AP-C-WH", "AP-C-WH301", "AP-C-SAFE", "AP-C-SAFE301"]),
                 (0.4, ["AP-C-COST", "AP-C-COST301", "AP-C-WH", "AP-C-WH301"])],
    "AP-R-MGR": [(0.6, ["AP-C-TEAM", "AP-C-TEAM301", "AP-C-COST", "AP-C-COST301"]),
                 (0.4, ["AP-C-QC201", "AP-C-QC301", "AP-C-COST", "AP-C-QC401"])],
    "AP-R-STAFF": [(0.5, ["AP-C-SAFE", "AP-C-SAFE301", "AP-C-COST"]),
                   (0.5, ["AP-C-COST", "AP-C-COST301", "AP-C-SAFE"])],
}
ON_BRANCH = 0.75  # the chance that a step is the branch's next course; otherwise any course
NEAR_INTEREST = 0.5  # of the other steps, the share that stays with the branch's skills
FOLLOWS_PLAN = 0.8  # the chance that a plan's member takes its course (before or after due)


@dataclass(frozen=True)
class PlanSpec:
    """A training plan of the demo: for a department (with its sub-departments), a job
    role, or a list of the employees of one role; days relative to the demo's today."""

    code: str
    name: str
    courses: tuple[str, ...]
    starts_days_ago: int
    due_in_days: int
    department: str | None = None
    job_role: str | None = None
    listed_role: str | None = None

    def applies_to(self, emp: Employee) -> bool:
        if self.listed_role is not None:
            return emp.role == self.listed_role
        if self.job_role is not None and emp.role != self.job_role:
            return False
        return self.department is None or self.department in _lineage(emp.department)


PLANS = [
    PlanSpec("AP-P-SAFETY", "年度安全生产培训", ("AP-C-SAFE",), 130, -40, department="AP"),
    PlanSpec("AP-P-NEWEQ", "新设备操作培训", ("AP-C-NEWEQ",), 180, 30, job_role="AP-R-OP"),
    PlanSpec("AP-P-QC", "装配车间质量管控进阶", ("AP-C-QC201",), 100, -10,
             department="AP-ASM"),
    PlanSpec("AP-P-LEADS", "班组长管理能力提升", ("AP-C-TEAM", "AP-C-EQ101"), 110, -20,
             listed_role="AP-R-LEAD"),
    PlanSpec("AP-P-TPM", "设备部精益保全推进", ("AP-C-EQ201", "AP-C-EQ401"), 120, 20,
             department="AP-EQ"),
]


def _lineage(department: str) -> set[str]:
    parents = {code: parent for code, _, parent in DEPARTMENTS}
    out: set[str] = set()
    at: str | None = department
    while at is not None:
        out.add(at)
        at = parents.get(at)
    return out


def branch_of(seed: int, emp: Employee) -> list[str]:
    """The branch of the role the employee follows (fixed for them by the seed)."""
    rng = random.Random(f"{seed}:{emp.no}:branch")
    branches = BRANCHES[emp.role]
    return rng.choices([b for _, b in branches], weights=[w for w, _ in branches])[0]


def path_steps(seed: int, timeline: Timeline, emp: Employee,
               records: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, date]]:
    """(course, day) of the employee's own steps over the year (until they leave), given
    their other ``records``: the course of each required skill they prove during the
    year, a few days before the exam or assessment; their plans' courses; and a step
    every five to twelve weeks while engaged (less before the points system reached
    them, fading before a leaver goes): the branch's next course three times in four,
    else, half the time, a course of one of the branch's skills, or any course open
    to them (the more appealing ones more often)."""
    rng = random.Random(f"{seed}:{emp.no}:path")
    maker = FactMaker(seed, timeline, emp)
    taken = {b["course_code"]: _day(b["completed_at"]) for p, b in records
             if p.endswith("course-completions")}
    planned = _planned(rng, timeline, emp, _proof_courses(rng, timeline, records))
    branch = branch_of(seed, emp)
    themes = {SKILL_OF.get(c) for c in branch} - {None}
    done: list[tuple[str, date]] = []
    day = max(timeline.year_start, emp.hired_on) + timedelta(days=rng.randrange(0, 40))

    def take(course: str, on: date) -> None:
        if course not in taken or taken[course] > on:
            taken[course] = on
            done.append((course, on))

    while day < timeline.today - timedelta(days=1) and (emp.left_on is None
                                                        or day <= emp.left_on):
        while planned and planned[0][1] <= day:
            course, on = planned.pop(0)
            take(course, on)
        month = day.replace(day=1)
        if rng.random() < 0.25 * engagement_factor(emp, month) + \
                0.9 * maker.active_probability(month):
            have = {c for c, on in taken.items() if on <= day}
            ahead = [c for c in branch if _may_start(c, have)]
            if ahead and rng.random() < ON_BRANCH:
                take(ahead[0], day)
            else:
                open_ = [c for c in APPEAL if _may_start(c, have)]
                near = [c for c in open_ if SKILL_OF.get(c) in themes]
                if near and rng.random() < NEAR_INTEREST:
                    open_ = near
                if open_:
                    take(rng.choices(open_, weights=[APPEAL[c] for c in open_])[0], day)
        day += timedelta(days=rng.randrange(35, 84))
    for course, on in planned:
        if on < timeline.today and (emp.left_on is None or on <= emp.left_on):
            take(course, on)
    return sorted(done, key=lambda step: step[1])


def _may_start(course: str, have: set[str]) -> bool:
    """Not taken yet, and its prerequisite (if any) taken."""
    return course not in have and PREREQUISITE.get(course, course) in have | {course}


def _proof_courses(rng: random.Random, timeline: Timeline,
                   records: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, date]]:
    """The course of each skill proven during the year, some days before the proof."""
    out = []
    exam_course = {c.code + "-X": c.code for c in COURSES}
    for path, body in records:
        if path.endswith("exam-attempts"):
            course, day = exam_course[body["exam_code"]], _day(body["attempted_at"])
        elif path.endswith("practical-assessments"):
            course, day = COURSE_OF_SKILL[body["skill_code"]].code, _day(body["assessed_at"])
        else:
            continue
        if day >= timeline.year_start:
            out.append((course, day - timedelta(days=rng.randrange(2, 12))))
    return out


def _planned(rng: random.Random, timeline: Timeline, emp: Employee,
             before_proofs: list[tuple[str, date]]) -> list[tuple[str, date]]:
    """Dated courses the employee takes because of a coming exam or a plan, by date."""
    out = list(before_proofs)
    for plan in PLANS:
        if not plan.applies_to(emp):
            continue
        start = max(timeline.today - timedelta(days=plan.starts_days_ago), emp.hired_on)
        due = timeline.today + timedelta(days=plan.due_in_days)
        for course in plan.courses:
            if due > start and rng.random() < FOLLOWS_PLAN:
                # most before the due date, some late
                span = (due - start).days
                out.append((course, start + timedelta(days=rng.randrange(span + span // 4 + 1))))
    return sorted(((c, d) for c, d in out if d < timeline.today), key=lambda step: step[1])


def _day(moment: str) -> date:
    return date.fromisoformat(moment[:10])


def path_facts(seed: int, timeline: Timeline, emp: Employee,
               records: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """The steps as completion requests (client ids of their own, so re-runs are
    harmless)."""
    return [("/training/v1/course-completions", {
        "client_id": str(uuid.uuid5(NAMESPACE, f"{seed}:{emp.no}:path:{i}")),
        "employee_no": emp.no, "course_code": course, "completed_at": timeline.at(day, 10)})
        for i, (course, day) in enumerate(path_steps(seed, timeline, emp, records))]


# -- Attrition: the year's leavers and the signal they leave behind ------------------
# Kept apart from the training story above: leavers are extra employees (the active
# head count stays ``count``) whose training fades over the months before they leave,
# with noise on both sides: some leavers do not fade at all (they left for reasons
# training never saw), and some who stay go through a slump and recover.

ANNUAL_ATTRITION = 0.18  # leavers in the year / head count, a plausible plant's
SUDDEN_LEAVERS = 0.3  # leavers whose training did not fade first
STAYER_DIPS = 0.12  # stayers with a passing two-to-three-month slump


def leavers(seed: int, timeline: Timeline, staff: list[Employee]) -> list[Employee]:
    """The employees who left during the demo's year, like the staff they worked
    beside (a department and role drawn from the staff), each with a leaving day and,
    for most, the months over which their training faded first."""
    rng = random.Random(f"{seed}:leavers")
    out = []
    for i in range(round(len(staff) * ANNUAL_ATTRITION)):
        like = rng.choice(staff)
        left = timeline.year_start + timedelta(days=rng.randrange(75, 358))
        hired = left - timedelta(days=rng.randrange(120, 2500))
        out.append(Employee(
            no=f"{PREFIX}{len(staff) + i + 1:05d}", name=_name(rng), department=like.department,
            role=like.role, front_line=like.front_line, hired_on=hired,
            engagement=min(1.0, max(0.05, rng.betavariate(2.2, 2.0))), left_on=left,
            fade_months=0 if rng.random() < SUDDEN_LEAVERS else rng.randrange(2, 6)))
    return out


def add_dips(seed: int, timeline: Timeline, staff: list[Employee]) -> None:
    """The noise among those who stay: a slump of two or three months, then back."""
    rng = random.Random(f"{seed}:dips")
    for emp in staff:
        if emp.left_on is None and rng.random() < STAYER_DIPS:
            start = timeline.year_start + timedelta(days=rng.randrange(0, 330))
            emp.dip = (start, start + timedelta(days=rng.randrange(60, 95)))


def engagement_factor(emp: Employee, month: date) -> float:
    """How much of their usual training an employee does in a month: fading towards
    a leaver's last day over ``fade_months``, low during a stayer's slump, else 1."""
    if emp.left_on is not None and emp.fade_months:
        months_left = (emp.left_on - month).days / 30.4
        if months_left < emp.fade_months:
            return max(0.08, 0.15 + 0.85 * months_left / emp.fade_months)
    if emp.dip is not None and emp.dip[0] <= month + timedelta(days=14) <= emp.dip[1]:
        return 0.25
    return 1.0


def mood(emp: Employee, day: date) -> float:
    """How a leaver answers a survey in their fading months (below 1: less satisfied,
    less willing to go on); 1 for everyone else."""
    if emp.left_on is None or not emp.fade_months:
        return 1.0
    return 0.45 if (emp.left_on - day).days < 30.4 * emp.fade_months else 1.0


def department_managers(staff: list[Employee]) -> dict[str, list[str]]:
    """Each department's head: its first manager or team leader who has not left."""
    out: dict[str, list[str]] = {}
    for emp in staff:
        if emp.left_on is None and emp.role in ("AP-R-MGR", "AP-R-LEAD") and \
                emp.department not in out:
            out[emp.department] = [emp.no]
    return out
