"""Parse department figures from a CSV or XLSX file as an ERP exports it (the same
encodings and formats the employee import reads). Pure: bytes in, rows out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from services.training_api.employees.importing import (
    ImportFileError,
    _csv_records,
    _decode,
    _detect_format,
    _xlsx_records,
)

MAX_ROWS = 50_000
ALIASES: dict[str, tuple[str, ...]] = {
    "department_code": ("department_code", "department", "部门编码", "部门代码", "部门"),
    "month": ("month", "月份", "年月", "统计月份"),
    "defect_rate": ("defect_rate", "次品率", "不良率", "缺陷率"),
    "skill_defect_share": ("skill_defect_share", "技能原因次品占比", "技能不足次品占比",
                           "技能原因占比"),
    "efficiency": ("efficiency", "生产效率", "效率"),
}
LIMITS = {"defect_rate": 100, "skill_defect_share": 100, "efficiency": 1000}
_ALIAS = {a.casefold(): f for f, names in ALIASES.items() for a in names}
_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:月)?(?:[-/.]\d{1,2}.*)?$")
_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,50}$")


@dataclass(frozen=True)
class KpiRow:
    line: int
    department_code: str
    month: date
    figures: dict[str, Decimal | None]


@dataclass(frozen=True)
class KpiRowError:
    line: int
    department_code: str | None
    month: str | None
    reason: str


@dataclass
class ParsedKpis:
    rows: list[KpiRow]
    errors: list[KpiRowError]
    total_rows: int
    encoding: str


def parse_kpi_file(content: bytes, filename: str) -> ParsedKpis:
    if not content:
        raise ImportFileError("the file is empty (0 bytes)")
    if _detect_format(content, filename) == "xlsx":
        records = _xlsx_records(content)
        with closing(records):
            return _parse(records, "xlsx")
    text, encoding = _decode(content)
    return _parse(_csv_records(text), encoding)


def _parse(records: Iterable[tuple[int, Sequence[Any]]], encoding: str) -> ParsedKpis:
    columns: dict[str, int] | None = None
    rows: list[KpiRow] = []
    errors: list[KpiRowError] = []
    total = 0
    for line, cells in records:
        if all(_text(c) == "" for c in cells):
            continue
        if columns is None:
            columns = _header(cells)
            continue
        total += 1
        if total > MAX_ROWS:
            raise ImportFileError(f"more than {MAX_ROWS} rows; split the file")
        parsed = _row(line, cells, columns)
        if isinstance(parsed, KpiRow):
            rows.append(parsed)
        else:
            errors.append(parsed)
    if columns is None:
        raise ImportFileError("the file has no header line")
    return ParsedKpis(rows, errors, total, encoding)


def _header(cells: Sequence[Any]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for i, cell in enumerate(cells):
        field = _ALIAS.get(_text(cell).replace("\ufeff", "").strip("*＊ ").casefold())
        if field and field not in columns:
            columns[field] = i
    missing = [f for f in ("department_code", "month") if f not in columns]
    if missing:
        raise ImportFileError(f"line 1: missing column(s) {', '.join(missing)} (e.g. 部门编码, "
                              "月份, 次品率, 技能原因次品占比, 生产效率)")
    if not set(LIMITS) & set(columns):
        raise ImportFileError("no figure column: give 次品率 (defect_rate), 技能原因次品占比 "
                              "(skill_defect_share) or 生产效率 (efficiency)")
    return columns


def _row(line: int, cells: Sequence[Any], columns: dict[str, int]) -> KpiRow | KpiRowError:
    def cell(field: str) -> str:
        i = columns.get(field)
        return _text(cells[i]) if i is not None and i < len(cells) else ""

    code, month_text = cell("department_code"), cell("month")
    if not _CODE.match(code):
        return KpiRowError(line, code or None, month_text or None,
                           f"department_code: {code!r} is not a department code")
    month = _month(month_text)
    if month is None:
        return KpiRowError(line, code, month_text or None,
                           f"month: {month_text!r} is not a month (2026-03, 2026/3, 2026年3月)")
    figures: dict[str, Decimal | None] = {}
    for field, limit in LIMITS.items():
        raw = cell(field).removesuffix("%").strip()
        if not raw:
            figures[field] = None
            continue
        try:
            value = Decimal(raw).quantize(Decimal("0.0001"))
            in_range = value.is_finite() and 0 <= value <= limit
        except InvalidOperation:
            return KpiRowError(line, code, month_text, f"{field}: {raw!r} is not a number")
        if not in_range:
            return KpiRowError(line, code, month_text, f"{field}: must be between 0 and {limit}")
        figures[field] = value
    if all(v is None for v in figures.values()):
        return KpiRowError(line, code, month_text, "the row has no figure")
    return KpiRow(line, code, month, figures)


def _month(text: str) -> date | None:
    match = _MONTH.match(text)
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        day: str = value.strftime("%Y-%m-%d")
        return day
    return str(value).strip()
