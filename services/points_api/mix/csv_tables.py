"""The points mix as one CSV table for Excel: a row per category, per rule, per
named source, the adjustments and the total (合计); Chinese column headers. The row
of a category or named source outside its band carries the alert and what to do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.points_api.mix.assessment import CATEGORY_LABELS
from services.points_api.mix.schemas import Alert, MixStatus, PointsMixReport
from shared.export import CsvTable, file_name

HEADER = ["期间", "起始日", "截止日", "范围部门", "岗位族", "一线", "类型", "代码", "名称",
          "类别", "积分", "发放条数", "撤销条数", "占比(%)", "目标(%)", "下限(%)", "上限(%)",
          "状态", "提醒", "建议"]
STATUS_LABELS: dict[MixStatus | None, str] = {
    MixStatus.OK: "正常", MixStatus.BELOW: "偏低", MixStatus.ABOVE: "偏高"}


def _alert_cells(alerts: Mapping[tuple[Any, str], Alert], kind: str, subject: str) -> list[str]:
    alert = alerts.get((kind, subject))
    return [alert.message, alert.suggestion] if alert else ["", ""]


def points_mix(report: PointsMixReport) -> CsvTable:
    p, s = report.period, report.scope
    head: list[Any] = [p.key, p.first_day, p.last_day, s.department, s.family, s.front_line]
    alerts = {(a.kind, a.subject): a for a in report.alerts}
    rows: list[list[Any]] = []
    for c in report.categories:
        rows.append(head + ["类别", c.category, c.label, c.label, c.points, "", "",
                            c.share_percent, c.target_percent, c.band_low_percent,
                            c.band_high_percent, STATUS_LABELS.get(c.status, ""),
                            *_alert_cells(alerts, "category", c.category)])
    for r in report.sources:
        rows.append(head + ["来源", r.rule_id, r.rule_name, CATEGORY_LABELS.get(r.category or ""),
                            r.points, r.entries, r.reversals, r.share_percent, "", "", "", "",
                            "", ""])
    for t in report.source_targets:
        rows.append(head + ["目标来源", t.rule_ids, t.label, "", t.points, "", "",
                            t.share_percent, "", t.min_percent, t.max_percent,
                            STATUS_LABELS.get(t.status, ""),
                            *_alert_cells(alerts, "source", t.label)])
    a = report.adjustments
    rows.append(head + ["人工调整", "", "人工调整（不计入占比）", "", a.points, a.entries, "",
                        "", "", "", "", "", "", ""])
    rows.append(head + ["合计", "", "合计", "", report.total_points, report.entries,
                        sum(r.reversals for r in report.sources),
                        100 if report.total_points else None, "", "", "", "", "", ""])
    return CsvTable(file_name("points-mix", p.key, s.department, s.family,
                              None if s.front_line is None
                              else ("front-line" if s.front_line else "not-front-line")),
                    HEADER, rows)
