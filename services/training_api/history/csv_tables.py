"""History import reports as CSV (UTF-8 with BOM, for Excel)."""

from __future__ import annotations

import uuid
from typing import Any

from services.training_api.history.schemas import RejectedRecord, Report
from shared.export import CsvTable, file_name

CATEGORY_LABELS = {"participation": "参与度", "outcome": "成果", "growth": "成长"}


def rejected(import_id: uuid.UUID, rows: list[RejectedRecord]) -> CsvTable:
    return CsvTable(file_name("history-import-rejected", str(import_id)[:8]),
                    ["行号", "原系统编号", "工号", "原因"],
                    [[r.line, r.legacy_id, r.employee_no, r.reason] for r in rows])


def report(r: Report) -> CsvTable:
    """One row per employee, then the totals, then what was read, imported, rejected."""
    header = ["工号", "姓名", "记录数", "原系统积分", "Jifen积分", "差额"]
    for label in CATEGORY_LABELS.values():
        header += [f"{label}(原系统)", f"{label}(Jifen)"]
    rows: list[list[Any]] = []
    for e in r.items:
        row: list[Any] = [e.employee_no, e.name, e.records, e.legacy_points, e.jifen_points,
                          e.difference]
        for category in CATEGORY_LABELS:
            row += [e.by_category[category].legacy, e.by_category[category].jifen]
        rows.append(row)
    total = r.totals.total
    difference = (total.jifen - total.legacy
                  if total.jifen is not None and total.legacy is not None else None)
    totals: list[Any] = ["合计", "", sum(e.records for e in r.items), total.legacy, total.jifen,
                         difference]
    for category in CATEGORY_LABELS:
        side = getattr(r.totals, category)
        totals += [side.legacy, side.jifen]
    rows += [totals, [],
             ["读取行数", r.counts.rows_read], ["导入行数", r.counts.imported],
             ["其中新增", r.counts.created], ["其中更正", r.counts.updated],
             ["其中未变", r.counts.unchanged], ["拒绝行数", r.counts.rejected]]
    mode = "dry-run" if r.dry_run else r.mode
    return CsvTable(file_name("history-import-report", mode, str(r.id)[:8]), header, rows)
