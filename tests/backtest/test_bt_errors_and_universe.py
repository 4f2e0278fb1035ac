"""Bad input, failing strategies, zero volume, minimum notional, and the ragged universe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bt_frames import daily_index, panels_from_close

from cryptofolio.backtest import (
    BacktestConfig,
    EqualWeight,
    make_strategy,
    run_backtest,
)
from cryptofolio.backtest import strategies as strategies_module
from cryptofolio.costs import CostModel, Slippage, ZeroVolumePolicy
from cryptofolio.errors import BacktestError, InfeasibleError

CLOSE = pd.DataFrame(
    {"A": [10.0, 11, 12, 13, 12, 11, 12, 13], "B": [20.0, 19, 18, 19, 20, 21, 22, 23]},
    index=daily_index(8),
)


class FailsOn:
    """Equal weight, except on one date where the 'solver' fails."""

    name = "flaky"

    def __init__(self, bad: pd.Timestamp) -> None:
        self.bad = bad

    def target_weights(self, context):
        if context.timestamp == self.bad:
            raise InfeasibleError("constraints in conflict: max-weight 0.1 x 2 assets < budget 1")
        n = len(context.eligible)
        return pd.Series(1 / n, index=list(context.eligible))


def test_lookback_longer_than_the_data():
    with pytest.raises(BacktestError, match="lookback of 50 rows is longer than the data"):
        run_backtest(panels_from_close(CLOSE), EqualWeight(), BacktestConfig(lookback=50))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lookback": 1}, "at least 2"),
        ({"initial_capital": 0}, "initial capital"),
        ({"rebalance": "fortnightly"}, "cannot parse rebalance"),
        ({"rebalance": "drift:2"}, "cannot parse rebalance"),
    ],
)
def test_bad_config(kwargs, match):
    with pytest.raises(BacktestError, match=match):
        run_backtest(panels_from_close(CLOSE), EqualWeight(), BacktestConfig(**kwargs))


def test_failure_names_the_date_and_hold_fallback_is_recorded():
    bad = CLOSE.index[4]
    panels = panels_from_close(CLOSE)
    with pytest.raises(BacktestError, match=r"'flaky' failed on 2021-01-05.*on-failure hold"):
        run_backtest(
            panels, FailsOn(bad), BacktestConfig(rebalance="daily", lookback=2, on_failure="raise")
        )
    # hold is the default (issue 21: max-sharpe fails on many 2022 dates of the bundled data)
    res = run_backtest(panels, FailsOn(bad), BacktestConfig(rebalance="daily", lookback=2))
    res = res.strategies["flaky"]
    assert res.rebalances.loc[bad, "fallback"]
    assert res.rebalances.loc[bad, "turnover"] == 0
    assert res.targets.loc[bad].isna().all()
    events = res.events[res.events["event"] == "fallback"]
    assert events["timestamp"].tolist() == [bad]
    assert "constraints in conflict" in events["detail"].iloc[0]
    # no trade on the failing date: units unchanged across it
    assert not (res.trades["timestamp"] == bad).any()
    cash = run_backtest(
        panels, FailsOn(bad), BacktestConfig(rebalance="daily", lookback=2, on_failure="cash")
    ).strategies["flaky"]
    assert cash.weights.loc[bad, "cash"] == pytest.approx(1.0)


def test_zero_volume_with_sqrt_model():
    volume = pd.DataFrame(1e9, index=CLOSE.index, columns=CLOSE.columns)
    volume.loc[CLOSE.index[3], "B"] = 0.0
    panels = panels_from_close(CLOSE, volume=volume)
    sqrt = CostModel(slippage=Slippage.SQRT)
    config = BacktestConfig(rebalance="daily", lookback=2, costs=sqrt)
    with pytest.raises(BacktestError, match=r"zero or missing traded volume for B on 2021-01-04"):
        run_backtest(panels, EqualWeight(), config)
    skip = CostModel(slippage=Slippage.SQRT, zero_volume=ZeroVolumePolicy.SKIP)
    res = run_backtest(
        panels, EqualWeight(), BacktestConfig(rebalance="daily", lookback=2, costs=skip)
    ).strategies["equal-weight"]
    skipped = res.events[res.events["event"] == "skipped-zero-volume"]
    assert skipped[["timestamp", "asset"]].values.tolist() == [[CLOSE.index[3], "B"]]
    assert not ((res.trades["timestamp"] == CLOSE.index[3]) & (res.trades["asset"] == "B")).any()
    assert res.rebalances.loc[CLOSE.index[3], "skipped"] == 1


def test_min_notional_skips_small_trades_and_reports_them():
    config = BacktestConfig(
        rebalance="daily", lookback=2, costs=CostModel(fee_bps=0, min_notional=100)
    )
    res = run_backtest(panels_from_close(CLOSE), EqualWeight(), config).strategies["equal-weight"]
    first = res.rebalances.index[0]
    assert res.rebalances.loc[first, "skipped"] == 0  # the initial buys are large
    skipped = res.events[res.events["event"] == "skipped-min-notional"]
    assert len(skipped) > 0
    assert (res.rebalances["skipped"].sum()) == len(skipped)
    # every executed rebalance trade is at least the minimum notional
    assert (res.trades["notional"].abs() >= 100).all()


def test_invalid_target_weights():
    panels = panels_from_close(CLOSE)
    with pytest.raises(BacktestError, match="wants C"):
        run_backtest(panels, _Returns(pd.Series({"A": 0.5, "C": 0.5})), BacktestConfig(lookback=2))
    with pytest.raises(BacktestError, match="non-finite"):
        run_backtest(panels, _Returns(pd.Series({"A": np.nan})), BacktestConfig(lookback=2))
    with pytest.raises(BacktestError, match="pandas Series"):
        run_backtest(panels, _Returns([0.5, 0.5]), BacktestConfig(lookback=2))
    with pytest.raises(BacktestError, match="distinct"):
        run_backtest(panels, [EqualWeight(), EqualWeight()], BacktestConfig(lookback=2))


class _Returns:
    name = "fixed-answer"

    def __init__(self, answer) -> None:
        self.answer = answer

    def target_weights(self, context):
        return self.answer


def test_unknown_strategy_and_unregistered_forecast_strategy(monkeypatch):
    with pytest.raises(BacktestError, match=r"unknown strategy 'nope'; available: .*equal-weight"):
        make_strategy("nope")

    # cryptofolio.forecast not imported: lstm-mvo is not registered, the error names the extra
    monkeypatch.delitem(strategies_module._REGISTRY, "lstm-mvo", raising=False)
    with pytest.raises(BacktestError, match=r"pip install cryptofolio\[forecast\]"):
        make_strategy("lstm-mvo")


def test_ragged_universe_entry_and_liquidation_with_costs():
    close = pd.DataFrame(
        {
            "A": [10.0, 10, 10, 11, 12, 13, 14, 15, 16],
            "B": [5.0, 5, 5, 6, 8, np.nan, np.nan, np.nan, np.nan],  # data stops after row 4
            "C": [np.nan, np.nan, np.nan, np.nan, 2.0, 2, 2, 2, 2],  # lists at row 4
        },
        index=daily_index(9),
    )
    fee = CostModel(fee_bps=10)
    config = BacktestConfig(rebalance="monthly", lookback=3, costs=fee, initial_capital=1000)
    result = run_backtest(panels_from_close(close), EqualWeight(), config)
    res = result.strategies["equal-weight"]
    # one rebalance (row 3: A and B eligible), then B stops: liquidated at its last close 8
    units_b = res.trades.query("asset == 'B' and kind == 'rebalance'")["units"].iloc[0]
    liq = res.trades.query("kind == 'liquidation'")
    assert liq["asset"].tolist() == ["B"]
    assert liq["timestamp"].iloc[0] == close.index[5]
    assert liq["price"].iloc[0] == 8.0
    assert liq["notional"].iloc[0] == pytest.approx(-units_b * 8.0)
    assert liq["commission"].iloc[0] == pytest.approx(units_b * 8.0 * 0.001)
    # cash after liquidation = cash before + proceeds - commission
    units_a = res.trades.query("asset == 'A'")["units"].iloc[0]
    cash_after = res.equity.iloc[2] - units_a * close["A"].iloc[5]
    vp = 1000 / 1.001
    assert cash_after == pytest.approx(units_b * 8.0 * (1 - 0.001), rel=1e-12)
    assert units_b == pytest.approx(vp / 2 / 6.0)
    # universe events: entries (A, B at the start; C after three clean rows) and B's stop
    uni = result.universe
    assert uni.query("event == 'entry'")[["timestamp", "asset"]].values.tolist() == [
        [close.index[3], "A"],
        [close.index[3], "B"],
        [close.index[7], "C"],
    ]
    assert uni.query("event == 'data-stopped'")["asset"].tolist() == ["B"]
    assert res.events.query("event == 'liquidation'")["asset"].tolist() == ["B"]
