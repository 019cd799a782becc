"""Reading legacy training records as Excel exports them (no database)."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from services.training_api.employees.importing import ImportFileError
from services.training_api.history.parsing import parse_history_file, read_header

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 5)
HEADER = ("记录编号,工号,类型,日期,课程编码,学时,考试编码,成绩,技能编码,结果,等级,考核人,"
          "积分,积分类别")


def parse(text: str, *, encoding: str = "utf-8", name: str = "history.csv"):
    return parse_history_file(text.encode(encoding), name, tz=TZ, today=TODAY)


def test_every_kind_with_chinese_headers_in_gbk():
    parsed = parse("\n".join([
        HEADER,
        "L1,E1,课程完成,2021-03-05,EQ-101,1.5,,,,,,,16,",
        "L2,E1,考试,2021/3/6 14:30,,,EQ-FINAL,85,,,,,15,成果",
        "L3,E2,实操考核,2022年5月1日,,,,,WELD,合格,2,王师傅,30,",
        "L4,E2,技能等级,20220601,,,,,WELD,,3,,,成长",
    ]), encoding="gbk")
    assert parsed.encoding == "gb18030" and not parsed.errors and parsed.has_points
    course, exam, practical, level = parsed.rows
    assert (course.kind, course.course_code, course.hours_attended, course.points,
            course.category) == ("course", "EQ-101", Decimal("1.50"), 16, "participation")
    assert course.occurred_at == datetime(2021, 3, 5, 12, 0, tzinfo=TZ)
    assert (exam.exam_code, exam.score, exam.category) == ("EQ-FINAL", 85, "outcome")
    assert exam.occurred_at == datetime(2021, 3, 6, 14, 30, tzinfo=TZ)
    assert (practical.passed, practical.level, practical.assessor) == (True, 2, "王师傅")
    assert (level.kind, level.level, level.points, level.category) == (
        "skill_level", 3, None, "growth")


def test_rows_come_out_in_date_order_and_the_fact_hash_ignores_legacy_points():
    parsed = parse("\n".join([
        "legacy_id,employee_no,kind,date,course_code,points",
        "B,E1,course,2023-01-02,C1,5",
        "A,E1,course,2022-01-02,C1,5",
    ]))
    assert [r.legacy_id for r in parsed.rows] == ["A", "B"]
    again = parse("legacy_id,employee_no,kind,date,course_code,points\nA,E1,course,2022-01-02,C1,9")
    assert again.rows[0].fact_hash("replay") == parsed.rows[0].fact_hash("replay")
    assert again.rows[0].fact_hash("replay") != parsed.rows[0].fact_hash("opening")


@pytest.mark.parametrize(("row", "reason"), [
    ("L1,E1,课程完成,2021-03-05,,,,,,,,,,", "(column '课程编码'): is required for course records"),
    ("L1,E1,考试,2021-03-05,,,EX,,,,,,,", "score (column '成绩'): is required for exam records"),
    ("L1,E1,考试,2021-03-05,,,EX,85.5,,,,,,", "'85.5' is not a whole number"),
    ("L1,E1,考试,2021-03-05,,,EX,101,,,,,,", "'101' is not between 0 and 100"),
    ("L1,E1,实操考核,2021-03-05,,,,,WELD,也许,,,,", "'也许' is not a result"),
    ("L1,E1,技能等级,2021-03-05,,,,,WELD,,6,,,", "'6' is not between 1 and 5"),
    ("L1,E1,培训心得,2021-03-05,,,,,,,,,,", "'培训心得' is not a record type"),
    ("L1,E1,课程完成,1999-12-31,C1,,,,,,,,,", "1999-12-31 is before 2000-01-01"),
    ("L1,E1,课程完成,2026-12-06,C1,,,,,,,,,", "2026-12-06 lies in the future"),
    ("L1,E1,课程完成,2021-02-30,C1,,,,,,,,,", "'2021-02-30' is not a valid calendar date"),
    ("L1,E1,课程完成,2021-03-05,C1,,,,,,,,-3,", "'-3' is not between 0 and 10,000,000"),
    ("L1,E1,课程完成,2021-03-05,C1,,,,,,,,3,奖金", "'奖金' is not a points category"),
    ("L 1,E1,课程完成,2021-03-05,C1,,,,,,,,,", "legacy_id (column '记录编号'): 'L 1' must be"),
    (",E1,课程完成,2021-03-05,C1,,,,,,,,,", "legacy_id (column '记录编号'): is empty"),
    ("L1,1.0E+12,课程完成,2021-03-05,C1,,,,,,,,,", "Excel shortened a long number"),
])
def test_a_bad_row_is_rejected_with_its_line_and_reason(row, reason):
    parsed = parse(f"{HEADER}\nOK,E1,课程完成,2021-03-05,C1,,,,,,,,,\n{row}")
    assert [r.legacy_id for r in parsed.rows] == ["OK"]
    assert parsed.total_rows == 2
    assert [e.line for e in parsed.errors] == [3]
    assert reason in parsed.errors[0].reason


def test_a_legacy_id_twice_in_one_file_is_rejected_the_second_time():
    parsed = parse(f"{HEADER}\nL1,E1,课程完成,2021-03-05,C1,,,,,,,,,\n"
                   f"L1,E2,课程完成,2021-03-06,C1,,,,,,,,,")
    assert len(parsed.rows) == 1
    assert parsed.errors[0].line == 3
    assert parsed.errors[0].reason == "duplicate legacy_id, first seen on line 2"


def test_xlsx_cells_keep_their_types():
    book = Workbook()
    sheet = book.active
    sheet.append(["legacy_id", "工号", "类型", "日期", "考试编码", "成绩", "积分"])
    sheet.append(["X1", "E1", "exam", datetime(2022, 4, 1), "EX", 90.0, 20.0])
    buffer = io.BytesIO()
    book.save(buffer)
    parsed = parse_history_file(buffer.getvalue(), "legacy.xlsx", tz=TZ, today=TODAY)
    assert parsed.encoding == "xlsx" and not parsed.errors
    row = parsed.rows[0]
    assert (row.score, row.points, row.occurred_at) == (90, 20, datetime(2022, 4, 1, 12,
                                                                         tzinfo=TZ))


def test_a_file_without_the_required_columns_is_refused_whole():
    with pytest.raises(ImportFileError, match="missing required column"):
        read_header("工号,日期\nE1,2021-01-01\n".encode(), "h.csv")
    with pytest.raises(ImportFileError, match="empty"):
        read_header(b"", "h.csv")
    assert "points" in read_header(HEADER.encode(), "h.csv")
    assert "points" not in read_header("记录编号,工号,类型,日期".encode(), "h.csv")
