"""Each dashboard report as tables: which columns, in Chinese, which row is the
total, what the title says. A report without a view here (a new one) is still shown:
its list items or its top-level figures become a table of their own fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jifen.tables import Percent, PercentPoints, Rate, RatePoints, Signed, Table

TITLES = {
    "participation": "培训参与率", "skill-attainment": "岗位技能达标率",
    "skill-gaps": "技能差距名单", "time-to-competency": "新员工上岗周期",
    "effectiveness": "积分前后 20% 技能达标率", "training-plans": "培训计划完成率",
    "plan-behind": "培训计划未完成名单", "pilot-comparison": "试点 vs 其他",
    "production-kpis": "生产指标", "satisfaction": "培训满意度",
    "survey-results": "问卷结果", "survey-text": "问卷文字回答", "feedback": "意见反馈",
    "points-mix": "积分结构", "what-if": "规则模拟 每人积分", "attrition-risk": "流失风险预警",
    "training-demand": "月度培训需求预测", "recommendation-uptake": "推荐课程采纳",
}
GROUP_WORDS = {"department": "部门", "family": "岗位族", "job_role": "岗位",
               "front_line": "一线", "pilot": "试点", None: "范围"}
FAMILY_WORDS = {"production": "生产", "technical": "技术", "quality": "质量",
                "management": "管理", "logistics": "物流", "other": "其他"}
CATEGORY_WORDS = {"participation": "参与度积分", "outcome": "成果积分", "growth": "成长积分"}
STATUS_WORDS = {"within": "达标", "above": "偏高", "below": "偏低"}


def period_text(period: dict[str, Any]) -> str:
    days = f"{period['first_day']} 至 {period['last_day']}"
    return f"{period['key']}（{days}）" if period.get("key") else days


def scope_text(scope: dict[str, Any] | None) -> str:
    """全公司, or the department's name and code, with the filters applied."""
    scope = scope or {}
    code = scope.get("department_code") or scope.get("department")
    name = scope.get("department_name")
    words = [f"{name}（{code}）" if name and code else code or "全公司"]
    if scope.get("family"):
        words.append(f"{FAMILY_WORDS.get(scope['family'], scope['family'])}岗位族")
    if scope.get("front_line") is not None:
        words.append("一线员工" if scope["front_line"] else "非一线员工")
    return " ".join(words)


def title(name: str, doc: dict[str, Any], scope: dict[str, Any] | None = None) -> str:
    parts = [TITLES.get(name, name), scope_text(scope if scope is not None
                                                else doc.get("scope"))]
    if doc.get("period"):
        parts.append(period_text(doc["period"]))
    return " · ".join(parts)


def _rate_row(g: dict[str, Any], label: str | None = None) -> list[Any]:
    return [label or g["label"], g["key"] if label is None else "", g["employees"], g["count"],
            _rate(g["rate"]), g["front_line_employees"], g["front_line_count"],
            _rate(g["front_line_rate"])]


def _rate(value: float | None) -> Rate | None:
    return None if value is None else Rate(value)


def _pct(value: float | str | None) -> Percent | None:
    return None if value is None else Percent(float(value))


def rate_groups(name: str, doc: dict[str, Any], people: str, counted: str,
                rate: str) -> Table:
    """participation and skill-attainment: a row per group, 合计 last."""
    group = GROUP_WORDS.get(doc.get("group_by"), "分组")
    return Table(title(name, doc),
                 [group, "代码", people, counted, rate, f"一线{people}", f"一线{counted}",
                  f"一线{rate}"],
                 [_rate_row(g) for g in doc["groups"]], [_rate_row(doc["total"], "合计")])


def participation(doc: dict[str, Any]) -> list[Table]:
    return [rate_groups("participation", doc, "在职人数", "参训人数", "参与率")]


def skill_attainment(doc: dict[str, Any]) -> list[Table]:
    groups = rate_groups("skill-attainment", doc, "应达标人数", "达标人数", "达标率")
    groups.notes.append(f"截至 {doc['as_of']}；岗位无技能要求、不计入的员工 "
                        f"{doc['without_model']:,} 人")
    skills = Table(f"各技能达标 · {scope_text(doc['scope'])}",
                   ["技能", "代码", "应具备人数", "已具备", "欠缺", "达标率"],
                   [[s["skill_name"], s["skill_code"], s["required_of"], s["holding"],
                     s["lacking"], _rate(s["rate"])] for s in doc["skills"]])
    return [groups, skills]


def time_to_competency(doc: dict[str, Any]) -> list[Table]:
    buckets = list(doc["total"]["distribution"])

    def row(c: dict[str, Any], label: str) -> list[Any]:
        return [label, c["hires"], c["competent"], c["not_yet"], c["median_days"],
                *[c["distribution"][b] for b in buckets]]

    return [Table(title("time-to-competency", doc),
                  ["入职月份", "新员工数", "已达标", "未达标", "中位天数",
                   *[f"{b}天" for b in buckets]],
                  [row(c, c["cohort"]) for c in doc["cohorts"]],
                  [row(doc["total"], "合计")])]


def effectiveness(doc: dict[str, Any]) -> list[Table]:
    share = f"{round(doc['fraction'] * 100)}%"
    rows = [[label, s["employees"], s["measured"], s["attained"], _rate(s["rate"]),
             s["min_points"], s["max_points"]]
            for label, s in ((f"积分前{share}", doc["top"]), (f"积分后{share}", doc["bottom"]))]
    difference = None if doc["difference"] is None else RatePoints(doc["difference"])
    totals = [["差值（达标率）", None, None, None, difference, None, None]]
    notes = [f"范围内在职 {doc['employees']:,} 人"]
    if doc["relative_difference"] is not None:
        notes.append(f"积分前{share}的达标率是后{share}的 "
                     f"{1 + doc['relative_difference']:.2f} 倍"
                     f"（相对 {doc['relative_difference'] * 100:+.1f}%）")
    return [Table(title("effectiveness", doc),
                  ["组", "人数", "有能力模型人数", "达标人数", "达标率", "积分最低", "积分最高"],
                  rows, totals, notes)]


def training_plans(doc: dict[str, Any]) -> list[Table]:
    def row(p: dict[str, Any], label: str, code: str, due: str | None) -> list[Any]:
        return [label, code, due, p["assigned"], p["completed"], p["completed_on_time"],
                p["behind"], _rate(p["completion_rate"]), _rate(p["on_time_rate"])]

    return [Table(title("training-plans", doc),
                  ["计划", "代码", "截止日", "应完成", "已完成", "按时完成", "未完成", "完成率",
                   "按时完成率"],
                  [row(p, p["name"], p["code"], p["due_on"]) for p in doc["plans"]],
                  [row(doc["total"], "合计", "", None)])]


PILOT_FIGURES = (("人数", "employees", int), ("参与率", "participation_rate", Rate),
                 ("一线参与率", "front_line_participation_rate", Rate),
                 ("计划完成率", "plan_completion_rate", Rate),
                 ("应完成计划人次", "plan_assignments", int),
                 ("技能达标率", "attainment_rate", Rate),
                 ("积分合计", "total_points", int), ("人均积分", "points_per_head", float))


def pilot_comparison(doc: dict[str, Any]) -> list[Table]:
    def typed(kind: type, value: Any) -> Any:
        return None if value is None else kind(value)

    rows = []
    for label, key, kind in PILOT_FIGURES:
        pilot, rest = doc["pilot"][key], doc["rest"][key]
        change = None
        if pilot is not None and rest is not None:
            change = RatePoints(pilot - rest) if kind is Rate else Signed(pilot - rest)
        rows.append([label, typed(kind, pilot), typed(kind, rest), change])
    return [Table(title("pilot-comparison", doc), ["指标", "试点", "其他", "试点 − 其他"], rows,
                  notes=[f"试点部门: {'、'.join(doc['pilot_departments']) or '无'}"])]


KPI_COLUMNS = (("次品率", "defect_rate", _pct), ("技能原因次品占比", "skill_defect_share", _pct),
               ("生产效率", "efficiency", _pct), ("参与率", "participation_rate", _rate),
               ("一线参与率", "front_line_participation_rate", _rate),
               ("技能达标率", "attainment_rate", _rate))
PHASE_WORDS = {"before": "试点前", "after": "试点后"}


def production_kpis(doc: dict[str, Any]) -> list[Table]:
    def change(key: str, convert: Callable[[Any], Any]) -> Any:
        value = doc["change"][key] if doc.get("change") else None
        if value is None:
            return None
        return RatePoints(value) if convert is _rate else PercentPoints(value)

    rows = [[m["month"], PHASE_WORDS.get(m["phase"], m["phase"] or ""), m["employees"],
             *[convert(m[key]) for _, key, convert in KPI_COLUMNS]] for m in doc["months"]]
    totals = [[f"{word}均值", f"{doc[phase]['months']} 个月", None,
               *[convert(doc[phase][key]) for _, key, convert in KPI_COLUMNS]]
              for phase, word in PHASE_WORDS.items() if doc.get(phase)]
    if doc.get("change"):
        totals.append(["变化", "后 − 前", None,
                       *[change(key, convert) for _, key, convert in KPI_COLUMNS]])
    scope = {"department_code": doc["department_code"],
             "department_name": doc["department_name"]}
    notes = [f"试点开始: {doc['pilot_started_on']}" if doc.get("pilot_started_on")
             else "没有试点开始日：不分前后"]
    return [Table(title("production-kpis", doc, scope),
                  ["月份", "阶段", "人数", *[label for label, _, _ in KPI_COLUMNS]],
                  rows, totals, notes)]


def satisfaction(doc: dict[str, Any]) -> list[Table]:
    questions = list(dict.fromkeys(r["question_code"] for r in doc["rows"]))
    by_period: dict[str, dict[Any, dict[str, Any]]] = {}
    for r in doc["rows"]:
        by_period.setdefault(r["period"], {})[r["question_code"]] = r

    def row(period: str, label: str) -> list[Any]:
        cells = by_period[period]
        overall = cells.get(None)
        return [label, overall["answers"] if overall else None,
                *[_rate(cells[q]["satisfaction_share"]) if q in cells else None
                  for q in questions]]

    names = ["全部题目" if q is None else q for q in questions]
    periods = [p for p in by_period if p != "all"]
    return [Table(title("satisfaction", doc),
                  ["期间", "回答数", *[f"{n} 满意占比" for n in names]],
                  [row(p, p) for p in periods],
                  [row("all", "合计")] if "all" in by_period else [],
                  ["满意占比 = 4 分和 5 分的回答 / 回答"])]


def survey_results(doc: dict[str, Any]) -> list[Table]:
    rows = []
    for q in doc["questions"]:
        scale = q.get("scale") or {}
        options = "、".join(f"{o['label']} {o['count']:,}（{o['share'] * 100:.1f}%）"
                           for o in q.get("options") or [] if "count" in o)
        rows.append([q["position"], q["text"], q["answers"], scale.get("mean"),
                     _rate(scale.get("satisfaction_share")), options or None])
    return [Table(f"{TITLES['survey-results']} {doc['title']}（{doc['survey_code']}）· "
                  f"{scope_text(doc['scope'])} · {period_text(doc['period'])}",
                  ["题号", "题目", "回答数", "平均分", "满意占比", "选项"], rows,
                  notes=[f"答卷 {doc['responses']:,} 份"])]


def points_mix(doc: dict[str, Any]) -> list[Table]:
    categories = Table(
        title("points-mix", doc),
        ["类别", "积分", "占比", "目标", "容许区间", "状态"],
        [[c["label"], c["points"], _pct(c["share_percent"]), _pct(c["target_percent"]),
          f"{c['band_low_percent']}%–{c['band_high_percent']}%",
          STATUS_WORDS.get(c["status"], c["status"])] for c in doc["categories"]],
        [["合计", doc["total_points"], Percent(100) if doc["total_points"] else None, None,
          None, None]],
        [f"⚠ {a['message']}；{a['suggestion']}" for a in doc["alerts"]])
    sources = Table(
        f"积分来源（按规则）· {scope_text(doc['scope'])}",
        ["规则", "名称", "类别", "积分", "占比", "条目", "冲销"],
        [[s["rule_id"], s["rule_name"], CATEGORY_WORDS.get(s["category"], s["category"]),
          s["points"], _pct(s["share_percent"]), s["entries"], s["reversals"]]
         for s in doc["sources"]])
    if doc["adjustments"]["entries"]:
        sources.notes.append(f"另有人工调整 {doc['adjustments']['points']:+,} 分"
                             f"（{doc['adjustments']['entries']:,} 条），不计入结构")
    return [categories, sources]


LIST_LABELS = {
    "employee_no": "工号", "name": "姓名", "department_code": "部门编码",
    "department_name": "部门", "job_role_code": "岗位编码", "job_role_name": "岗位",
    "is_front_line": "一线", "hired_on": "入职日期", "missing_skill_names": "缺少技能",
    "missing_course_titles": "未完成课程", "past_due": "已逾期", "topic": "主题",
    "subject": "对象", "text": "内容", "status": "状态", "tags": "标签",
    "created_at": "提交时间", "answered_on": "回答日期", "question": "题号",
    "actual_points": "实际积分", "simulated_points": "模拟积分", "difference": "差值",
}
HIDDEN = {"missing_skills", "missing_courses", "id", "client_id"}


def items(name: str, doc: dict[str, Any]) -> list[Table]:
    """A list report: one row per item, its flat fields as columns."""
    rows = doc["items"]
    keys = [k for k in dict.fromkeys(k for row in rows for k in row)
            if k not in HIDDEN and not isinstance(rows[0].get(k), dict)]
    return [Table(f"{TITLES.get(name, name)} · 共 {len(rows):,} 条",
                  [LIST_LABELS.get(k, k) for k in keys],
                  [[row.get(k) for k in keys] for row in rows])]


def figures(name: str, doc: dict[str, Any]) -> list[Table]:
    """A report without a view of its own: its top-level figures, one per row."""
    rows = [[key, value] for key, value in doc.items()
            if not isinstance(value, dict | list)]
    return [Table(title(name, doc), ["项目", "值"], rows)]


LEVEL_WORDS = {"high": "高", "medium": "中", "low": "低"}
FIGURE_WORDS = {"model": "模型", "rule_no_training_60_days": "规则：60 天未参加培训",
                "engagement_rules": "参与度下降规则"}


def attrition_risk(doc: dict[str, Any]) -> list[Table]:
    """The ranking with reasons, and the model card's validation figures."""
    card = doc["run"]["model_card"] or {}
    method = "模型" if card.get("method") == "model" else "参与度下降规则（模型样本不足）"
    ranking = Table(
        f"{TITLES['attrition-risk']} · {doc.get('department_code') or '全公司'} · "
        f"{card.get('target', '')} · {method}",
        ["排名", "工号", "姓名", "部门", "等级", "离职概率", "主要原因"],
        [[i["rank"], i["employee_no"], i["name"], i["department_name"],
          LEVEL_WORDS[i["level"]], None if i["risk"] is None else Rate(i["risk"]),
          "；".join(r["text"] for r in i["reasons"])] for i in doc["items"]],
        notes=[card["refused"]] if card.get("refused") else [])
    holdout = card.get("holdout_window") or {}
    validation = Table(
        f"验证（{holdout.get('from', '-')} 至 {holdout.get('to', '-')}，"
        f"离职 {holdout.get('leavers', 0)} 人）",
        ["方法", "AUC", "前 10% 精确率"],
        [[words, card[key]["auc"], None if card[key]["precision_at_10_percent"] is None
          else Rate(card[key]["precision_at_10_percent"])]
         for key, words in FIGURE_WORDS.items() if key in card])
    return [ranking, validation]


def training_demand(doc: dict[str, Any]) -> list[Table]:
    """Each series' forecast, the onboarding of planned hires over the forecast months,
    its backtest and the naive forecast's."""
    months = list(doc["series"][0]["forecast"]) if doc["series"] else []
    rows = [[s["code"], s["name"], s["method"], *[s["forecast"][m] for m in months],
             sum(s.get("onboarding", {}).values()), s["backtest"]["method"]["mase"],
             s["backtest"]["naive"]["mase"], s["backtest"]["method"]["mape"],
             s["backtest"]["naive"]["mape"]]
            for s in doc["series"]]
    o = doc["overall"]
    return [Table(f"{TITLES['training-demand']} · {doc.get('department_code') or '全公司'} · "
                  f"按{'课程' if doc['by'] == 'course' else '技能'} · 历史 "
                  f"{doc['months_of_history']} 个月",
                  ["代码", "名称", "方法", *months, "新员工入职", "MASE", "朴素MASE", "MAPE%",
                   "朴素MAPE%"],
                  rows, [["平均", None, None, *[None] * len(months), None, o["method_mase"],
                          o["naive_mase"], o["method_mape"], o["naive_mape"]]])]


def recommendation_uptake(doc: dict[str, Any]) -> list[Table]:
    """Shown and taken per group (合计 last), per reason, and participation by what
    employees did with what they were shown."""
    def row(g: dict[str, Any], label: str | None = None) -> list[Any]:
        return [label or g["label"], g["key"] if label is None else "", g["employees"],
                g["employees_shown"], g["shown"], g["taken"], _rate(g["taken_rate"]),
                g["employees_took"], g["open"]]

    groups = Table(title("recommendation-uptake", doc),
                   [GROUP_WORDS.get(doc.get("group_by"), "分组"), "代码", "在职人数",
                    "看到推荐人数", "推荐数", "采纳数", "采纳率", "采纳人数", "待定数"],
                   [row(g) for g in doc["groups"]], [row(doc["total"], "合计")],
                   notes=[f"推荐后 {doc['taken_within_days']} 天内完成计为采纳"])
    reasons = Table("按推荐理由", ["理由", "代码", "推荐数", "采纳数", "采纳率"],
                    [[r["label"], r["kind"], r["shown"], r["taken"], _rate(r["taken_rate"])]
                     for r in doc["by_reason"]])
    cohorts = Table("参与情况", ["人群", "人数", "参训人数", "参与率", "人均培训记录",
                                 "人均其他培训记录"],
                    [[c["label"], c["employees"], c["participating"],
                      _rate(c["participation_rate"]), c["records_per_head"],
                      c["other_records_per_head"]] for c in doc["participation"]])
    return [groups, reasons, cohorts]


VIEWS: dict[str, Callable[[dict[str, Any]], list[Table]]] = {
    "participation": participation, "skill-attainment": skill_attainment,
    "time-to-competency": time_to_competency, "effectiveness": effectiveness,
    "training-plans": training_plans, "pilot-comparison": pilot_comparison,
    "production-kpis": production_kpis, "satisfaction": satisfaction,
    "survey-results": survey_results, "points-mix": points_mix,
    "attrition-risk": attrition_risk, "training-demand": training_demand,
    "recommendation-uptake": recommendation_uptake,
}


def tables(name: str, doc: dict[str, Any]) -> list[Table]:
    if name in VIEWS:
        return VIEWS[name](doc)
    if isinstance(doc.get("items"), list):
        return items(name, doc)
    return figures(name, doc)
