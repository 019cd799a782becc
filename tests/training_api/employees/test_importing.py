from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font

from services.training_api.employees.importing import (
    MAX_ROWS,
    ImportFileError,
    ImportRow,
    ParsedFile,
    parse_employee_file,
)

CN_HEADER = "工号,姓名,部门编码,岗位编码,是否一线,入职日期,状态"
EN_HEADER = "employee_no,name,department_code,job_role_code,is_front_line,hired_on,status"


def csv_bytes(*lines: str, encoding: str = "utf-8", newline: str = "\r\n") -> bytes:
    return (newline.join(lines) + newline).encode(encoding)


def parse_csv(*lines: str, **kwargs: str) -> ParsedFile:
    return parse_employee_file(csv_bytes(*lines, **kwargs), "employees.csv")


def reasons_by_line(parsed: ParsedFile) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for error in parsed.errors:
        result.setdefault(error.line, []).append(error.reason)
    return result


def xlsx_bytes(rows: list[list[object]], *, trailing_blank_rows: bool = False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if trailing_blank_rows:
        sheet.cell(row=len(rows) + 3, column=1).value = "   "
        sheet.cell(row=len(rows) + 5, column=2).font = Font(bold=True)
    second = workbook.create_sheet("ignored")
    second.append(["not", "read"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- encodings and formats ------------------------------------------------------

@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030")],
)
def test_chinese_csv_in_every_excel_encoding(encoding: str, expected: str) -> None:
    content = csv_bytes(
        CN_HEADER,
        "E001,张伟,PROD-01,OP.ASM,是,2023/3/5,在职",
        "E002,李娜　,QA,INSP,否,2019年11月20日,离职",
        encoding=encoding,
    )

    parsed = parse_employee_file(content, "员工导入.csv")

    assert parsed.encoding == expected
    assert parsed.errors == []
    assert parsed.total_rows == 2
    assert parsed.rows == [
        ImportRow(2, "E001", "张伟", "PROD-01", "OP.ASM", True, date(2023, 3, 5), "active"),
        ImportRow(3, "E002", "李娜", "QA", "INSP", False, date(2019, 11, 20), "left"),
    ]


def test_english_headers_are_case_insensitive_and_ignore_required_marks() -> None:
    parsed = parse_csv(
        " Employee Number* ,NAME,Department,Role,Front_Line,Hire_Date,Status,Remark",
        "7,Wang Fang,D1,R1,yes,2024-01-15,active,keeps badge",
    )

    assert parsed.errors == []
    assert parsed.rows[0] == ImportRow(2, "7", "Wang Fang", "D1", "R1", True, date(2024, 1, 15),
                                       "active")
    assert parsed.ignored_columns == ["Remark"]


def test_optional_columns_may_be_absent() -> None:
    parsed = parse_csv("员工编号*,员工姓名*,部门*,岗位*", "A1,赵敏,D1,R1")

    assert parsed.rows == [ImportRow(2, "A1", "赵敏", "D1", "R1", False, None, "active")]


@pytest.mark.parametrize(
    "lines",
    [
        ("工号;姓名;部门编码;岗位编码", "E1;张伟;D1;R1", "E2;\"Li; Na\";D1;R1"),
        ("工号\t姓名\t部门编码\t岗位编码", "E1\t张伟\tD1\tR1", "E2\tLi; Na\tD1\tR1"),
        ("sep=;", "工号;姓名;部门编码;岗位编码", "E1;张伟;D1;R1", "E2;\"Li; Na\";D1;R1"),
        ("", "工号;姓名;部门编码;岗位编码", "E1;张伟;D1;R1", "E2;\"Li; Na\";D1;R1"),
    ],
    ids=["semicolon", "tab", "excel-sep-hint", "blank-first-line"],
)
def test_semicolon_and_tab_delimiters(lines: tuple[str, ...]) -> None:
    parsed = parse_csv(*lines)

    assert [row.employee_no for row in parsed.rows] == ["E1", "E2"]
    assert parsed.rows[0].name == "张伟"
    assert parsed.rows[1].name == "Li; Na"
    assert parsed.rows[1].line == len(lines)


def test_lf_only_line_endings_and_blank_lines() -> None:
    parsed = parse_csv(EN_HEADER, "", "E1,A,D1,R1,,,", ",,,,,,", "E2,B,D1,R1,,,", newline="\n")

    assert [(row.line, row.employee_no) for row in parsed.rows] == [(3, "E1"), (5, "E2")]
    assert parsed.total_rows == 2


def test_xlsx_with_numbers_dates_and_booleans() -> None:
    content = xlsx_bytes(
        [
            ["工号*", "姓名*", "部门编码*", "岗位编码*", "是否一线", "入职日期", "状态", "备注"],
            [10023, "张伟", "PROD-01", "OP1", True, datetime(2023, 3, 5), "在职", None],
            [10024.0, "李娜", "QA", "INSP", False, date(2020, 1, 2), None, "x"],
            [None, None, None, None, None, None, None, None],
            ["E-9", "王芳", 101, "R1", 1, 45292, "left", None],
        ],
        trailing_blank_rows=True,
    )

    parsed = parse_employee_file(content, "employees.xlsx")

    assert parsed.encoding == "xlsx"
    assert parsed.errors == []
    assert parsed.total_rows == 3
    assert parsed.ignored_columns == ["备注"]
    assert parsed.rows == [
        ImportRow(2, "10023", "张伟", "PROD-01", "OP1", True, date(2023, 3, 5), "active"),
        ImportRow(3, "10024", "李娜", "QA", "INSP", False, date(2020, 1, 2), "active"),
        ImportRow(5, "E-9", "王芳", "101", "R1", True, date(2024, 1, 1), "left"),
    ]


def test_xlsx_row_errors_use_worksheet_row_numbers() -> None:
    content = xlsx_bytes([
        ["employee_no", "name", "department_code", "job_role_code", "hired_on"],
        [1, "A", "D1", "R1", datetime(1949, 12, 31)],
        [2, "B", "D1", "R1", "soon"],
    ])

    parsed = parse_employee_file(content, "export.xlsx")

    assert parsed.rows == []
    assert reasons_by_line(parsed) == {
        2: ["hired_on: 1949-12-31 is before 1950-01-01"],
        3: ["hired_on: 'soon' is not a date; use YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or "
            "YYYY年M月D日"],
    }
    assert [error.employee_no for error in parsed.errors] == ["1", "2"]


def test_format_is_sniffed_when_the_extension_is_missing_or_misleading() -> None:
    content = xlsx_bytes([["工号", "姓名", "部门", "岗位"], ["E1", "张伟", "D1", "R1"]])

    for filename in ("upload", "upload.bin", "employees.csv"):
        parsed = parse_employee_file(content, filename)
        assert parsed.encoding == "xlsx"
        assert [row.employee_no for row in parsed.rows] == ["E1"]

    parsed = parse_employee_file(csv_bytes(CN_HEADER, "E1,张伟,D1,R1,,,"), "upload")
    assert parsed.encoding == "utf-8"
    assert len(parsed.rows) == 1


# --- row errors -----------------------------------------------------------------

def test_every_row_error_names_its_line_column_and_value() -> None:
    parsed = parse_csv(
        CN_HEADER,
        "E001,张伟,D1,R1,是,2023-01-01,在职",
        ",空工号,D1,R1,,,",
        "E 02,张三,D1,R1,,,",
        f"{'E' * 51},长工号,D1,R1,,,",
        "E004,,D1,R1,,,",
        f"E005,{'名' * 101},D1,R1,,,",
        "E006,钱七,生产部,R1,,,",
        "E007,孙八,D1,,,,",
        "E008,周九,D1,R1,也许,,",
        "E009,吴十,D1,R1,,2023-13-01,",
        "E010,郑一,D1,R1,,2024-02-30,",
        "E011,王二,D1,R1,,01/15/2024,",
        "E012,冯三,D1,R1,,2101-01-01,",
        "E013,陈四,D1,R1,,,退休",
        "E014,褚\x00五,D1,R1,,,",
        "E015,卫六,D1,R1,,99999,",
        "1.00023E+17,蒋七,D1,R1,,,",
        "E001,张伟重复,D1,R1,,,",
    )

    assert [row.employee_no for row in parsed.rows] == ["E001"]
    assert parsed.total_rows == 18
    assert reasons_by_line(parsed) == {
        3: ["employee_no (column '工号'): is empty"],
        4: ["employee_no (column '工号'): 'E 02' may only contain letters, digits, '_', '.' "
            "and '-'"],
        5: [f"employee_no (column '工号'): '{'E' * 51}' is 51 characters long; at most 50 are "
            "allowed"],
        6: ["name (column '姓名'): is empty"],
        7: [f"name (column '姓名'): '{'名' * 60}…' is 101 characters long; at most 100 are "
            "allowed"],
        8: ["department_code (column '部门编码'): '生产部' may only contain letters, digits, "
            "'_', '.' and '-' (give the code, not the name)"],
        9: ["job_role_code (column '岗位编码'): is empty"],
        10: ["is_front_line (column '是否一线'): '也许' is not a yes/no value; use true/false, "
             "yes/no, y/n, 1/0 or 是/否"],
        11: ["hired_on (column '入职日期'): '2023-13-01' is not a valid calendar date"],
        12: ["hired_on (column '入职日期'): '2024-02-30' is not a valid calendar date"],
        13: ["hired_on (column '入职日期'): '01/15/2024' is not a date; use YYYY-MM-DD, "
             "YYYY/MM/DD, YYYY.MM.DD or YYYY年M月D日"],
        14: ["hired_on (column '入职日期'): 2101-01-01 is after 2100-12-31"],
        15: ["status (column '状态'): '退休' is not a status; use active/left or 在职/离职"],
        16: ["column '姓名' contains a NUL character"],
        17: ["hired_on (column '入职日期'): '99999' is not a date; a number is read as an "
             "Excel date serial between 1 and 80,000 or as YYYYMMDD"],
        18: ["employee_no (column '工号'): '1.00023E+17' may only contain letters, digits, "
             "'_', '.' and '-'; Excel shortened a long number: format the column as Text and "
             "export again"],
        19: ["duplicate employee_no, first seen on line 2"],
    }
    employee_nos = {error.line: error.employee_no for error in parsed.errors}
    assert employee_nos[3] is None
    assert employee_nos[4] is None
    assert employee_nos[8] == "E006"
    assert employee_nos[16] == "E014"
    assert employee_nos[19] == "E001"


def test_a_row_with_several_problems_reports_each_of_them() -> None:
    parsed = parse_csv(EN_HEADER, "E1,,D 1,R1,maybe,,gone")

    assert reasons_by_line(parsed) == {2: [
        "name: is empty",
        "department_code: 'D 1' may only contain letters, digits, '_', '.' and '-'",
        "is_front_line: 'maybe' is not a yes/no value; use true/false, yes/no, y/n, 1/0 or 是/否",
        "status: 'gone' is not a status; use active/left or 在职/离职",
    ]}


def test_nul_in_an_ignored_column_rejects_the_row() -> None:
    parsed = parse_csv(EN_HEADER + ",note", "E1,A,D1,R1,,,,bad\x00note")

    assert parsed.rows == []
    assert reasons_by_line(parsed) == {2: ["column 'note' contains a NUL character"]}


def test_quoted_field_with_embedded_newlines_shifts_later_line_numbers() -> None:
    parsed = parse_csv(
        EN_HEADER,
        'E1,"Zhang\nWei",D1,R1,,,',
        'E2,"Li, Na",D1,R1,,,',
        '"E3",Wang,D1,R1,"maybe\r\nnot",,',
        "E4,Zhao,D1,R1,,bad-date,",
    )

    assert parsed.total_rows == 4
    assert [(row.line, row.employee_no) for row in parsed.rows] == [(4, "E2")]
    assert {error.line: error.employee_no for error in parsed.errors} == {
        2: "E1", 5: "E3", 7: "E4"}
    assert "line break" in reasons_by_line(parsed)[2][0]


def test_later_duplicates_are_rejected_even_when_the_first_row_is_invalid() -> None:
    parsed = parse_csv(EN_HEADER, "E1,A,D1,R1,,1900-01-01,", "E1,B,D1,R1,,,", "E1,C,D1,R1,,,")

    assert parsed.rows == []
    assert reasons_by_line(parsed) == {
        2: ["hired_on: 1900-01-01 is before 1950-01-01"],
        3: ["duplicate employee_no, first seen on line 2"],
        4: ["duplicate employee_no, first seen on line 2"],
    }


# --- values ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-05", date(2024, 1, 5)),
        ("2024/1/5", date(2024, 1, 5)),
        ("2024.01.05", date(2024, 1, 5)),
        ("2024年1月5日", date(2024, 1, 5)),
        ("2024-01-05 00:00:00", date(2024, 1, 5)),
        ("2024/1/5 8:30", date(2024, 1, 5)),
        ("45292", date(2024, 1, 1)),
        ("20240105", date(2024, 1, 5)),
        ("", None),
        ("\u3000", None),
    ],
)
def test_hire_date_formats(text: str, expected: date | None) -> None:
    parsed = parse_csv("工号,姓名,部门,岗位,入职日期", f"E1,张伟,D1,R1,{text}")

    assert parsed.errors == []
    assert parsed.rows[0].hired_on == expected


@pytest.mark.parametrize(
    ("front_line", "status", "expected"),
    [
        ("true", "active", (True, "active")),
        ("YES", "Left", (True, "left")),
        ("y", "在职", (True, "active")),
        ("1", "离职", (True, "left")),
        ("是", "", (True, "active")),
        ("False", "ACTIVE", (False, "active")),
        ("no", "left", (False, "left")),
        ("N", "active", (False, "active")),
        ("0", "active", (False, "active")),
        ("否", "active", (False, "active")),
        ("", "active", (False, "active")),
    ],
)
def test_front_line_and_status_words(front_line: str, status: str, expected: tuple) -> None:
    parsed = parse_csv(EN_HEADER, f"E1,A,D1,R1,{front_line},,{status}")

    assert parsed.errors == []
    assert (parsed.rows[0].is_front_line, parsed.rows[0].status) == expected


@pytest.mark.parametrize("status", ["1", "0", "on leave"])
def test_status_accepts_only_words(status: str) -> None:
    parsed = parse_csv(EN_HEADER, f"E1,A,D1,R1,,,{status}")

    assert parsed.rows == []
    assert "status" in parsed.errors[0].reason


# --- whole-file errors ------------------------------------------------------------

def test_missing_required_columns_are_named_with_their_accepted_headers() -> None:
    with pytest.raises(ImportFileError) as raised:
        parse_csv("工号,姓名,部门名称,是否一线", "E1,张伟,生产部,是")

    message = str(raised.value)
    assert "missing required column(s) department_code, job_role_code" in message
    assert "'部门编码'" in message and "'岗位编码'" in message and "'job_role'" in message
    assert "'部门名称'" in message


def test_two_columns_for_the_same_field_are_refused() -> None:
    with pytest.raises(ImportFileError, match="'工号' and '员工编号' .* both mean employee_no"):
        parse_csv("工号,姓名,员工编号,部门编码,岗位", "E1,张伟,E2,D1,R1")


@pytest.mark.parametrize("header", ["工号,姓名,部门,部门编码,岗位编码,岗位",
                                    "工号,姓名,部门编码,部门,岗位,岗位编码"])
def test_a_name_column_beside_the_code_column_is_ignored(header: str) -> None:
    names = header.split(",")
    values = {"工号": "E1", "姓名": "张伟", "部门": "生产部", "部门编码": "D1", "岗位": "操作工",
              "岗位编码": "R1"}
    parsed = parse_csv(header, ",".join(values[n] for n in names))
    row = parsed.rows[0]
    assert (row.department_code, row.job_role_code) == ("D1", "R1")
    assert sorted(parsed.ignored_columns) == ["岗位", "部门"]


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "employees.xls"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "employees.csv"),
        (b"<html><table></table></html>", "EMPLOYEES.XLS"),
    ],
)
def test_old_excel_files_are_refused_with_advice(content: bytes, filename: str) -> None:
    with pytest.raises(ImportFileError, match=r"\.xls files are not supported.*save it as"):
        parse_employee_file(content, filename)


@pytest.mark.parametrize(
    ("content", "filename", "match"),
    [
        (b"", "employees.csv", "empty"),
        (b"\r\n  \r\n,,,\r\n", "employees.csv", "no header row"),
        (b"\xef\xbb\xbf", "employees.csv", "no header row"),
        (b"\xff\xfe" + CN_HEADER.encode("utf-16-le"), "employees.txt", "UTF-16"),
        (CN_HEADER.encode("utf-16-le"), "employees.txt", "NUL characters"),
        (b"\xff\xff\xff,abc\r\n", "employees.csv", "neither UTF-8 nor GB18030"),
        (b"\xef\xbb\xbf\xff\xff,abc\r\n", "employees.csv", "byte order mark"),
        (b"employee_no,name,department,role\r\nE1,\"Zhang,D1,R1\r\nE2,Li,D1,R1\r\n",
         "employees.csv",
         "line 2: a quoted field is never closed"),
        (b"employee_no,name,department,role\r\nE1,\"Zhang\" Wei,D1,R1\r\n", "employees.csv",
         "line 2: the CSV is malformed"),
        (b"PK\x03\x04 not really a zip", "employees.xlsx", "not a readable .xlsx"),
        (b"employee_no,name\r\n", "employees.xlsx", "not a readable .xlsx"),
    ],
)
def test_unusable_files_say_why(content: bytes, filename: str, match: str) -> None:
    with pytest.raises(ImportFileError, match=match):
        parse_employee_file(content, filename)


def test_header_only_file_has_no_rows() -> None:
    parsed = parse_csv(CN_HEADER)

    assert (parsed.rows, parsed.errors, parsed.total_rows) == ([], [], 0)


def test_more_than_max_rows_is_refused() -> None:
    lines = [EN_HEADER] + [f"E{i},N,D1,R1,,," for i in range(MAX_ROWS + 1)]

    with pytest.raises(ImportFileError, match="more than 50,000 data rows"):
        parse_csv(*lines)


def test_max_rows_exactly_is_accepted() -> None:
    lines = [EN_HEADER] + [f"E{i},N,D1,R1,,," for i in range(MAX_ROWS)]

    assert parse_csv(*lines).total_rows == MAX_ROWS


def test_ten_thousand_rows() -> None:
    lines = [CN_HEADER] + [
        f"{100000 + i},员工{i},PROD-{i % 7},OP{i % 3},{'是' if i % 2 else '否'},"
        f"2020/1/{i % 28 + 1},"
        for i in range(10_000)
    ]

    parsed = parse_employee_file(csv_bytes(*lines, encoding="gb18030"), "big.csv")

    assert parsed.total_rows == 10_000
    assert len(parsed.rows) == 10_000
    assert parsed.errors == []
    assert parsed.rows[-1].line == 10_001
