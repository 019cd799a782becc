"""Parse a legacy system's training records (CSV or XLSX as Excel exports them, with
the encodings, Chinese headers and cell formats the employee import reads).

Pure functions: bytes in, rows and per-row errors out. Whether the employees,
courses, exams and skills exist is the import job's question.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from services.training_api.employees.importing import (
    ImportFileError,
    _BadValue,
    _cell_text,
    _csv_records,
    _date_from_number,
    _date_from_text,
    _decode,
    _detect_format,
    _is_blank,
    _normalize_header,
    _parse_code,
    _show,
    _xlsx_records,
    data_records,
)
from shared.identity import canonical_employee_no

MAX_ROWS = 200_000
LEGACY_ID_MAX_LENGTH = 100
EARLIEST = date(2000, 1, 1)  # training facts start in 2000, when the default rules do
# a date without a time of day counts at noon, company time: inside the same day,
# week and month whatever the time zone
DEFAULT_TIME = time(12, 0)

KINDS = ("course", "exam", "practical", "skill_level")
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "course": ("course", "course_completion", "completion", "课程", "课程完成", "完成课程",
               "培训", "培训课程"),
    "exam": ("exam", "exam_attempt", "exam_score", "考试", "考试成绩", "考试记录"),
    "practical": ("practical", "practical_assessment", "practical_result", "实操", "实操考核",
                  "实操结果", "实操考核结果"),
    "skill_level": ("skill_level", "skill", "技能等级", "技能", "技能评定"),
}
CATEGORIES = ("participation", "outcome", "growth")
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "participation": ("participation", "参与度", "参与度积分", "参与", "参与积分"),
    "outcome": ("outcome", "成果", "成果积分"),
    "growth": ("growth", "成长", "成长积分"),
}
# the category a kind's legacy points count in when the file does not say
DEFAULT_CATEGORY = {"course": "participation", "exam": "outcome", "practical": "outcome",
                    "skill_level": "growth"}
PASS_WORDS = frozenset({"pass", "passed", "yes", "y", "true", "1", "通过", "合格", "是", "已通过"})
FAIL_WORDS = frozenset({"fail", "failed", "no", "n", "false", "0", "不通过", "不合格", "否",
                        "未通过"})

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "legacy_id": ("legacy_id", "legacy id", "record_id", "记录编号", "原系统编号", "原记录编号",
                  "记录号", "原始编号"),
    "employee_no": ("employee_no", "employee number", "工号", "员工编号", "员工号"),
    "kind": ("kind", "type", "record_type", "类型", "记录类型", "培训类型"),
    "occurred_at": ("date", "occurred_at", "occurred_on", "日期", "完成日期", "发生日期", "时间",
                    "考试日期", "考核日期", "评定日期"),
    "course_code": ("course_code", "course", "课程编码", "课程代码"),
    "hours_attended": ("hours_attended", "hours", "学时", "参加学时", "实际学时"),
    "exam_code": ("exam_code", "exam", "考试编码", "考试代码"),
    "score": ("score", "成绩", "分数", "考试分数"),
    "skill_code": ("skill_code", "技能编码", "技能代码"),
    "passed": ("passed", "result", "结果", "考核结果", "是否通过"),
    "level": ("level", "skill level", "等级", "技能等级"),
    "assessor": ("assessor", "考核人", "考官", "评定人"),
    "points": ("points", "legacy_points", "积分", "原积分", "原系统积分"),
    "category": ("category", "积分类别", "积分类型", "类别"),
}
REQUIRED_FIELDS = ("legacy_id", "employee_no", "kind", "occurred_at")
# what each kind needs besides the required columns
KIND_NEEDS = {"course": ("course_code",), "exam": ("exam_code", "score"),
              "practical": ("skill_code", "passed"), "skill_level": ("skill_code", "level")}

_ALIAS_TO_FIELD = {_normalize_header(a): f for f, names in FIELD_ALIASES.items() for a in names}
_KIND = {_normalize_header(w): k for k, words in KIND_WORDS.items() for w in words}
_CATEGORY = {_normalize_header(w): c for c, words in CATEGORY_WORDS.items() for w in words}
_LEGACY_ID = re.compile(r"[A-Za-z0-9_.:/#\-]+")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$")


@dataclass(frozen=True)
class HistoryRow:
    """One valid legacy record. ``fact_key`` is what the fact it becomes depends on;
    points and category are the legacy system's view, kept beside it."""

    line: int
    legacy_id: str
    employee_no: str
    kind: str
    occurred_at: datetime
    course_code: str | None = None
    hours_attended: Decimal | None = None
    exam_code: str | None = None
    score: int | None = None
    skill_code: str | None = None
    passed: bool | None = None
    level: int | None = None
    assessor: str | None = None
    points: int | None = None
    category: str = "participation"

    def fact_hash(self, mode: str) -> str:
        """Changes when the fact this record becomes would change (not with its legacy
        points or category, which no fact carries)."""
        fields = asdict(self)
        for name in ("line", "legacy_id", "points", "category"):
            fields.pop(name)
        fields["mode"] = mode
        canonical = json.dumps(fields, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class RowError:
    line: int
    legacy_id: str | None
    employee_no: str | None
    reason: str


@dataclass
class ParsedHistory:
    rows: list[HistoryRow]
    errors: list[RowError]
    total_rows: int
    encoding: str
    has_points: bool
    ignored_columns: list[str] = field(default_factory=list)


def parse_history_file(content: bytes, filename: str, *, tz: tzinfo, today: date,
                       max_rows: int = MAX_ROWS) -> ParsedHistory:
    """Valid rows (sorted by date, then line: the order they are replayed in) and
    every rejected row with its line and reason. ImportFileError when the file as a
    whole cannot be used."""
    if not content:
        raise ImportFileError("the file is empty (0 bytes)")
    if _detect_format(content, filename) == "xlsx":
        records = _xlsx_records(content)
        with closing(records):
            parsed = _parse(records, "xlsx", tz=tz, today=today, max_rows=max_rows)
    else:
        text, encoding = _decode(content)
        parsed = _parse(_csv_records(text), encoding, tz=tz, today=today, max_rows=max_rows)
    parsed.rows.sort(key=lambda r: (r.occurred_at, r.line))
    return parsed


def read_header(content: bytes, filename: str) -> list[str]:
    """The columns the header maps to; ImportFileError when it lacks a required one.
    A quick look for the upload request, before the job reads everything."""
    if not content:
        raise ImportFileError("the file is empty (0 bytes)")
    if _detect_format(content, filename) == "xlsx":
        records = _xlsx_records(content)
    else:
        records = _csv_records(_decode(content)[0])
    with closing(records):
        for line, cells in records:
            if not _is_blank(cells):
                return sorted(_Header.read(line, cells).column_of)
    raise ImportFileError("the file has no header row (it contains only blank lines)")


@dataclass(frozen=True)
class _Header:
    column_of: dict[str, int]
    labels: list[str]
    ignored: list[str]

    @classmethod
    def read(cls, line: int, cells: Sequence[Any]) -> _Header:
        labels = [_cell_text(c) for c in cells]
        column_of: dict[str, int] = {}
        ignored: list[str] = []
        for index, label in enumerate(labels):
            name = _ALIAS_TO_FIELD.get(_normalize_header(label))
            if name is None:
                if label:
                    ignored.append(label)
            elif name in column_of:
                raise ImportFileError(
                    f"columns '{labels[column_of[name]]}' and '{label}' on line {line} both "
                    f"mean {name}; keep only one of them")
            else:
                column_of[name] = index
        missing = [n for n in REQUIRED_FIELDS if n not in column_of]
        if missing:
            accepted = "; ".join(f"{n}: {', '.join(repr(a) for a in FIELD_ALIASES[n])}"
                                 for n in missing)
            found = ", ".join(repr(label) for label in labels if label) or "nothing"
            raise ImportFileError(f"missing required column(s) {', '.join(missing)}. Accepted "
                                  f"header names: {accepted}. The header on line {line} has: "
                                  f"{found}")
        return cls(column_of, labels, ignored)

    def cell(self, cells: Sequence[Any], name: str) -> Any:
        index = self.column_of.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    def label(self, name: str) -> str:
        written = self.labels[self.column_of[name]] if name in self.column_of else name
        return name if _normalize_header(written) == _normalize_header(name) \
            else f"{name} (column '{written}')"


def _parse(records: Iterable[tuple[int, Sequence[Any]]], encoding: str, *, tz: tzinfo,
           today: date, max_rows: int) -> ParsedHistory:
    header: _Header | None = None
    rows: list[HistoryRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    total = 0
    for line, cells, count in data_records(
            records, max_rows=max_rows,
            advice="split it into several files (each record keeps its legacy id)"):
        total = count
        if header is None:
            header = _Header.read(line, cells)
            continue
        row, row_errors = _parse_row(header, line, cells, tz=tz, today=today)
        if row is not None and row.legacy_id in first_seen:
            row_errors = [RowError(line, row.legacy_id, row.employee_no,
                                   f"duplicate legacy_id, first seen on line "
                                   f"{first_seen[row.legacy_id]}")]
            row = None
        if row is not None:
            first_seen[row.legacy_id] = line
            rows.append(row)
        errors.extend(row_errors)
    if header is None:
        raise ImportFileError("the file has no header row (it contains only blank lines)")
    return ParsedHistory(rows=rows, errors=errors, total_rows=total, encoding=encoding,
                         has_points="points" in header.column_of,
                         ignored_columns=header.ignored)


def _parse_row(header: _Header, line: int, cells: Sequence[Any], *, tz: tzinfo,
               today: date) -> tuple[HistoryRow | None, list[RowError]]:
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, parse in _PARSERS.items():
        if name in ("kind", "category") or name in _KIND_FIELDS:
            continue
        try:
            values[name] = parse(header.cell(cells, name), tz=tz, today=today)
        except _BadValue as exc:
            problems.append(f"{header.label(name)}: {exc}")
    try:
        values["kind"] = _parse_kind(header.cell(cells, "kind"))
    except _BadValue as exc:
        problems.append(f"{header.label('kind')}: {exc}")
    kind = values.get("kind")
    if kind is not None:
        problems += _parse_kind_fields(header, cells, kind, values)
        try:
            values["category"] = _parse_category(header.cell(cells, "category")) \
                or DEFAULT_CATEGORY[kind]
        except _BadValue as exc:
            problems.append(f"{header.label('category')}: {exc}")
    if problems:
        return None, [RowError(line, values.get("legacy_id"), values.get("employee_no"), p)
                      for p in problems]
    return HistoryRow(line=line, **values), []


def _parse_kind_fields(header: _Header, cells: Sequence[Any], kind: str,
                       values: dict[str, Any]) -> list[str]:
    """The kind's own columns: those it needs must be there, the others are left out."""
    problems = []
    needs = KIND_NEEDS[kind]
    for name in _KIND_FIELDS:
        cell = header.cell(cells, name)
        if name not in needs and name not in _OPTIONAL_FOR[kind]:
            continue
        if _cell_text(cell) == "":
            if name in needs:
                problems.append(f"{header.label(name)}: is required for {kind} records")
            continue
        try:
            values[name] = _PARSERS[name](cell)
        except _BadValue as exc:
            problems.append(f"{header.label(name)}: {exc}")
    if kind == "practical":
        values.setdefault("level", 1)
    return problems


# --- cells --------------------------------------------------------------------------------


def _parse_legacy_id(value: Any, **_: Any) -> str:
    text = _cell_text(value)
    if not text:
        raise _BadValue("is empty")
    if len(text) > LEGACY_ID_MAX_LENGTH or not _LEGACY_ID.fullmatch(text):
        raise _BadValue(f"{_show(text)} must be 1-{LEGACY_ID_MAX_LENGTH} letters, digits or "
                        "_ . : / # -")
    return text


def _parse_kind(value: Any) -> str:
    text = _cell_text(value)
    kind = _KIND.get(_normalize_header(text))
    if kind is None:
        raise _BadValue(f"{_show(text)} is not a record type; use course/课程完成, exam/考试, "
                        "practical/实操考核 or skill_level/技能等级")
    return kind


def _parse_category(value: Any) -> str | None:
    text = _cell_text(value)
    if not text:
        return None
    category = _CATEGORY.get(_normalize_header(text))
    if category is None:
        raise _BadValue(f"{_show(text)} is not a points category; use participation/参与度, "
                        "outcome/成果 or growth/成长")
    return category


def _parse_occurred_at(value: Any, *, tz: tzinfo, today: date) -> datetime:
    if isinstance(value, datetime):
        moment = value if value.time() != time() else datetime.combine(value.date(),
                                                                       DEFAULT_TIME)
    elif isinstance(value, date):
        moment = datetime.combine(value, DEFAULT_TIME)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = datetime.combine(_date_from_number(value, _cell_text(value)), DEFAULT_TIME)
    else:
        moment = _moment_from_text(_cell_text(value))
    if moment.date() < EARLIEST:
        raise _BadValue(f"{moment.date().isoformat()} is before {EARLIEST.isoformat()}, when "
                        "training records start")
    if moment.date() > today:
        raise _BadValue(f"{moment.date().isoformat()} lies in the future")
    return moment.replace(tzinfo=tz)


def _moment_from_text(text: str) -> datetime:
    if not text:
        raise _BadValue("is empty")
    day = _date_from_text(text)
    clock = _TIME.search(text) if " " in text or "T" in text else None
    if clock is None:
        return datetime.combine(day, DEFAULT_TIME)
    hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _BadValue(f"{_show(text)} has no valid time of day")
    return datetime.combine(day, time(hour, minute, second))


def _parse_employee_no(value: Any, **_: Any) -> str:
    return canonical_employee_no(_parse_code(value, kind="employee_no"))


def _parse_code_cell(value: Any) -> str:
    return _parse_code(value, kind="code")


def _whole_number(value: Any, *, low: int, high: int) -> int:
    text = _cell_text(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _BadValue(f"{_show(text)} is not a number") from None
    if number != number.to_integral_value():
        raise _BadValue(f"{_show(text)} is not a whole number")
    if not low <= number <= high:
        raise _BadValue(f"{_show(text)} is not between {low:,} and {high:,}")
    return int(number)


def _parse_hours(value: Any) -> Decimal:
    text = _cell_text(value)
    try:
        hours = Decimal(text)
    except InvalidOperation:
        raise _BadValue(f"{_show(text)} is not a number of hours") from None
    if not Decimal(0) <= hours <= Decimal(1000) or hours != hours.quantize(Decimal("0.01")):
        raise _BadValue(f"{_show(text)} must be 0-1000 hours with at most two decimals")
    return hours.quantize(Decimal("0.01"))


def _parse_passed(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _cell_text(value).casefold()
    if text in PASS_WORDS:
        return True
    if text in FAIL_WORDS:
        return False
    raise _BadValue(f"{_show(text)} is not a result; use 通过/不通过, 合格/不合格 or pass/fail")


def _parse_assessor(value: Any) -> str:
    text = _cell_text(value)
    if len(text) > 200 or any(ord(c) < 32 for c in text):
        raise _BadValue(f"{_show(text)} must be one line of at most 200 characters")
    return text


def _parse_points(value: Any, **_: Any) -> int | None:
    if _cell_text(value) == "":
        return None
    return _whole_number(value, low=0, high=10_000_000)


_PARSERS: dict[str, Any] = {
    "legacy_id": _parse_legacy_id,
    "employee_no": _parse_employee_no,
    "occurred_at": _parse_occurred_at,
    "points": _parse_points,
    "kind": _parse_kind,
    "category": _parse_category,
    "course_code": _parse_code_cell,
    "hours_attended": _parse_hours,
    "exam_code": _parse_code_cell,
    "score": lambda value: _whole_number(value, low=0, high=100),
    "skill_code": _parse_code_cell,
    "passed": _parse_passed,
    "level": lambda value: _whole_number(value, low=1, high=5),
    "assessor": _parse_assessor,
}
_KIND_FIELDS = ("course_code", "hours_attended", "exam_code", "score", "skill_code", "passed",
                "level", "assessor")
_OPTIONAL_FOR = {"course": ("hours_attended",), "exam": (), "practical": ("level", "assessor"),
                 "skill_level": ()}
