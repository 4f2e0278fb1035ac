"""Rebalance schedules, the drift threshold, the expanding window and turnover-aware plumbing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bt_frames import daily_index, panels_from_close

from cryptofolio.backtest import (
    BacktestConfig,
    FixedWeights,
    OptimizerStrategy,
    parse_schedule,
    run_backtest,
)
from cryptofolio.backtest.schedule import calendar_mask
from cryptofolio.costs import CostModel, Slippage
from cryptofolio.optimize import PortfolioConfig, PortfolioResult


def test_calendar_schedules():
    idx = daily_index(70, "2021-01-01")  # a Friday
    weekly = idx[calendar_mask(idx, parse_schedule("weekly"))]
    assert weekly[0] == idx[0]
    assert all(d.day_of_week == 0 for d in weekly[1:])
    monthly = idx[calendar_mask(idx, parse_schedule("monthly"))]
    assert [d.strftime("%m-%d") for d in monthly] == ["01-01", "02-01", "03-01"]
    every = idx[calendar_mask(idx, parse_schedule("10d"))]
    assert ((every[1:] - every[:-1]) == pd.Timedelta(days=10)).all()
    hourly = pd.date_range("2021-01-01", periods=60, freq="h", tz="UTC")
    daily = hourly[calendar_mask(hourly, parse_schedule("daily"))]
    assert [d.hour for d in daily] == [0, 0, 0]
    assert calendar_mask(hourly, parse_schedule("7p")).sum() == len(range(0, 60, 7))


def test_drift_threshold_rebalances_exactly_when_a_weight_drifts_too_far():
    a = [100.0] * 3 + [100 * 1.03**k for k in range(1, 18)]
    close = pd.DataFrame({"A": a, "B": 100.0}, index=daily_index(len(a)))
    config = BacktestConfig(rebalance="drift:0.05", lookback=2, costs=CostModel(fee_bps=0))
    res = run_backtest(panels_from_close(close), FixedWeights({"A": 0.5, "B": 0.5}), config)
    res = res.strategies["fixed-weights"]
    # independent check: weight of A at each close from the simulated units, and the rule
    # "rebalance at t when |w_A(t-1) - 0.5| > 0.05"
    w = res.weights["A"]
    expected = [w.index[0]] + [
        t for prev, t in zip(w.index[:-1], w.index[1:], strict=True) if abs(w[prev] - 0.5) > 0.05
    ]
    assert list(res.rebalances.index) == expected
    assert 2 <= len(expected) < len(w)


def test_expanding_window_grows():
    seen = []

    class Spy:
        name = "spy"

        def target_weights(self, context):
            seen.append(len(context.prices))
            return pd.Series(0.5, index=list(context.eligible))

    close = pd.DataFrame({"A": np.linspace(10, 20, 12), "B": 5.0}, index=daily_index(12))
    run_backtest(
        panels_from_close(close), Spy(), BacktestConfig("3p", lookback=3, window="expanding")
    )
    assert seen == [3, 6, 9]
    seen.clear()
    run_backtest(panels_from_close(close), Spy(), BacktestConfig("3p", lookback=3))
    assert seen == [3, 3, 3]


def test_turnover_aware_optimizer_gets_current_weights_and_cost_rates(monkeypatch):
    calls = []

    def fake_build(prices, config, **kwargs):
        calls.append(kwargs)
        w = pd.Series(1 / prices.shape[1], index=prices.columns)
        return PortfolioResult(w, 0.0, 0.0, 0.0, config.objective)

    import cryptofolio.backtest.strategies as strategies

    # the strategy's entry: build_portfolio
    monkeypatch.setattr(strategies, "build_portfolio", fake_build)
    close = pd.DataFrame(
        {"A": [10.0, 11, 12, 13, 12, 14, 15], "B": [20.0, 19, 18, 21, 22, 20, 19]},
        index=daily_index(7),
    )
    costs = CostModel(fee_bps=10, slippage=Slippage.FIXED, slippage_bps=5)
    strategy = OptimizerStrategy(PortfolioConfig(), transaction_cost=True, max_turnover=0.3)
    res = run_backtest(
        panels_from_close(close), strategy, BacktestConfig("2p", lookback=2, costs=costs)
    ).strategies["min-variance"]
    assert len(calls) == 3
    assert calls[0]["previous_weights"].tolist() == [0.0, 0.0]
    # later calls: the drifted weights at the last close before the decision
    second = res.rebalances.index[1]
    before = res.weights.index[res.weights.index.get_loc(second) - 1]
    np.testing.assert_allclose(
        calls[1]["previous_weights"].to_numpy(), res.weights.loc[before, ["A", "B"]].to_numpy()
    )
    assert calls[1]["transaction_cost"].tolist() == pytest.approx([0.0015, 0.0015])
    assert calls[1]["max_turnover"] == 0.3


def test_plain_optimizer_does_not_pass_turnover_arguments(monkeypatch):
    calls = []

    def fake_build(prices, config, **kwargs):
        calls.append(kwargs)
        return PortfolioResult(pd.Series(0.5, index=prices.columns), 0, 0, 0, config.objective)

    import cryptofolio.backtest.strategies as strategies

    # the strategy's entry: build_portfolio
    monkeypatch.setattr(strategies, "build_portfolio", fake_build)
    close = pd.DataFrame({"A": np.linspace(10, 12, 6), "B": 5.0}, index=daily_index(6))
    run_backtest(panels_from_close(close), OptimizerStrategy(), BacktestConfig("2p", lookback=2))
    assert calls and all(set(c) == {"warm_starts"} for c in calls)  # the run's own store
