"""CSV table of the production-KPI report."""

from __future__ import annotations

from typing import Any

from services.training_api.kpis import schemas
from shared.export import CsvTable, file_name

PHASES = {"before": "试点前", "after": "试点后", None: ""}


def report(r: schemas.KpiReport) -> CsvTable:
    header = ["部门编码", "部门", "月份", "阶段", "次品率(%)", "技能原因次品占比(%)",
              "生产效率(%)", "在职人数", "参与率", "一线参与率", "技能达标率"]
    head = [r.department_code, r.department_name]
    rows: list[list[Any]] = [
        head + [m.month, PHASES[m.phase], m.defect_rate, m.skill_defect_share, m.efficiency,
                m.employees, m.participation_rate, m.front_line_participation_rate,
                m.attainment_rate] for m in r.months]
    for label, avg in (("试点前平均", r.before), ("试点后平均", r.after), ("变化", r.change)):
        if avg is not None:
            rows.append(head + [label, f"{avg.months}个月", avg.defect_rate,
                                avg.skill_defect_share, avg.efficiency, "",
                                avg.participation_rate, avg.front_line_participation_rate,
                                avg.attainment_rate])
    return CsvTable(file_name("production-kpis", r.department_code, r.period.key), header, rows)
