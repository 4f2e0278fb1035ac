"""The shared trading-cost model, against hand-computed figures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cryptofolio.costs import (
    CostModel,
    FeeSide,
    Slippage,
    linear_cost_rates,
    parse_slippage,
    post_trade_value,
    trade_cost_array,
    trade_cost_function,
    trade_costs,
)
from cryptofolio.errors import CryptofolioError, DataError


def test_commission_only():
    costs = trade_costs(pd.Series({"BTC": 1000.0, "ETH": -500.0}), CostModel(fee_bps=10))
    assert costs["BTC"] == pytest.approx(1.0)
    assert costs["ETH"] == pytest.approx(0.5)


def test_maker_and_taker_fees():
    notional = pd.Series({"BTC": 10_000.0})
    taker = CostModel(fee_bps=10, maker_fee_bps=2, fee_side=FeeSide.TAKER)
    maker = CostModel(fee_bps=10, maker_fee_bps=2, fee_side=FeeSide.MAKER)
    assert trade_costs(notional, taker)["BTC"] == pytest.approx(10.0)
    assert trade_costs(notional, maker)["BTC"] == pytest.approx(2.0)


def test_fixed_slippage_adds_bps():
    model = CostModel(fee_bps=10, slippage=Slippage.FIXED, slippage_bps=5)
    assert trade_costs(pd.Series({"A": -2000.0}), model)["A"] == pytest.approx(3.0)


def test_sqrt_impact_hand_computed_and_illiquid_costs_more():
    model = CostModel(fee_bps=10, slippage=Slippage.SQRT, impact_coefficient=0.1)
    notional = pd.Series({"BTC": 100_000.0, "ALT": 100_000.0})
    volume = pd.Series({"BTC": 20e9, "ALT": 5e6})
    costs = trade_costs(notional, model, volume)
    assert costs["ALT"] == pytest.approx(100_000 * (0.001 + 0.1 * math.sqrt(0.02)))
    assert costs["BTC"] == pytest.approx(100_000 * (0.001 + 0.1 * math.sqrt(100_000 / 20e9)))
    assert costs["ALT"] > 10 * costs["BTC"]


def test_sqrt_impact_zero_volume_is_an_error_naming_the_asset():
    model = CostModel(slippage=Slippage.SQRT)
    with pytest.raises(DataError, match="SHIB"):
        trade_costs(pd.Series({"BTC": 1.0, "SHIB": 1.0}), model, pd.Series({"BTC": 1e9, "SHIB": 0}))
    with pytest.raises(DataError, match="volume"):
        trade_costs(pd.Series({"BTC": 1.0}), model)


def test_zero_trade_costs_nothing_even_without_volume():
    model = CostModel(slippage=Slippage.SQRT)
    costs = trade_costs(pd.Series({"X": 0.0}), model, pd.Series({"X": 0.0}))
    assert costs["X"] == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("none", (Slippage.NONE, 0.0)),
        ("sqrt", (Slippage.SQRT, 0.0)),
        ("fixed:7.5", (Slippage.FIXED, 7.5)),
    ],
)
def test_parse_slippage(text, expected):
    assert parse_slippage(text) == expected


@pytest.mark.parametrize("text", ["fixed", "fixed:-1", "fixed:abc", "linear", ""])
def test_parse_slippage_rejects_bad_text(text):
    with pytest.raises(CryptofolioError, match="fixed:BPS"):
        parse_slippage(text)


def test_negative_fee_rejected():
    with pytest.raises(DataError, match="fee_bps"):
        CostModel(fee_bps=-1)


def test_linear_rates_for_the_optimizer():
    assert linear_cost_rates(CostModel(fee_bps=10)) == pytest.approx(0.001)
    fixed = CostModel(fee_bps=10, slippage=Slippage.FIXED, slippage_bps=5)
    assert linear_cost_rates(fixed) == pytest.approx(0.0015)
    sqrt = CostModel(fee_bps=10, slippage=Slippage.SQRT, impact_coefficient=0.2)
    rates = linear_cost_rates(sqrt, 1000.0, np.array([1e5, np.nan]))
    assert rates[0] == pytest.approx(0.001 + 0.2 * 0.1)
    assert rates[1] == pytest.approx(0.001)  # no volume: commission only (documented)


@pytest.mark.parametrize(
    "model",
    [
        CostModel(),
        CostModel(slippage="fixed", slippage_bps=7, fee_bps=2),
        CostModel(slippage="none"),
        CostModel(impact_coefficient=0.3, fee_side="maker", maker_fee_bps=1),
    ],
)
def test_trade_cost_function_equals_trade_cost_array_bit_for_bit(model):
    """The backtest's cost iteration prepares the volume terms once: same figures to the bit,
    NaN slippage where a volume is missing or zero included."""
    rng = np.random.default_rng(2)
    volume = rng.uniform(1e5, 1e9, size=9)
    volume[[2, 5]] = [0.0, np.nan]
    costs_of = trade_cost_function(model, volume)
    for _ in range(20):
        notional = rng.normal(0, 1e5, size=9)
        notional[rng.integers(0, 9)] = 0.0
        got = costs_of(notional)
        want = trade_cost_array(notional, model, volume)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
    clean = trade_cost_function(model, np.full(3, 2e6))
    notional = np.array([1e4, -3e3, 0.0])
    for a, b in zip(
        clean(notional), trade_cost_array(notional, model, np.full(3, 2e6)), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def _post_by_root(value, weights, holdings, model, volume=None):
    """V' = value - cost(w V' - h) by a bracketing root finder (independent of the solver)."""
    from scipy.optimize import brentq

    def gap(vp):
        commission, slippage = trade_cost_array(weights * vp - holdings, model, volume)
        return vp - value + float(commission.sum() + slippage.sum())

    return brentq(gap, 0.5 * value, value, xtol=1e-12, rtol=1e-15)


@pytest.mark.parametrize(
    "model",
    [
        CostModel(fee_bps=10.0),
        CostModel(fee_bps=10.0, slippage=Slippage.FIXED, slippage_bps=25.0),
        CostModel(fee_bps=2.0, maker_fee_bps=1.0, fee_side="maker"),
        CostModel(fee_bps=10.0, slippage=Slippage.SQRT, impact_coefficient=0.5),
    ],
    ids=["commission", "fixed-slippage", "maker", "sqrt"],
)
@pytest.mark.parametrize("seed", range(5))
def test_post_trade_value_is_the_root(model, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 12))
    weights = rng.dirichlet(np.ones(n)) * rng.uniform(0.5, 1.0)
    holdings = rng.uniform(0.0, 400.0, n)  # some trades buy, some sell
    holdings[rng.uniform(size=n) < 0.3] = 0.0
    value = float(holdings.sum()) + rng.uniform(10.0, 500.0)
    volume = rng.uniform(1e3, 1e5, n)
    got = post_trade_value(value, weights, holdings, model, volume)
    assert got == pytest.approx(_post_by_root(value, weights, holdings, model, volume), rel=1e-12)


def test_post_trade_value_from_cash_is_the_closed_form():
    # every trade a buy: V' (1 + r * sum w) = V
    weights = np.array([0.5, 0.3])
    got = post_trade_value(1000.0, weights, np.zeros(2), CostModel(fee_bps=15.0))
    assert got == pytest.approx(1000.0 / (1.0 + 0.0015 * 0.8), rel=1e-15)


def test_post_trade_value_without_a_root_is_none():
    # a 100 % rate, and a target of twice the value from holdings of three times it:
    # V' - 100 + |2 V' - 300| = 0 has no root (200 - V' below 150, 3 V' - 400 above)
    weights = np.array([2.0])
    got = post_trade_value(100.0, weights, np.array([300.0]), CostModel(fee_bps=1e4))
    assert got is None
