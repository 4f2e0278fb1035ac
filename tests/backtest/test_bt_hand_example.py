"""A two-asset, three-rebalance backtest computed by hand, checked to the cent (costs included).

Setup: assets A and B, lookback 2 rows, rebalance every 2 rows, fixed weights A 50 %, B 30 %,
cash 20 %; commission 10 bps + fixed slippage 5 bps (15 bps of every traded notional); $1,000.
Target weights are fractions of the post-cost value V', so V' solves
``V' = V - 0.0015 * sum_j |w_j V' - h_j|`` (h = holdings before trading). The test solves
that equation with a bracketing root finder, independently of the engine's fixed point.
"""

from __future__ import annotations

import pandas as pd
import pytest
from bt_frames import daily_index, panels_from_close
from scipy.optimize import brentq

from cryptofolio.backtest import BacktestConfig, FixedWeights, run_backtest
from cryptofolio.costs import CostModel, Slippage

PRICES = {
    #      A     B
    "A": [10.0, 11.0, 12.0, 15.0, 9.0, 10.0, 11.0, 12.0],
    "B": [20.0, 20.0, 18.0, 16.0, 20.0, 25.0, 24.0, 22.0],
}
RATE = 0.0010 + 0.0005
W = {"A": 0.5, "B": 0.3}


def hand_backtest() -> dict:
    """Independent computation with plain floats."""
    a, b = PRICES["A"], PRICES["B"]
    units = {"A": 0.0, "B": 0.0}
    cash = 1000.0
    costs = 0.0
    equity = []
    for row in range(2, 8):  # first decision: row 2 (two clean rows before it)
        pa, pb = a[row], b[row]
        if row in (2, 4, 6):
            h = {"A": units["A"] * pa, "B": units["B"] * pb}
            value = cash + h["A"] + h["B"]

            def gap(vp: float, value=value, h=h) -> float:
                return vp - value + RATE * sum(abs(W[k] * vp - h[k]) for k in W)

            vp = brentq(gap, 0.5 * value, value, xtol=1e-14, rtol=1e-15)
            trades = {k: W[k] * vp - h[k] for k in W}
            paid = RATE * sum(abs(x) for x in trades.values())
            units["A"] += trades["A"] / pa
            units["B"] += trades["B"] / pb
            cash -= trades["A"] + trades["B"] + paid
            costs += paid
        equity.append(cash + units["A"] * pa + units["B"] * pb)
    return {"equity": equity, "costs": costs, "units": units, "cash": cash}


def test_first_rebalance_closed_form():
    # from all cash every trade is a buy: V' = 1000 / (1 + 0.0015 * 0.8)
    vp = 1000 / (1 + RATE * 0.8)
    hand = hand_backtest()
    assert hand["equity"][0] == pytest.approx(vp, abs=1e-9)


def test_two_assets_three_rebalances_to_the_cent():
    close = pd.DataFrame(PRICES, index=daily_index(8))
    config = BacktestConfig(
        rebalance="2p",
        lookback=2,
        initial_capital=1000.0,
        costs=CostModel(fee_bps=10, slippage=Slippage.FIXED, slippage_bps=5),
    )
    result = run_backtest(panels_from_close(close), FixedWeights({**W, "CASH": 0.2}), config)
    res = result.strategies["fixed-weights"]
    hand = hand_backtest()

    assert list(res.rebalances.index) == [close.index[2], close.index[4], close.index[6]]
    assert res.equity.tolist() == pytest.approx(hand["equity"], abs=1e-8)
    assert round(res.equity.iloc[-1], 2) == round(hand["equity"][-1], 2)
    assert res.total_costs == pytest.approx(hand["costs"], abs=1e-9)
    assert res.rebalances["costs"].sum() == pytest.approx(hand["costs"], abs=1e-9)
    # costs split: 10 bps commission, 5 bps slippage
    assert res.trades["commission"].sum() == pytest.approx(hand["costs"] * 10 / 15, abs=1e-9)
    # after each rebalance the weights sit exactly on the targets
    for ts in res.rebalances.index:
        assert res.weights.loc[ts, "A"] == pytest.approx(0.5, abs=1e-12)
        assert res.weights.loc[ts, "B"] == pytest.approx(0.3, abs=1e-12)
        assert res.weights.loc[ts, "cash"] == pytest.approx(0.2, abs=1e-12)
    # between rebalances units are constant: weights drift with prices
    assert res.weights.iloc[1]["A"] != pytest.approx(0.5, abs=1e-3)
    units_a = res.trades.loc[res.trades["asset"] == "A", "units"].sum()
    assert units_a == pytest.approx(hand["units"]["A"], abs=1e-12)


def test_metrics_of_the_hand_example():
    close = pd.DataFrame(PRICES, index=daily_index(8))
    config = BacktestConfig(
        rebalance="2p",
        lookback=2,
        initial_capital=1000.0,
        costs=CostModel(fee_bps=10, slippage=Slippage.FIXED, slippage_bps=5),
    )
    result = run_backtest(panels_from_close(close), FixedWeights({**W, "CASH": 0.2}), config)
    hand = hand_backtest()
    table = result.metrics()
    assert table.loc["fixed-weights", "total_return"] == pytest.approx(
        hand["equity"][-1] / 1000 - 1, abs=1e-12
    )
    assert table.loc["fixed-weights", "costs"] == pytest.approx(hand["costs"], abs=1e-9)
