"""How values read in a table, and a report without a view of its own still prints."""

import io

from jifen.report_views import tables
from jifen.tables import Percent, PercentPoints, Rate, RatePoints, Signed, cell, print_tables


def test_values_read_as_hr_reads_them():
    assert [cell(v) for v in (Rate(0.5553), Rate(2 / 3), Percent(74.67), RatePoints(0.3085),
                              PercentPoints(-15.2333), Signed(-610), Signed(21.2), 1500, 23.0,
                              None, True, ["设备操作", "安全生产"], "")] == [
        "55.5%", "66.7%", "74.7%", "+30.9 pp", "-15.2 pp", "-610", "+21.2", "1,500", "23.0",
        "–", "是", "设备操作、安全生产", ""]


def test_a_new_report_prints_its_items_or_its_figures():
    out = io.StringIO()
    print_tables(tables("recommendations", {"items": [
        {"employee_no": "E1", "name": "张伟", "score": 0.5, "course": {"code": "C"}}]}), out)
    print_tables(tables("something-new", {"employees": 12, "rate": 0.25, "nested": {}}), out)
    lines = [line.split() for line in out.getvalue().splitlines() if line.strip()]
    assert lines[0] == ["recommendations", "·", "共", "1", "条"]
    assert lines[1] == ["工号", "姓名", "score"] and lines[3] == ["E1", "张伟", "0.5"]
    assert lines[4] == ["something-new", "·", "全公司"]
    assert lines[7:] == [["employees", "12"], ["rate", "0.25"]]
