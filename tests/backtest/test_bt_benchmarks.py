"""Benchmarks against direct pandas computations, on the bundled real data."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from bt_frames import daily_index, panels_from_close

from cryptofolio.backtest import (
    BacktestConfig,
    BuyAndHold,
    EqualWeight,
    MarketCap,
    make_strategy,
    run_backtest,
)
from cryptofolio.backtest.strategies import cap_weights
from cryptofolio.costs import CostModel
from cryptofolio.data import load_dataset, to_panels

NO_COSTS = CostModel(fee_bps=0)


@pytest.fixture(scope="module")
def real_panels():
    return to_panels(
        load_dataset(
            "coingecko-daily", symbols=["BTC", "ETH", "LTC"], start="2020-01-01", end="2021-06-30"
        )
    )


def test_daily_equal_weight_matches_pandas(real_panels):
    config = BacktestConfig(rebalance="daily", lookback=60, costs=NO_COSTS, initial_capital=1000)
    res = run_backtest(real_panels, EqualWeight(), config).strategies["equal-weight"]
    close = real_panels.close
    first = close.index.get_loc(res.equity.index[0])
    # rebalanced to 1/N at each close: next-period return is the mean of asset returns
    rets = close.pct_change().iloc[first + 1 :].mean(axis=1)
    expected = 1000 * (1 + rets).cumprod()
    pd.testing.assert_series_equal(
        res.equity.iloc[1:], expected, check_names=False, rtol=1e-10, check_freq=False
    )


def test_weekly_equal_weight_drifts_between_rebalances(real_panels):
    config = BacktestConfig(rebalance="weekly", lookback=60, costs=NO_COSTS, initial_capital=1000)
    res = run_backtest(real_panels, EqualWeight(), config).strategies["equal-weight"]
    close = real_panels.close.loc[res.equity.index]
    starts = [close.index.get_loc(ts) for ts in res.rebalances.index] + [len(close)]
    value = 1000.0
    expected = []
    for a, b in itertools.pairwise(starts):
        # 1/N of the value bought at row a; units constant until (and valued at) row b
        block = close.iloc[a : b + 1]
        growth = (block / block.iloc[0]).mean(axis=1)
        expected.extend(value * growth.iloc[: b - a])
        value = value * growth.iloc[-1]
    assert len(res.rebalances) > 20
    np.testing.assert_allclose(res.equity.to_numpy(), expected, rtol=1e-10)


def test_buy_and_hold_btc_matches_price_path(real_panels):
    fee = CostModel(fee_bps=10)
    config = BacktestConfig(rebalance="weekly", lookback=60, costs=fee, initial_capital=1000)
    res = run_backtest(real_panels, make_strategy("btc-hold"), config).strategies["btc-hold"]
    btc = real_panels.close["BTC"].loc[res.equity.index]
    expected = 1000 / (1 + 0.001) * btc / btc.iloc[0]  # one buy paying 10 bps of itself
    np.testing.assert_allclose(res.equity.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert len(res.trades) == 1
    assert res.rebalances["held"].iloc[1:].all()


def test_market_cap_weights_use_the_last_known_caps(real_panels):
    config = BacktestConfig(rebalance="monthly", lookback=60, costs=NO_COSTS)
    res = run_backtest(real_panels, MarketCap(), config).strategies["market-cap"]
    caps = real_panels.market_cap
    for ts, row in res.targets.iterrows():
        before = caps.loc[caps.index < ts].iloc[-1]
        np.testing.assert_allclose(row[before.index].to_numpy(), (before / before.sum()).to_numpy())


def test_cap_weights_redistributes_pro_rata():
    np.testing.assert_allclose(cap_weights(np.array([0.6, 0.3, 0.1]), 0.4), [0.4, 0.4, 0.2])
    np.testing.assert_allclose(cap_weights(np.array([0.5, 0.5]), 0.6), [0.5, 0.5])


def test_buy_and_hold_waits_for_eligibility_and_fixed_weights_keep_cash():
    close = pd.DataFrame(
        {"BTC": [np.nan] * 3 + [10.0, 11, 12, 13, 14], "ETH": [5.0, 6, 7, 8, 9, 10, 11, 12]},
        index=daily_index(8),
    )
    config = BacktestConfig(rebalance="daily", lookback=2, costs=NO_COSTS, initial_capital=100)
    result = run_backtest(
        panels_from_close(close),
        [
            BuyAndHold({"BTC": 1.0}),
            make_strategy("fixed-weights", weights={"BTC": 0.5, "ETH": 0.5}),
        ],
        config,
    )
    hold = result.strategies["btc-hold"]
    # BTC is eligible at row 5 (two clean rows before it): cash until then
    assert hold.equity.loc[: close.index[4]].eq(100).all()
    assert hold.trades["timestamp"].tolist() == [close.index[5]]
    fixed = result.strategies["fixed-weights"]
    assert fixed.weights.loc[close.index[2], "cash"] == pytest.approx(0.5)
    assert fixed.weights.loc[close.index[6], "cash"] == pytest.approx(0.0)
