"""The CSV table of each training-metric report: one row per group and a total row
(合计), columns in Chinese for the HR users who open them in Excel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.training_api.recommendations.schemas import UptakeReport
from services.training_api.reports import schemas
from shared.export import CsvTable, file_name


def _period_cells(period: schemas.PeriodOut) -> list[Any]:
    return [period.key or "", period.first_day, period.last_day]


def _rate_row(kind: str, g: schemas.RateGroup) -> list[Any]:
    return [kind, g.key, g.label, g.employees, g.count, g.rate, g.front_line_employees,
            g.front_line_count, g.front_line_rate]


def _rate_rows(report: Any, group_kind: str) -> list[Sequence[Any]]:
    head = _period_cells(report.period) + [report.scope.department_code or ""]
    rows: list[Sequence[Any]] = [head + _rate_row(group_kind, g) for g in report.groups]
    rows.append(head + _rate_row("合计", report.total))
    return rows


def participation(report: schemas.ParticipationReport) -> CsvTable:
    header = ["期间", "起始日", "截止日", "范围部门", "维度", "代码", "名称", "在职人数",
              "参训人数", "参与率", "一线在职人数", "一线参训人数", "一线参与率"]
    return CsvTable(file_name("participation", report.period.key or "custom",
                              report.scope.department_code),
                    header, _rate_rows(report, report.group_by or "全部"))


def attainment(report: schemas.AttainmentReport) -> CsvTable:
    header = ["期间", "起始日", "截止日", "范围部门", "维度", "代码", "名称", "应达标人数",
              "达标人数", "达标率", "一线应达标人数", "一线达标人数", "一线达标率"]
    rows = _rate_rows(report, report.group_by or "全部")
    head = _period_cells(report.period) + [report.scope.department_code or ""]
    rows += [head + ["技能", s.skill_code, s.skill_name, s.required_of, s.holding, s.rate,
                     "", "", ""] for s in report.skills]
    return CsvTable(file_name("skill-attainment", report.period.key or "custom",
                              report.scope.department_code), header, rows)


def lacking(items: list[schemas.LackingEmployee], skill: str | None) -> CsvTable:
    header = ["工号", "姓名", "部门编码", "部门", "岗位编码", "岗位", "一线", "入职日期",
              "缺少技能编码", "缺少技能"]
    return CsvTable(file_name("skill-gaps", skill), header, [
        [e.employee_no, e.name, e.department_code, e.department_name, e.job_role_code,
         e.job_role_name, e.is_front_line, e.hired_on, e.missing_skills, e.missing_skill_names]
        for e in items])


def time_to_competency(report: schemas.TimeToCompetencyReport) -> CsvTable:
    buckets = list(report.total.distribution)
    header = ["入职月份", "新员工数", "已达标", "未达标", "中位天数",
              *[f"{b}天" for b in buckets]]
    rows = [[c.cohort if c.cohort != "all" else "合计", c.hires, c.competent, c.not_yet,
             c.median_days, *[c.distribution[b] for b in buckets]]
            for c in [*report.cohorts, report.total]]
    return CsvTable(file_name("time-to-competency", report.period.key or "custom",
                              report.scope.department_code), header, rows)


def effectiveness(report: schemas.EffectivenessReport) -> CsvTable:
    header = ["期间", "范围部门", "组", "人数", "有能力模型人数", "达标人数", "达标率",
              "积分最低", "积分最高"]
    head = [report.period.key or f"{report.period.first_day}..{report.period.last_day}",
            report.scope.department_code or ""]
    share = f"{round(report.fraction * 100)}%"
    rows: list[Sequence[Any]] = [
        head + [label, s.employees, s.measured, s.attained, s.rate, s.min_points, s.max_points]
        for label, s in ((f"积分前{share}", report.top), (f"积分后{share}", report.bottom))]
    rows.append(head + ["差值(达标率)", "", "", "", report.difference, "", ""])
    rows.append(head + ["相对差异", "", "", "", report.relative_difference, "", ""])
    return CsvTable(file_name("effectiveness", report.period.key or "custom",
                              report.scope.department_code), header, rows)


def pilot_comparison(report: Any) -> CsvTable:
    header = ["期间", "范围部门", "组", "在职人数", "参与率", "一线参与率", "计划完成率",
              "计划人次", "技能达标率", "积分人数", "积分合计", "人均积分"]
    head = [report.period.key or f"{report.period.first_day}..{report.period.last_day}",
            report.scope.department_code or ""]
    rows = [head + [label, g.employees, g.participation_rate, g.front_line_participation_rate,
                    g.plan_completion_rate, g.plan_assignments, g.attainment_rate,
                    g.points_employees, g.total_points, g.points_per_head]
            for label, g in (("试点部门", report.pilot), ("非试点部门", report.rest))]
    return CsvTable(file_name("pilot-comparison", report.period.key or "custom",
                              report.scope.department_code), header, rows)


def uptake(report: UptakeReport) -> CsvTable:
    """Groups and the total, then one row per reason and one per participation cohort
    (the columns that do not apply to a row are empty)."""
    header = ["期间", "起始日", "截止日", "范围部门", "维度", "代码", "名称", "在职人数",
              "看到推荐人数", "推荐数", "采纳数", "采纳率", "采纳人数", "待定数", "参训人数",
              "参与率", "人均培训记录", "人均其他培训记录"]
    head = _period_cells(report.period) + [report.scope.department_code or ""]
    blank = [""] * 4

    def group(kind: str, g: Any) -> list[Any]:
        return head + [kind, g.key, g.label, g.employees, g.employees_shown, g.shown, g.taken,
                       g.taken_rate, g.employees_took, g.open, *blank]

    rows = [group(report.group_by or "全部", g) for g in report.groups]
    rows.append(group("合计", report.total))
    rows += [head + ["理由", r.kind, r.label, "", "", r.shown, r.taken, r.taken_rate, "", "",
                     *blank] for r in report.by_reason]
    rows += [head + ["参与", c.cohort, c.label, c.employees, "", "", "", "", "", "",
                     c.participating, c.participation_rate, c.records_per_head,
                     c.other_records_per_head] for c in report.participation]
    return CsvTable(file_name("recommendation-uptake", report.period.key or "custom",
                              report.scope.department_code), header, rows)

