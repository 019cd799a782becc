"""Monthly engagement indicators per employee, from the data Jifen already has:
training records, failed assessments, plan items overdue, survey answers, points per
month and growth milestones. Pure: tables in, one row per (employee, snapshot day)
out, so that the same code serves the model's history, today's scores and tests
on a generated plant.

A snapshot is the end of a month on the company calendar (and, for scoring, today).
An employee is in a snapshot when hired by it (or without a hire date) and not left
by it; a leaver without a leaving day is in none (nothing says when they left).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

# days since 1970-01-01 fit in 17 bits until 2150: (employee index, day) in one key
_DAY_BITS = 100_000
NO_TRAINING_CAP = 365  # "no training within a year" is as far as the count goes
SURVEY_MEMORY_DAYS = 365  # an answer older than a year says nothing of today
NEUTRAL_SATISFACTION = 3.0  # the middle of the 1-5 scale when someone never answered

# name -> Chinese label (the report's reasons and the model card use them)
FEATURES: dict[str, str] = {
    "records_30": "近30天培训次数",
    "records_60": "近60天培训次数",
    "records_90": "近90天培训次数",
    "change_vs_own": "近90天培训次数较此前90天的变化",
    "gap_vs_peers": "近90天培训次数与同部门中位数之差",
    "days_since_training": "距上次培训天数",
    "streak_break": "连续参训中断",
    "failed_90": "近90天考核未通过次数",
    "overdue_plans": "逾期未完成的培训计划项数",
    "satisfaction": "最近一次培训满意度评分",
    "not_willing": "最近一次调查表示不愿继续参加培训",
    "tenure_months": "司龄（月）",
    "points_3m": "近3个月积分",
    "points_trend": "积分趋势（近3个月对比此前3个月，对数差）",
    "months_since_milestone": "距上次晋升资格或认证变化（月）",
}


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in columns.items()})


@dataclass
class History:
    """What the indicators are computed from (dates are company-calendar days).

    - employees: employee_no, department_code, hired_on, left_on, status
    - records: employee_no, day, failed (standing training records of every kind;
      failed = a failed exam attempt or practical assessment)
    - answers: employee_no, day, satisfaction (mean of the scale answers of a
      satisfaction survey, or NaN), willing (1.0 yes, 0.0 no, NaN not asked)
    - plan_items: employee_no, due_on, finished_on (NaT while not completed)
    - points: employee_no, month (YYYY-MM), points
    - milestones: employee_no, day
    """

    employees: pd.DataFrame
    records: pd.DataFrame = field(default_factory=lambda: _empty(
        {"employee_no": "object", "day": "object", "failed": "bool"}))
    answers: pd.DataFrame = field(default_factory=lambda: _empty(
        {"employee_no": "object", "day": "object", "satisfaction": "float",
         "willing": "float"}))
    plan_items: pd.DataFrame = field(default_factory=lambda: _empty(
        {"employee_no": "object", "due_on": "object", "finished_on": "object"}))
    points: pd.DataFrame = field(default_factory=lambda: _empty(
        {"employee_no": "object", "month": "object", "points": "int64"}))
    milestones: pd.DataFrame = field(default_factory=lambda: _empty(
        {"employee_no": "object", "day": "object"}))


def day_number(values: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 of dates (NaT/None -> -1)."""
    stamps = pd.to_datetime(values, errors="coerce")
    out = (stamps - pd.Timestamp("1970-01-01")).dt.days
    days: np.ndarray = out.fillna(-1).to_numpy(dtype=np.int64)
    return days


class _Events:
    """Days of one kind of event per employee, sorted, for window counts."""

    def __init__(self, index: pd.Index, nos: pd.Series, days: np.ndarray) -> None:
        who = index.get_indexer(nos)
        keep = (who >= 0) & (days >= 0)
        self.keys: np.ndarray = np.sort(who[keep].astype(np.int64) * _DAY_BITS + days[keep])

    def count(self, who: np.ndarray, day: np.ndarray, window: int, *,
              skip: int = 0) -> np.ndarray:
        """Events in (day - skip - window, day - skip]."""
        base = who * _DAY_BITS
        upper = np.searchsorted(self.keys, base + day - skip, side="right")
        lower = np.searchsorted(self.keys, base + day - skip - window, side="right")
        counts: np.ndarray = (upper - lower).astype(np.float64)
        return counts

    def last_before(self, who: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Day of the last event on or before ``day`` (-1 when none)."""
        if not len(self.keys):
            return np.full(len(who), -1, dtype=np.int64)
        at = np.searchsorted(self.keys, who * _DAY_BITS + day, side="right") - 1
        key = self.keys[np.clip(at, 0, None)]
        return np.where((at >= 0) & (key // _DAY_BITS == who), key % _DAY_BITS, -1)


def panel(history: History, snapshots: list[date]) -> pd.DataFrame:
    """One row per employee and snapshot they were employed at: the indicators of
    FEATURES plus employee_no, department_code, snapshot, snapshot_day, left_day."""
    emp = history.employees.reset_index(drop=True)
    index = pd.Index(emp["employee_no"])
    hired, left = day_number(emp["hired_on"]), day_number(emp["left_on"])
    undated = (emp["status"] == "left").to_numpy() & (left < 0)
    snaps = np.array([(d - date(1970, 1, 1)).days for d in snapshots], dtype=np.int64)
    who = np.repeat(np.arange(len(emp)), len(snaps))
    day = np.tile(snaps, len(emp))
    employed = ~undated[who] & ((hired[who] < 0) | (hired[who] <= day)) & \
        ((left[who] < 0) | (left[who] > day))
    who, day = who[employed], day[employed]
    out = pd.DataFrame({"employee_no": index.to_numpy()[who],
                        "department_code": emp["department_code"].to_numpy()[who],
                        "snapshot_day": day, "left_day": left[who]})
    out["snapshot"] = pd.to_datetime(day, unit="D").date
    _training(out, history, index, who, day)
    _surveys(out, history, index, who, day)
    _plans(out, history)
    tenure = np.where(hired[who] >= 0, (day - hired[who]) / 30.44, np.nan)
    out["tenure_months"] = np.nan_to_num(tenure, nan=float(np.nanmedian(tenure))
                                         if np.isfinite(tenure).any() else 0.0)
    _points(out, history, index, who, day)
    return out


def _training(out: pd.DataFrame, history: History, index: pd.Index, who: np.ndarray,
              day: np.ndarray) -> None:
    records = history.records
    events = _Events(index, records["employee_no"], day_number(records["day"]))
    failed = records[records["failed"].astype(bool)]
    failures = _Events(index, failed["employee_no"], day_number(failed["day"]))
    for window in (30, 60, 90):
        out[f"records_{window}"] = events.count(who, day, window)
    before = events.count(who, day, 90, skip=90)
    out["change_vs_own"] = out["records_90"] - before
    peers = out.groupby(["department_code", "snapshot_day"])["records_90"].transform("median")
    out["gap_vs_peers"] = out["records_90"] - peers
    last = events.last_before(who, day)
    out["days_since_training"] = np.where(last >= 0, np.minimum(day - last, NO_TRAINING_CAP),
                                          NO_TRAINING_CAP).astype(np.float64)
    month1, month2 = events.count(who, day, 30, skip=30), events.count(who, day, 30, skip=60)
    out["streak_break"] = ((out["records_30"] == 0) & (month1 > 0) & (month2 > 0)).astype(
        np.float64)
    out["failed_90"] = failures.count(who, day, 90)


def _latest(frame: pd.DataFrame, column: str, index: pd.Index, who: np.ndarray,
            day: np.ndarray) -> np.ndarray:
    """The employee's latest value of ``column`` on or before the day, within a year."""
    known = frame[frame[column].notna()].copy()
    known["_day"] = day_number(known["day"])
    known["_who"] = index.get_indexer(known["employee_no"])
    known = known[(known["_who"] >= 0) & (known["_day"] >= 0)]
    known = known.sort_values(["_who", "_day"], kind="stable")
    keys = known["_who"].to_numpy(np.int64) * _DAY_BITS + known["_day"].to_numpy(np.int64)
    if not len(keys):
        return np.full(len(who), np.nan)
    values = known[column].to_numpy(np.float64)
    at = np.searchsorted(keys, who * _DAY_BITS + day, side="right") - 1
    key = keys[np.clip(at, 0, None)]
    recent = (at >= 0) & (key // _DAY_BITS == who) & (day - key % _DAY_BITS
                                                      <= SURVEY_MEMORY_DAYS)
    return np.where(recent, values[np.clip(at, 0, None)], np.nan)


def _surveys(out: pd.DataFrame, history: History, index: pd.Index, who: np.ndarray,
             day: np.ndarray) -> None:
    answers = history.answers
    satisfaction = _latest(answers, "satisfaction", index, who, day)
    out["satisfaction"] = np.nan_to_num(satisfaction, nan=NEUTRAL_SATISFACTION)
    willing = _latest(answers, "willing", index, who, day)
    out["not_willing"] = (willing == 0.0).astype(np.float64)


def _plans(out: pd.DataFrame, history: History) -> None:
    """Plan items due before the snapshot and not completed by it."""
    items = history.plan_items
    out["overdue_plans"] = 0.0
    if items.empty:
        return
    due, finished = day_number(items["due_on"]), day_number(items["finished_on"])
    frame = pd.DataFrame({"employee_no": items["employee_no"].to_numpy(), "due": due,
                          "finished": finished})
    rows = out[["employee_no", "snapshot_day"]].reset_index()
    joined = rows.merge(frame, on="employee_no")
    late = (joined["due"] < joined["snapshot_day"]) & (
        (joined["finished"] < 0) | (joined["finished"] > joined["snapshot_day"]))
    counts = joined[late].groupby("index").size()
    out.loc[counts.index, "overdue_plans"] = counts.to_numpy(np.float64)


def _month_number(day: np.ndarray) -> np.ndarray:
    stamps = pd.to_datetime(day, unit="D")
    months: np.ndarray = (stamps.year * 12 + stamps.month - 1).to_numpy(np.int64)
    return months


def _points(out: pd.DataFrame, history: History, index: pd.Index, who: np.ndarray,
            day: np.ndarray) -> None:
    points = history.points
    months = pd.to_datetime(points["month"] + "-01", errors="coerce")
    owner = index.get_indexer(points["employee_no"])
    number = (months.dt.year * 12 + months.dt.month - 1).to_numpy()
    keep = (owner >= 0) & ~np.isnan(number)
    current = _month_number(day)
    low = int(current.min()) - 6 if len(current) else 0
    span = (int(current.max()) - low + 1) if len(current) else 1
    grid = np.zeros((len(index), span + 1), dtype=np.float64)  # the last column stays 0
    slot = number[keep].astype(np.int64) - low
    fits = (slot >= 0) & (slot < span)
    np.add.at(grid, (owner[keep][fits], slot[fits]),
              points["points"].to_numpy(np.float64)[keep][fits])

    def total(offsets: range) -> np.ndarray:
        summed = np.zeros(len(who), dtype=np.float64)
        for k in offsets:
            summed += grid[who, current - low - k]
        return summed

    recent, earlier = total(range(0, 3)), total(range(3, 6))
    out["points_3m"] = recent
    out["points_trend"] = np.log1p(np.clip(recent, 0, None)) - np.log1p(
        np.clip(earlier, 0, None))
    milestones = _Events(index, history.milestones["employee_no"],
                         day_number(history.milestones["day"]))
    last = milestones.last_before(who, day)
    out["months_since_milestone"] = np.where(
        last >= 0, (day - last) / 30.44, np.minimum(out["tenure_months"].to_numpy(), 120.0))
