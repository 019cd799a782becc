"""The demand forecast and the readiness projection, without a database."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.training_api.changes import demand, readiness
from services.training_api.changes.compute import total_errors


def seasonal_series(months: int, seed: int = 7) -> list[float]:
    rng = np.random.default_rng(seed)
    return [max(0.0, 40 + 0.8 * t + 12 * math.sin(2 * math.pi * t / 12) + rng.normal(0, 3))
            for t in range(months)]


def test_a_long_seasonal_history_is_smoothed_with_its_season_and_beats_naive():
    found = demand.forecast(seasonal_series(36), horizon=3)
    assert found.method == "holt_winters" and len(found.values) == 3
    assert all(v >= 0 for v in found.values)
    test = found.backtest
    assert test["origins"] == 4 and test["forecasts_checked"] == 3 + 3 + 2 + 1
    assert test["method"]["mase"] < test["naive"]["mase"]
    assert test["method"]["mape"] < test["naive"]["mape"]
    assert set(test["candidates"]) == {"naive", "seasonal_naive", "simple_smoothing",
                                       "holt_winters"}
    assert all(test["method"]["mase"] <= c["mase"] for c in test["candidates"].values())


def test_the_method_with_the_smaller_backtest_error_forecasts_each_series():
    rng = np.random.default_rng(0)
    level = [max(0.0, v) for v in rng.normal(30, 6, 15)]  # noise around a level
    found = demand.forecast(level, horizon=3)
    test = found.backtest
    assert found.method == "simple_smoothing" and test["chosen_by"] == "backtest"
    assert set(test["candidates"]) == {"naive", "simple_smoothing"}
    assert test["method"] == test["candidates"]["simple_smoothing"]
    assert test["method"]["mase"] < test["naive"]["mase"]

    rng = np.random.default_rng(3)
    walk = [max(0.0, v) for v in 30 + np.cumsum(rng.normal(0, 5, 14))]  # a random walk
    found = demand.forecast(walk, horizon=3)
    test = found.backtest
    assert found.method == "naive" and found.values == [round(walk[-1], 1)] * 3
    assert test["method"] == test["naive"]
    assert test["candidates"]["simple_smoothing"]["mase"] > test["naive"]["mase"]

    seasonal = demand.forecast(seasonal_series(20), horizon=3)  # a year behind every origin
    assert seasonal.method == "seasonal_naive"
    assert set(seasonal.backtest["candidates"]) == {"naive", "seasonal_naive",
                                                    "simple_smoothing"}


def test_shorter_histories_fall_back_as_documented():
    assert demand.forecast([3, 5, 4], horizon=2).method == "naive"
    assert demand.forecast([3, 5, 4], horizon=2).backtest["chosen_by"] == "history_length"
    assert demand.forecast([3, 5, 4], horizon=2).values == [4.0, 4.0]
    flat = demand.forecast([0.0] * 14 + [5.0] * 0, horizon=3)
    assert flat.method == "naive" and flat.values == [0.0, 0.0, 0.0]
    assert flat.backtest["method"]["mape"] is None  # no month had completions
    assert demand.seasonal_naive(np.arange(13.0), 2).tolist() == [1.0, 2.0]


def test_errors_of_many_series_are_averaged():
    results = [{"method": {"mape": 10.0, "mase": 0.5}, "naive": {"mape": 20.0, "mase": 1.0}},
               {"method": {"mape": None, "mase": 0.7}, "naive": {"mape": None, "mase": 0.9}}]
    total = total_errors(results)
    assert total == {"method_mape": 10.0, "method_mase": 0.6, "naive_mape": 20.0,
                     "naive_mase": 0.95, "series": 2}


def test_attainment_counts_those_still_learning_for_as_long_as_they_have():
    fit = readiness.attainment([(10, True), (20, True), (30, True), (40, False), (100, False)],
                               "role_skill")
    assert (fit.learners, fit.proven, fit.median_days) == (5, 3, 30.0)
    assert fit.curve(5) == 0.0 and fit.curve(10) == pytest.approx(0.2)
    assert fit.curve(30) == pytest.approx(0.6) and fit.curve(500) == pytest.approx(0.6)
    assert readiness.attainment([(5, False)], "skill").basis == "none"


def test_the_readiness_curve_spreads_starts_and_reaches_the_go_live():
    fit = readiness.attainment([(7, True)] * 4 + [(14, True)] * 4, "role_skill")
    learners = [readiness.Learner([(None, fit)]) for _ in range(4)]
    learners.append(readiness.Learner([(30.0, fit)]))  # started a month ago: ready
    assert readiness.schedule(learners, 4) == [0, 1, 2, 3, 0]
    points = readiness.curve(5, learners, 10, 4)
    assert len(points) == 5 and points == sorted(points)
    assert points[0] == pytest.approx(0.6)  # 5 ready + the one who started
    # started in weeks 0-3, 28/21/14/7 days of learning by the go-live
    assert points[-1] == pytest.approx((6 + 1 + 1 + 1 + 0.5) / 10)
    assert readiness.curve(3, [], 3, 0) == [1.0]
