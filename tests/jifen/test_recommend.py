"""jifen recommend's table and CSV of a recommendations answer."""

from __future__ import annotations

import csv
import io

from jifen.commands.recommend import csv_text, table

DOC = {"employee_no": "E10001", "job_role_code": "R-OP", "model_built_at": None, "items": [
    {"rank": 1, "course_code": "C-EQ2", "title": "设备操作进阶", "format": "offline",
     "score": 1.4213, "reasons": [{"kind": "gap", "text": "岗位要求 设备操作 2 级，当前 1 级"},
                                  {"kind": "plan", "text": "培训计划 年度 要求"}]},
    {"rank": 2, "course_code": "C-X", "title": "选修, \"A\"", "format": "vr", "score": 0.1,
     "reasons": []}]}


def test_csv_has_a_bom_a_header_and_one_row_per_course():
    text = csv_text(DOC)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows == [
        ["排名", "课程代码", "课程", "形式", "得分", "推荐理由"],
        ["1", "C-EQ2", "设备操作进阶", "线下", "1.42",
         "岗位要求 设备操作 2 级，当前 1 级；培训计划 年度 要求"],
        ["2", "C-X", "选修, \"A\"", "vr", "0.10", "–"]]


def test_the_table_says_when_the_colleague_model_is_not_built_yet():
    t = table(DOC)
    assert [r[1] for r in t.rows] == ["C-EQ2", "C-X"]
    assert "尚未生成" in t.notes[0]
    t = table({**DOC, "model_built_at": "2026-12-05T07:45:03Z"})
    assert t.notes == ["同事数据更新于 2026-12-05 07:45 UTC"]
