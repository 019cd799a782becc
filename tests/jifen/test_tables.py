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


def test_the_uptake_report_prints_groups_reasons_and_participation():
    group = {"key": "AP-R-OP", "label": "生产操作工", "employees": 1200, "employees_shown": 800,
             "shown": 4000, "taken": 600, "taken_rate": 0.15, "employees_took": 420, "open": 900}
    doc = {"period": {"key": "M2026-12", "first_day": "2026-12-01", "last_day": "2026-12-31"},
           "scope": {"department_code": "AP", "department_name": "A企业"},
           "group_by": "job_role", "taken_within_days": 30, "groups": [group],
           "total": {**group, "key": "all", "label": "合计"},
           "by_reason": [{"kind": "gap", "label": "岗位技能差距", "shown": 900, "taken": 200,
                          "taken_rate": 0.2222}],
           "participation": [{"cohort": "took", "label": "采纳过推荐", "employees": 420,
                              "participating": 420, "participation_rate": 1.0,
                              "records_per_head": 2.4, "other_records_per_head": 1.1}]}
    out = io.StringIO()
    print_tables(tables("recommendation-uptake", doc), out)
    text = out.getvalue()
    for expected in ("推荐课程采纳", "合计", "15.0%", "岗位技能差距", "22.2%", "采纳过推荐",
                     "100.0%", "推荐后 30 天内完成计为采纳"):
        assert expected in text, (expected, text)
