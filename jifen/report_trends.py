"""Reports over time: a report fetched month by month (``--by-month``) as one table,
and every report with a time axis as a chart (``--chart``).

participation, skill-attainment, pilot-comparison and points-mix describe one period;
their trend is the same report for each month of the period, plus the whole period
as the total row. production-kpis and satisfaction carry their own months.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from jifen.charts import Chart, Panel, Series
from jifen.report_views import (
    CATEGORY_WORDS,
    GROUP_WORDS,
    PHASE_WORDS,
    TITLES,
    period_text,
    scope_text,
)
from jifen.tables import Percent, Rate, Table

MONTHLY = ("participation", "skill-attainment", "pilot-comparison", "points-mix")
CHARTED = (*MONTHLY, "production-kpis", "satisfaction")
RATE_WORDS = {"participation": "参与率", "skill-attainment": "达标率"}
CATEGORIES = ("participation", "outcome", "growth")


def months_between(first: date, last: date) -> list[date]:
    """The first day of every month from ``first``'s to ``last``'s."""
    out, current = [], first.replace(day=1)
    while current <= last:
        out.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return out


def period_months(period: str | None, first: date | None, last: date | None,
                  today: date) -> list[date]:
    """The months of --period (M/Q/Y), of --from/--to, or the current month and the 11
    before it; never past the current month, which has no data yet."""
    if period:
        kind, rest = period[:1].upper(), period[1:]
        try:
            if kind == "M":
                year, month = (int(p) for p in rest.split("-"))
                first, last = date(year, month, 1), date(year, month, 1)
            elif kind == "Q":
                year, quarter = (int(p) for p in rest.split("-"))
                first, last = date(year, 3 * quarter - 2, 1), date(year, 3 * quarter, 1)
            elif kind == "Y":
                first, last = date(int(rest), 1, 1), date(int(rest), 12, 1)
            else:
                raise ValueError
        except ValueError:
            raise ValueError(f"--by-month needs a period M2026-03, Q2026-1 or Y2026, "
                             f"not {period!r}") from None
    last = min(last or today, today)
    first = first or months_between(date(last.year - 1, last.month, 1), last)[1]
    if first > last:
        raise ValueError("--by-month: the period has not started yet")
    return months_between(first, last)


def month_key(first: date) -> str:
    return f"M{first.year:04d}-{first.month:02d}"


def _label(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def _rate(value: float | None) -> Rate | None:
    return None if value is None else Rate(value)


def _pct100(value: float | None) -> float | None:
    return None if value is None else value * 100


# -- tables ---------------------------------------------------------------------------


def monthly_table(name: str, months: list[date], docs: list[dict[str, Any]],
                  total: dict[str, Any] | None) -> Table:
    first = docs[0]
    scope = first.get("scope")
    head = (f"{TITLES[name]} 按月 · {scope_text(scope)} · "
            f"{_label(months[0])} 至 {_label(months[-1])}")
    if name == "pilot-comparison":
        return _pilot_table(head, months, docs, total)
    if name == "points-mix":
        return _mix_table(head, months, docs)
    return _rate_table(name, head, months, docs, total)


def _groups(docs: list[dict[str, Any]]) -> dict[str, str]:
    return {g["key"]: g["label"] for doc in docs for g in doc["groups"]}


def _rate_table(name: str, head: str, months: list[date], docs: list[dict[str, Any]],
                total: dict[str, Any] | None) -> Table:
    word, groups = RATE_WORDS[name], _groups(docs)

    def row(label: str, doc: dict[str, Any]) -> list[Any]:
        by_key = {g["key"]: g for g in doc["groups"]}
        t = doc["total"]
        return [label, t["employees"], t["count"], _rate(t["rate"]), _rate(t["front_line_rate"]),
                *[_rate(by_key[k]["rate"]) if k in by_key else None for k in groups]]

    return Table(head, ["月份", "人数", "计入人数", word, f"一线{word}",
                        *[f"{label} {word}" for label in groups.values()]],
                 [row(_label(m), d) for m, d in zip(months, docs, strict=True)],
                 [row("全期", total)] if total else [])


PILOT_TREND = (("参与率", "participation_rate", _rate),
               ("一线参与率", "front_line_participation_rate", _rate),
               ("技能达标率", "attainment_rate", _rate), ("人均积分", "points_per_head", None))


def _pilot_table(head: str, months: list[date], docs: list[dict[str, Any]],
                 total: dict[str, Any] | None) -> Table:
    def row(label: str, doc: dict[str, Any]) -> list[Any]:
        cells: list[Any] = [label]
        for _, key, convert in PILOT_TREND:
            for side in ("pilot", "rest"):
                value = doc[side][key]
                cells.append(convert(value) if convert else value)
        return cells

    columns = ["月份"] + [f"{side} {word}" for word, _, _ in PILOT_TREND
                          for side in ("试点", "其他")]
    return Table(head, columns, [row(_label(m), d) for m, d in zip(months, docs, strict=True)],
                 [row("全期", total)] if total else [])


def _mix_table(head: str, months: list[date], docs: list[dict[str, Any]]) -> Table:
    """A row per month; the total row sums the months (each entry counts in one month)."""
    def row(label: str, points: dict[str, int], total: int, alerts: int | None) -> list[Any]:
        return [label, total, *[Percent(100 * points[c] / total) if total else None
                                for c in CATEGORIES], alerts]

    rows, sums = [], dict.fromkeys(CATEGORIES, 0)
    for m, doc in zip(months, docs, strict=True):
        points = {c["category"]: c["points"] for c in doc["categories"]}
        for c in CATEGORIES:
            sums[c] += points.get(c, 0)
        rows.append(row(_label(m), {c: points.get(c, 0) for c in CATEGORIES},
                        doc["total_points"], len(doc["alerts"])))
    return Table(head, ["月份", "积分", *[f"{CATEGORY_WORDS[c]} 占比" for c in CATEGORIES],
                        "提醒"], rows, [row("全期", sums, sum(sums.values()), None)],
                 ["全期 = 各月之和；提醒 = 超出目标区间的类别和来源数（jifen report points-mix "
                  "--period M... 看详情）"])


# -- charts ---------------------------------------------------------------------------


def _style(key: str) -> str:
    return key if key in ("pilot", "rest") else "plain"


def monthly_chart(name: str, months: list[date], docs: list[dict[str, Any]]) -> Chart:
    x = [_label(m) for m in months]
    title = (f"{TITLES[name]} 按月 · {scope_text(docs[0].get('scope'))} · "
             f"{x[0]} 至 {x[-1]}")
    if name == "pilot-comparison":
        return Chart(title, "月份", x, [
            Panel("参与率（%）", [Series(side_word, [_pct100(d[side]["participation_rate"])
                                                      for d in docs], side)
                                  for side, side_word in (("pilot", "试点"), ("rest", "其他"))]),
            Panel("人均积分（分/人）", [Series(side_word, [d[side]["points_per_head"]
                                                          for d in docs], side)
                                       for side, side_word in (("pilot", "试点"),
                                                               ("rest", "其他"))],
                  percent=False)])
    if name == "points-mix":
        first = {c["category"]: c for c in docs[0]["categories"]}
        return Chart(title, "月份", x, [Panel("占总积分（%）", [
            Series(CATEGORY_WORDS[c], [next((k["share_percent"] for k in d["categories"]
                                             if k["category"] == c), None) for d in docs])
            for c in CATEGORIES], bands=[(f"{CATEGORY_WORDS[c]}目标", first[c]["band_low_percent"],
                                          first[c]["band_high_percent"]) for c in CATEGORIES
                                         if c in first])])
    word, groups = RATE_WORDS[name], _groups(docs)
    series = [Series("合计", [_pct100(d["total"]["rate"]) for d in docs], "total")]
    for key, label in groups.items():
        series.append(Series(label, [_pct100(next((g["rate"] for g in d["groups"]
                                                   if g["key"] == key), None)) for d in docs],
                             _style(key)))
    group = GROUP_WORDS.get(docs[0].get("group_by"), "")
    return Chart(f"{title}（按{group}）" if docs[0].get("group_by") else title, "月份", x,
                 [Panel(f"{word}（%）", series)])


def kpi_chart(doc: dict[str, Any]) -> Chart:
    months = doc["months"]
    x = [m["month"] for m in months]
    after = [i for i, m in enumerate(months) if m["phase"] == "after"]
    split = after[0] if after and after[0] > 0 else None

    def values(key: str, scale: float = 1) -> list[float | None]:
        return [None if m[key] is None else float(m[key]) * scale for m in months]

    scope = {"department_code": doc["department_code"], "department_name": doc["department_name"]}
    split_words = (PHASE_WORDS["before"], PHASE_WORDS["after"])
    return Chart(f"{TITLES['production-kpis']} · {scope_text(scope)} · "
                 f"{period_text(doc['period'])}", "月份", x, [
                     Panel("次品率（%）", [Series("次品率", values("defect_rate"), "total")]),
                     Panel("占比（%）", [
                         Series("技能原因次品占比", values("skill_defect_share"), "pilot"),
                         Series("参与率", values("participation_rate", 100), "plain"),
                         Series("技能达标率", values("attainment_rate", 100), "rest")]),
                     Panel("生产效率（%，100 = 标准）",
                           [Series("生产效率", values("efficiency"), "total")])],
                 split_at=split, split_label=split_words)


def satisfaction_chart(doc: dict[str, Any]) -> Chart:
    periods = list(dict.fromkeys(r["period"] for r in doc["rows"] if r["period"] != "all"))
    questions = list(dict.fromkeys(r["question_code"] for r in doc["rows"]))
    share = {(r["period"], r["question_code"]): r["satisfaction_share"] for r in doc["rows"]}
    return Chart(f"{TITLES['satisfaction']} · {scope_text(doc['scope'])} · "
                 f"{period_text(doc['period'])}", "期间", periods, [Panel("满意占比（%）", [
                     Series("全部题目" if q is None else q,
                            [_pct100(share.get((p, q))) for p in periods],
                            "total" if q is None else "plain") for q in questions])])
