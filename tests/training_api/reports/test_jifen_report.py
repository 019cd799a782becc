"""`jifen report` on the small plant (small_plant.py): tables, by month, charts.

Here rather than in tests/e2e because the small plant's employees earn points in
the previous month: made before the growth tests run, they would enter the monthly
TOP 10 and get its bonus, which the effectiveness figures do not expect."""

import json
import unicodedata

from tests.e2e.test_cli import run
from tests.training_api.reports.small_plant import last_day


def wcswidth(text: str) -> int:
    """Terminal columns: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


async def test_report_prints_a_table_with_percentages_and_the_total_last(stack, gw):
    from tests.training_api.reports.small_plant import small_plant

    plant = await small_plant(gw)
    args = ["report", "participation", "--department", plant.plant, "--period", plant.m,
            "--group-by", "department", "--url", stack.gateway_url]
    table = run(*args, "--format", "table")
    piped = run(*args)  # not a terminal: the JSON as served, for scripts
    assert table.returncode == piped.returncode == 0, table.stderr + piped.stderr
    lines = [line.rstrip() for line in table.stdout.splitlines() if line.strip()]
    assert lines[0].strip() == (f"培训参与率 · 试验工厂（{plant.plant}） · {plant.m}"
                                f"（{plant.day(1)} 至 {last_day(plant.month)}）")
    assert lines[1].split() == ["部门", "代码", "在职人数", "参训人数", "参与率",
                                "一线在职人数", "一线参训人数", "一线参与率"]
    assert [line.split() for line in lines[3:]] == [
        ["试点车间", plant.a, "4", "2", "50.0%", "2", "1", "50.0%"],
        ["普通车间", plant.b, "4", "3", "75.0%", "4", "3", "75.0%"],
        ["合计", "8", "5", "62.5%", "6", "4", "66.7%"]]
    # Chinese labels take two columns each: the rate column ends at the same place
    ends = {wcswidth(line[:line.index("%") + 1]) for line in lines[3:] if "%" in line}
    assert len(ends) == 1
    assert json.loads(piped.stdout)["total"]["rate"] == 0.625


async def test_report_by_month_prints_each_month_and_the_whole_range_and_draws_it(
        stack, gw, tmp_path):
    from tests.training_api.reports.small_plant import months_back, small_plant

    plant = await small_plant(gw)
    first = months_back(plant.month, 2)
    args = ["report", "participation", "--department", plant.plant, "--group-by",
            "department", "--from", first.isoformat(), "--to", str(last_day(plant.month)),
            "--url", stack.gateway_url]
    chart = tmp_path / "participation.png"
    table = run(*args, "--by-month", "--format", "table", "--chart", str(chart))
    piped = run(*args, "--by-month")
    assert table.returncode == piped.returncode == 0, table.stderr + piped.stderr
    lines = [line.split() for line in table.stdout.splitlines() if line.strip()]
    assert lines[1] == ["月份", "人数", "计入人数", "参与率", "一线参与率", "试点车间", "参与率",
                        "普通车间", "参与率"]
    m2, m1, m = (f"{d.year:04d}-{d.month:02d}" for d in
                 (first, months_back(plant.month, 1), plant.month))
    # hired by each month's end and active: E1-E5, then all but E6 (see small_plant.py)
    assert lines[3:] == [[m2, "5", "0", "0.0%", "0.0%", "0.0%", "0.0%"],
                         [m1, "5", "2", "40.0%", "25.0%", "66.7%", "0.0%"],
                         [m, "8", "5", "62.5%", "66.7%", "50.0%", "75.0%"],
                         ["全期", "8", "7", "87.5%", "83.3%", "100.0%", "75.0%"]]
    assert chart.read_bytes().startswith(b"\x89PNG") and f"wrote {chart}" in table.stderr
    body = json.loads(piped.stdout)
    assert [d["period"]["key"] for d in body["months"]] == [f"M{k}" for k in (m2, m1, m)]
    assert body["total"]["total"]["count"] == 7
