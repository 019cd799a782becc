"""CSV tables of the training-plan reports."""

from __future__ import annotations

from services.training_api.plans import schemas
from shared.export import CsvTable, file_name


def report(r: schemas.PlansReport) -> CsvTable:
    header = ["计划编码", "计划名称", "截止日期", "已过期", "应完成人数", "已完成", "按期完成",
              "未完成", "完成率", "按期完成率"]
    rows = [[p.code, p.name, p.due_on, p.past_due, p.assigned, p.completed,
             p.completed_on_time, p.behind, p.completion_rate, p.on_time_rate]
            for p in r.plans]
    t = r.total
    rows.append(["合计", "", "", "", t.assigned, t.completed, t.completed_on_time, t.behind,
                 t.completion_rate, t.on_time_rate])
    return CsvTable(file_name("training-plans", r.period.key or "custom",
                              r.scope.department_code), header, rows)


def behind(code: str, items: list[schemas.BehindEmployee]) -> CsvTable:
    header = ["工号", "姓名", "部门编码", "部门", "岗位编码", "岗位", "未完成课程编码",
              "未完成课程", "已完成课程数", "课程总数", "已过期"]
    return CsvTable(file_name("plan-behind", code), header, [
        [e.employee_no, e.name, e.department_code, e.department_name, e.job_role_code,
         e.job_role_name, e.missing_courses, e.missing_course_titles, e.completed_courses,
         e.total_courses, e.past_due] for e in items])
