"""The risk model on a generated plant with a planted signal (leavers whose training
fades months before they leave, with noise on both sides), without a database: it
must beat the transparent rule on the held-out period; with too few leavers it must
refuse and leave the ranking to the engagement-drop rules."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from services.training_api.attrition import indicators, model
from services.training_api.attrition.months import month_ends
from tests.training_api.attrition.plant_history import plant_history

TODAY = date(2026, 12, 5)


@pytest.fixture(scope="module")
def history() -> indicators.History:
    return plant_history(TODAY)


def snapshots() -> list[date]:
    return [*month_ends(date(2025, 12, 1), TODAY), TODAY]


def test_the_model_beats_the_rule_on_the_held_out_period(history):
    panel = indicators.panel(history, snapshots())
    card = model.validate(panel, horizon=3, as_of=TODAY, thresholds=model.Thresholds())

    assert "refused" not in card
    holdout, train = card["holdout_window"], card["training_window"]
    assert train["to"] < holdout["from"] and holdout["leavers"] >= 30
    assert card["chosen"] in ("logistic_regression", "gradient_boosting")
    rule = card["rule_no_training_60_days"]
    assert card["model"]["auc"] >= rule["auc"] + 0.05, card
    assert card["model"]["precision_at_10_percent"] > rule["precision_at_10_percent"], card
    assert card["model"]["precision_at_10_percent"] > 1.5 * holdout["base_rate"], card


def test_scores_rank_today_with_reasons(history):
    panel = indicators.panel(history, snapshots())
    today = panel[panel["snapshot"] == TODAY].reset_index(drop=True)
    scored = model.score(panel, today, horizon=3, as_of=TODAY, thresholds=model.Thresholds())

    assert scored.method == "model" and len(scored.scores) == len(today)
    assert not today["employee_no"].isin(
        history.employees.loc[history.employees["status"] == "left", "employee_no"]).any()
    top = int(np.argmax(scored.scores))
    assert scored.reasons[top], "the riskiest employee has reasons"
    assert all(r["contribution"] >= model.MIN_CONTRIBUTION and r["text"]
               for r in scored.reasons[top])
    assert all(len(reasons) <= 3 for reasons in scored.reasons)


def test_too_few_leavers_and_the_rules_rank_labelled_as_such(history):
    staff = history.employees
    leavers = staff[staff["status"] == "left"]["employee_no"].tolist()
    kept = staff[~staff["employee_no"].isin(leavers[20:])]
    few = indicators.History(employees=kept, records=history.records, answers=history.answers)
    panel = indicators.panel(few, snapshots())
    today = panel[panel["snapshot"] == TODAY].reset_index(drop=True)

    scored = model.score(panel, today, horizon=3, as_of=TODAY, thresholds=model.Thresholds())

    assert scored.method == "rules" and scored.probabilities is None
    assert "离职样本不足" in scored.card["refused"] and "model" not in scored.card
    assert scored.card["rule_no_training_60_days"]["auc"] is not None
    flagged = [i for i, reasons in enumerate(scored.reasons) if reasons]
    assert flagged and all(r["contribution"] is None for i in flagged
                           for r in scored.reasons[i])


def test_precision_counts_ties_at_the_boundary_in_proportion():
    scores = np.array([5.0, 4.0, 4.0, 4.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    assert model.precision_at(scores, y, 0.2) == pytest.approx((1 + 1 / 3) / 2, abs=1e-4)
    assert model.precision_at(np.array([]), np.array([]), 0.1) is None


def test_indicators_of_one_employee():
    staff = pd.DataFrame([{"employee_no": "E1", "department_code": "D", "status": "active",
                           "hired_on": date(2025, 1, 1), "left_on": None},
                          {"employee_no": "E2", "department_code": "D", "status": "left",
                           "hired_on": date(2025, 1, 1), "left_on": date(2026, 5, 20)},
                          {"employee_no": "E3", "department_code": "D", "status": "left",
                           "hired_on": None, "left_on": None}])
    records = pd.DataFrame({"employee_no": ["E1", "E1", "E1", "E2"],
                            "day": [date(2026, 3, 10), date(2026, 4, 10), date(2026, 5, 5),
                                    date(2026, 4, 1)],
                            "failed": [False, True, False, False]})
    answers = pd.DataFrame({"employee_no": ["E1"], "day": [date(2026, 4, 1)],
                            "satisfaction": [2.0], "willing": [0.0]})
    items = pd.DataFrame({"employee_no": ["E1"], "due_on": [date(2026, 4, 30)],
                          "finished_on": [None]})
    panel = indicators.panel(indicators.History(employees=staff, records=records,
                                                answers=answers, plan_items=items),
                             [date(2026, 5, 31), date(2026, 6, 30)])
    may = panel[(panel["employee_no"] == "E1") & (panel["snapshot"] == date(2026, 5, 31))]
    row = may.iloc[0]
    assert (row["records_30"], row["records_60"], row["records_90"]) == (1, 2, 3)
    assert (row["days_since_training"], row["failed_90"], row["overdue_plans"]) == (26, 1, 1)
    assert (row["satisfaction"], row["not_willing"]) == (2.0, 1.0)
    june = panel[(panel["employee_no"] == "E1") & (panel["snapshot"] == date(2026, 6, 30))]
    assert june.iloc[0]["streak_break"] == 1.0 and june.iloc[0]["records_30"] == 0
    # E2 left on 20 May: in no snapshot after it; E3 left on an unknown day: in none
    assert set(panel["employee_no"]) == {"E1"}
    assert model.label(panel, 3).sum() == 0


def test_a_plant_without_history_is_ranked_by_the_rules_not_failed():
    """The first weekly run meets an empty database (or one with employees and no
    training yet): the run ends with the rules and says why, instead of failing."""
    from services.training_api.attrition.ranking import rank

    limits = {"min_train_leavers": 30, "min_holdout_leavers": 10, "share": 0.1}
    empty = rank({}, horizon=3, as_of=TODAY, floor=date(2023, 12, 5), **limits)
    assert empty["method"] == "rules" and empty["rows"] == []
    assert "离职样本不足" in empty["card"]["refused"]
    assert empty["card"]["training_window"] is None
    staff = {"employees": [("E1", "D", "/D/", date(2024, 1, 1), None, "active")]}
    found = rank(staff, horizon=3, as_of=TODAY, floor=date(2023, 12, 5), **limits)
    assert found["method"] == "rules" and [r["employee_no"] for r in found["rows"]] == ["E1"]
