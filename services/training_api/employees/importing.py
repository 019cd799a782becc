"""Parse bulk employee files (CSV or XLSX, as HR suites export them from Excel).

Pure functions: bytes in, rows and per-row errors out. Nothing here touches the
database; the import service decides what to create, update or leave alone.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import PurePath
from typing import Any

from shared.contracts.base import visible_text
from shared.contracts.events import EmployeeStatus
from shared.identity import canonical_employee_no

MAX_ROWS = 50_000
# An .xlsx is a zip: what it expands to, not its size, is what parsing costs. 10,000
# rows of employees expand to a few megabytes; a workbook that expands to more than
# this is refused before it is opened (a 54 KB file can hold a 50 MB XML comment).
MAX_EXPANDED_BYTES = 32 * 1024 * 1024

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "employee_no": ("employee_no", "employee number", "工号", "员工编号", "员工号"),
    "name": ("name", "姓名", "员工姓名"),
    "department_code": ("department_code", "department", "部门编码", "部门代码", "部门"),
    "job_role_code": ("job_role_code", "job_role", "role", "岗位编码", "岗位代码", "岗位"),
    "is_front_line": ("is_front_line", "front_line", "一线", "是否一线", "一线员工"),
    "hired_on": ("hired_on", "hire_date", "入职日期", "入职时间"),
    "status": ("status", "状态", "在职状态"),
    "left_on": ("left_on", "leaving_date", "离职日期", "离职时间"),
}
REQUIRED_FIELDS = ("employee_no", "name", "department_code", "job_role_code")
# HR exports often carry the department's or role's display name beside its code
# (部门 next to 部门编码). Such a column only stands in for the code when the file
# has no code column; next to one it is ignored.
LOOSE_ALIASES = frozenset({"department", "部门", "job role", "role", "岗位"})

CODE_MAX_LENGTH = 50
NAME_MAX_LENGTH = 100
EARLIEST_HIRE_DATE = date(1950, 1, 1)
LATEST_HIRE_DATE = date(2100, 12, 31)
EXCEL_SERIAL_RANGE = (1, 80_000)

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "是"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "否"})
STATUS_WORDS = {"active": EmployeeStatus.ACTIVE, "在职": EmployeeStatus.ACTIVE,
                "left": EmployeeStatus.LEFT, "离职": EmployeeStatus.LEFT}

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc, WPS .et
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Excel counts days from 1899-12-30 for every serial after its fictitious 1900-02-29.
_EXCEL_EPOCH = date(1899, 12, 30)

_CODE_RE = re.compile(r"[A-Za-z0-9_.\-]+")
_SCIENTIFIC_RE = re.compile(r"\d(?:\.\d+)?E\+\d+", re.IGNORECASE)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_TIME_SUFFIX = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE_RE = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME_SUFFIX)
_CN_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_DIGITS_RE = re.compile(r"\d+")
_SEP_LINE_RE = re.compile(r"sep=(.)", re.IGNORECASE)
_QUOTED_RE = re.compile(r'"[^"]*"')
_FIRST_LINE_RE = re.compile(r"[^\r\n]*\S[^\r\n]*")
_NUL_HEADER_ADVICE = (
    "the header contains NUL characters: the file is probably UTF-16 text or not a text file "
    "at all; save it as 'CSV UTF-8 (.csv)' or as .xlsx"
)
_XLS_ADVICE = (
    "old Excel .xls files are not supported; open the file in Excel and save it as "
    "'Excel Workbook (.xlsx)' or 'CSV UTF-8 (.csv)'"
)


@dataclass(frozen=True)
class ImportRow:
    line: int
    employee_no: str
    name: str
    department_code: str
    job_role_code: str
    is_front_line: bool
    hired_on: date | None
    status: str
    left_on: date | None = None


@dataclass(frozen=True)
class RowError:
    line: int
    employee_no: str | None
    reason: str


@dataclass
class ParsedFile:
    rows: list[ImportRow]
    errors: list[RowError]
    total_rows: int
    encoding: str
    ignored_columns: list[str] = field(default_factory=list)


class ImportFileError(ValueError):
    """The whole file is unusable; the message tells the user why."""


class WorkbookTooLarge(ImportFileError):
    """The workbook expands to more than MAX_EXPANDED_BYTES."""


class _BadValue(ValueError):
    """One cell is invalid; the message completes '<column>: ...'."""


def parse_employee_file(content: bytes, filename: str) -> ParsedFile:
    """Parse an employee CSV or XLSX file into valid rows and per-row errors.

    Line numbers are those of the file: the header is line 1 (after any blank
    lines) and a CSV record that spans several lines is numbered by its first line.
    Raises ImportFileError when the file as a whole cannot be used.
    """
    if not content:
        raise ImportFileError("the file is empty (0 bytes)")
    if _detect_format(content, filename) == "xlsx":
        records = _xlsx_records(content)
        with closing(records):
            return _parse_records(records, encoding="xlsx")
    text, encoding = _decode(content)
    return _parse_records(_csv_records(text), encoding=encoding)


# --- file format and encoding -------------------------------------------------

def _detect_format(content: bytes, filename: str) -> str:
    """Return "xlsx" or "csv"; the content's signature wins over a misleading extension."""
    extension = PurePath(filename or "").suffix.lower()
    if content.startswith(_OLE2_MAGIC):
        raise ImportFileError(_XLS_ADVICE)
    if content.startswith(_ZIP_MAGIC) or extension in (".xlsx", ".xlsm"):
        return "xlsx"
    if extension == ".xls":
        raise ImportFileError(_XLS_ADVICE)
    return "csv"


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith(_UTF16_BOMS):
        raise ImportFileError(
            "the file is UTF-16 text (Excel's 'Unicode Text'); save it as 'CSV UTF-8 (.csv)' "
            "or as .xlsx instead")
    first_line_end = content.find(b"\n")
    if b"\x00" in (content if first_line_end < 0 else content[:first_line_end]):
        raise ImportFileError(_NUL_HEADER_ADVICE)  # UTF-16 without a byte order mark
    if content.startswith(_UTF8_BOM):
        try:
            return content.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"the file starts with a UTF-8 byte order mark but byte {exc.start} is not "
                "valid UTF-8; save it again as 'CSV UTF-8 (.csv)'") from exc
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"the file is neither UTF-8 nor GB18030/GBK text (unreadable byte at offset "
            f"{exc.start}); save it as 'CSV UTF-8 (.csv)' or as .xlsx") from exc


# --- records: (line, cells) from CSV and XLSX ----------------------------------

def _csv_records(text: str) -> Generator[tuple[int, Sequence[Any]]]:
    text = text.removeprefix("\ufeff")
    delimiter, has_sep_line = _sniff_delimiter(text)
    # strict: an unclosed quote must not silently swallow the rest of the file into one cell
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for cells in reader:
            if not (has_sep_line and start == 1):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise ImportFileError(
                f"line {start}: a quoted field is never closed (a '\"' is missing)") from exc
        raise ImportFileError(f"line {start}: the CSV is malformed ({exc}); check the quotes "
                              "in this record") from exc


def _sniff_delimiter(text: str) -> tuple[str, bool]:
    """Pick the delimiter from the header line: Excel's 'sep=X' hint, else the most used one."""
    match = _FIRST_LINE_RE.search(text)
    first_line = match.group() if match else ""
    hint = _SEP_LINE_RE.fullmatch(first_line.strip())
    if hint:
        return hint.group(1), True
    unquoted = _QUOTED_RE.sub("", first_line)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])  # ties keep the earlier: comma first
    return (best if counts[best] else ","), False


def _xlsx_records(content: bytes) -> Generator[tuple[int, Sequence[Any]]]:
    from openpyxl import load_workbook  # only XLSX imports pay for loading openpyxl

    _check_expanded_size(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(
            f"the file is not a readable .xlsx workbook ({type(exc).__name__}: {exc}); "
            "save it again from Excel as .xlsx or 'CSV UTF-8 (.csv)'") from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError("the workbook has no worksheet")
        sheet = workbook.worksheets[0]
        # Some generators write a wrong <dimension>; trusting it would silently cut rows.
        sheet.reset_dimensions()
        line = 0
        try:
            for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield line, cells
        except Exception as exc:
            raise ImportFileError(
                f"row {line + 1} of the worksheet cannot be read ({type(exc).__name__}: {exc})"
            ) from exc
    finally:
        workbook.close()


def _check_expanded_size(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return  # load_workbook says what is wrong with it
    if expanded > MAX_EXPANDED_BYTES:
        raise WorkbookTooLarge(
            f"the workbook expands to {expanded / (1024 * 1024):,.0f} MiB, more than the "
            f"{MAX_EXPANDED_BYTES // (1024 * 1024)} MiB an import may; remove what is not "
            "employee rows (comments, other sheets, pictures) or save it as CSV")


# --- header -------------------------------------------------------------------

def _normalize_header(text: str) -> str:
    text = text.replace("\ufeff", "").strip().strip("*＊").strip()
    return " ".join(text.casefold().replace("_", " ").split())


_ALIAS_TO_FIELD = {
    _normalize_header(alias): name for name, aliases in FIELD_ALIASES.items() for alias in aliases
}


@dataclass(frozen=True)
class _Header:
    line: int
    column_of: dict[str, int]   # field -> column index
    labels: list[str]           # header text of every column, as written
    ignored: list[str]

    def label(self, field_name: str) -> str:
        written = self.labels[self.column_of[field_name]]
        if _normalize_header(written) == _normalize_header(field_name):
            return field_name
        return f"{field_name} (column '{written}')"

    def column_label(self, index: int) -> str:
        written = self.labels[index] if index < len(self.labels) else ""
        return f"column '{written}'" if written else f"column {index + 1}"


def _is_loose(label: str) -> bool:
    return _normalize_header(label) in LOOSE_ALIASES


def _read_header(line: int, cells: Sequence[Any]) -> _Header:
    labels = [_cell_text(cell) for cell in cells]
    if any("\x00" in label for label in labels):
        raise ImportFileError(_NUL_HEADER_ADVICE)
    column_of: dict[str, int] = {}
    ignored: list[str] = []
    for index, label in enumerate(labels):
        field_name = _ALIAS_TO_FIELD.get(_normalize_header(label))
        if field_name is None:
            if label:
                ignored.append(label)
        elif field_name in column_of and _is_loose(label):
            ignored.append(label)
        elif field_name in column_of and _is_loose(labels[column_of[field_name]]):
            ignored.append(labels[column_of[field_name]])
            column_of[field_name] = index
        elif field_name in column_of:
            raise ImportFileError(
                f"columns '{labels[column_of[field_name]]}' and '{label}' on line {line} both "
                f"mean {field_name}; keep only one of them")
        else:
            column_of[field_name] = index
    missing = [name for name in REQUIRED_FIELDS if name not in column_of]
    if missing:
        raise ImportFileError(_missing_columns_message(line, labels, missing))
    return _Header(line=line, column_of=column_of, labels=labels, ignored=ignored)


def _missing_columns_message(line: int, labels: list[str], missing: list[str]) -> str:
    accepted = "; ".join(
        f"{name}: {', '.join(repr(alias) for alias in FIELD_ALIASES[name])}" for name in missing)
    found = ", ".join(repr(label) for label in labels if label) or "nothing"
    return (f"missing required column(s) {', '.join(missing)}. Accepted header names: "
            f"{accepted}. The header on line {line} has: {found}")


# --- rows ---------------------------------------------------------------------

def data_records(records: Iterable[tuple[int, Sequence[Any]]], *, max_rows: int,
                 advice: str = "split it into several files"
                 ) -> Iterator[tuple[int, Sequence[Any], int]]:
    """The file's non-blank records with the number of data rows so far: 0 for the
    header (the first), then 1, 2, ... ImportFileError past ``max_rows``."""
    total = -1
    for line, cells in records:
        if _is_blank(cells):
            continue
        total += 1
        if total > max_rows:
            raise ImportFileError(f"the file has more than {max_rows:,} data rows; {advice}")
        yield line, cells, total


def _parse_records(records: Iterable[tuple[int, Sequence[Any]]], encoding: str) -> ParsedFile:
    header: _Header | None = None
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    total = 0
    for line, cells, count in data_records(records, max_rows=MAX_ROWS):
        total = count
        if header is None:
            header = _read_header(line, cells)
            continue
        row, row_errors, employee_no = _parse_row(header, line, cells)
        if employee_no is not None:
            if employee_no in first_seen:
                row = None
                row_errors.append(RowError(line, employee_no, "duplicate employee_no, "
                                           f"first seen on line {first_seen[employee_no]}"))
            else:
                first_seen[employee_no] = line
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
    if header is None:
        raise ImportFileError("the file has no header row (it contains only blank lines)")
    return ParsedFile(rows=rows, errors=errors, total_rows=total, encoding=encoding,
                      ignored_columns=header.ignored)


def _is_blank(cells: Sequence[Any]) -> bool:
    for cell in cells:
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        return False
    return True


def _parse_row(
    header: _Header, line: int, cells: Sequence[Any]
) -> tuple[ImportRow | None, list[RowError], str | None]:
    """Validate one data row; return the row (or None), its errors and its valid employee_no."""
    problems: list[str] = []
    nul_columns = {i for i, cell in enumerate(cells) if isinstance(cell, str) and "\x00" in cell}
    problems.extend(f"{header.column_label(i)} contains a NUL character"
                    for i in sorted(nul_columns))
    values: dict[str, Any] = {}
    for field_name, parse in _FIELD_PARSERS.items():
        index = header.column_of.get(field_name)
        if index in nul_columns:
            continue
        cell = cells[index] if index is not None and index < len(cells) else None
        try:
            values[field_name] = parse(cell)
        except _BadValue as exc:
            problems.append(f"{header.label(field_name)}: {exc}")
    employee_no = values.get("employee_no")
    problems.extend(_cross_field_problems(header, values))
    if problems:
        return None, [RowError(line, employee_no, reason) for reason in problems], employee_no
    return ImportRow(line=line, **values), [], employee_no


def _cross_field_problems(header: _Header, values: dict[str, Any]) -> list[str]:
    left_on = values.get("left_on")
    if left_on is None:
        return []
    if values.get("status") != EmployeeStatus.LEFT:
        return [f"{header.label('left_on')}: given for an employee whose status is not left"]
    hired_on = values.get("hired_on")
    if hired_on is not None and left_on < hired_on:
        return [f"{header.label('left_on')}: {left_on.isoformat()} is before the hire date "
                f"{hired_on.isoformat()}"]
    return []


# --- cell values --------------------------------------------------------------

def _cell_text(value: Any) -> str:
    """Text of a CSV or XLSX cell as a person would type it, stripped (also of U+3000)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 10023 as 10023.0
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _show(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:60] + "…")


def _parse_code(value: Any, *, kind: str) -> str:
    text = _cell_text(value)
    if not text:
        raise _BadValue("is empty")
    if len(text) > CODE_MAX_LENGTH:
        raise _BadValue(f"{_show(text)} is {len(text)} characters long; "
                        f"at most {CODE_MAX_LENGTH} are allowed")
    if not _CODE_RE.fullmatch(text):
        hint = ""
        if _SCIENTIFIC_RE.fullmatch(text):
            hint = ("; Excel shortened a long number: format the column as Text "
                    "and export again")
        elif kind == "code" and not text.isascii():
            hint = " (give the code, not the name)"
        raise _BadValue(f"{_show(text)} may only contain letters, digits, '_', '.' and '-'"
                        f"{hint}")
    return text


def _parse_name(value: Any) -> str:
    text = _cell_text(value)
    if not text:
        raise _BadValue("is empty")
    if len(text) > NAME_MAX_LENGTH:
        raise _BadValue(f"{_show(text)} is {len(text)} characters long; "
                        f"at most {NAME_MAX_LENGTH} are allowed")
    if _CONTROL_RE.search(text):
        raise _BadValue(f"{_show(text)} contains a line break or control character")
    try:
        return visible_text(text)
    except ValueError as exc:
        raise _BadValue(f"{_show(text)} {exc}") from exc


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _cell_text(value).casefold()
    if not text or text in FALSE_WORDS:
        return False
    if text in TRUE_WORDS:
        return True
    raise _BadValue(f"{_show(text)} is not a yes/no value; use true/false, yes/no, y/n, "
                    "1/0 or 是/否")


def _parse_status(value: Any) -> EmployeeStatus:
    text = _cell_text(value)
    if not text:
        return EmployeeStatus.ACTIVE
    status = STATUS_WORDS.get(text.casefold())
    if status is None:
        raise _BadValue(f"{_show(text)} is not a status; use active/left or 在职/离职")
    return status


def _parse_hired_on(value: Any) -> date | None:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        day = _date_from_number(value, _cell_text(value))
    else:
        text = _cell_text(value)
        if not text:
            return None
        day = _date_from_text(text)
    if day < EARLIEST_HIRE_DATE:
        raise _BadValue(f"{day.isoformat()} is before {EARLIEST_HIRE_DATE.isoformat()}")
    if day > LATEST_HIRE_DATE:
        raise _BadValue(f"{day.isoformat()} is after {LATEST_HIRE_DATE.isoformat()}")
    return day


def _date_from_text(text: str) -> date:
    match = _DATE_RE.fullmatch(text)
    if match:
        return _make_date(text, match.group(1), match.group(3), match.group(4))
    match = _CN_DATE_RE.fullmatch(text)
    if match:
        return _make_date(text, *match.groups())
    if _DIGITS_RE.fullmatch(text):
        return _date_from_number(int(text), text)
    raise _BadValue(f"{_show(text)} is not a date; use YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD "
                    "or YYYY年M月D日")


def _date_from_number(number: float, text: str) -> date:
    """An Excel serial day number (45292 is 2024-01-01), or a compact YYYYMMDD."""
    low, high = EXCEL_SERIAL_RANGE
    if low <= number <= high:
        return _EXCEL_EPOCH + timedelta(days=int(number))
    if len(text) == 8 and text.isdigit():
        return _make_date(text, text[:4], text[4:6], text[6:])
    raise _BadValue(f"{_show(text)} is not a date; a number is read as an Excel date serial "
                    f"between {low} and {high:,} or as YYYYMMDD")


def _make_date(text: str, year: str, month: str, day: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError as exc:
        raise _BadValue(f"{_show(text)} is not a valid calendar date") from exc


_FIELD_PARSERS: dict[str, Callable[[Any], Any]] = {
    "employee_no": lambda value: canonical_employee_no(_parse_code(value, kind="employee_no")),
    "name": _parse_name,
    "department_code": lambda value: _parse_code(value, kind="code"),
    "job_role_code": lambda value: _parse_code(value, kind="code"),
    "is_front_line": _parse_bool,
    "hired_on": _parse_hired_on,
    "status": _parse_status,
    "left_on": _parse_hired_on,
}
