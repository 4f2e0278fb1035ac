"""Discrete allocation against hand-worked examples, PyPortfolioOpt and a brute-force optimum."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptofolio.errors import TradeError
from cryptofolio.trade.allocation import (
    AllocationMethod,
    allocate,
    auto_lot_step,
    greedy_allocation,
    lp_allocation,
)


def _s(d: dict[str, float]) -> pd.Series:
    return pd.Series(d, dtype=float)


def test_greedy_hand_worked_example():
    # round 1: A floor(500/101)=4 (404), B floor(300/31)=9 (279), C floor(200/7)=28 (196);
    # 121 left. Round 2: invested weights .4596 .3174 .2230 -> A has the deficit, buy 1 (20
    # left); then .5153 .2847 .2000 -> B's deficit but 31 > 20, C's deficit is 0 -> stop.
    w = _s({"A": 0.5, "B": 0.3, "C": 0.2})
    p = _s({"A": 101.0, "B": 31.0, "C": 7.0})
    res = greedy_allocation(w, p, 1000.0, steps=_s({"A": 1, "B": 1, "C": 1}))
    assert res.lots.to_dict() == {"A": 5, "B": 9, "C": 28}
    assert res.leftover == pytest.approx(20.0)
    assert res.values.sum() + res.leftover == pytest.approx(1000.0)


def test_lp_hand_worked_example():
    # 30a + 20b <= 100, minimise |50-30a| + |50-20b| + leftover:
    # (2,2) -> 10+10+0 = 20; (1,3) -> 20+10+10 = 40; (3,0) -> 40+50+10; (0,5) -> 50+50+0.
    w = _s({"A": 0.5, "B": 0.5})
    p = _s({"A": 30.0, "B": 20.0})
    res = lp_allocation(w, p, 100.0, steps=_s({"A": 1, "B": 1}))
    assert res.lots.to_dict() == {"A": 2, "B": 2}
    assert res.leftover == pytest.approx(0.0)
    assert res.deviation == pytest.approx(20.0)


def test_lot_steps_are_whole_multiples():
    w = _s({"BTC": 0.6, "ETH": 0.4})
    p = _s({"BTC": 37810.3, "ETH": 2025.94})
    steps = _s({"BTC": 0.00001, "ETH": 0.0001})
    for method in AllocationMethod:
        res = allocate(w, p, 10_000.0, method, steps=steps)
        lots = res.amounts / steps
        assert np.allclose(lots, np.round(lots), atol=1e-6)
        assert res.leftover >= -1e-9
        # one lot of BTC costs 0.38: both methods get within a lot of each target
        assert (res.values - w * 10_000).abs().max() < 0.5


def test_auto_lot_step_is_worth_one_to_ten_quote_units():
    assert auto_lot_step(37810.3) == pytest.approx(1e-4)
    assert auto_lot_step(2025.94) == pytest.approx(1e-3)
    assert auto_lot_step(0.3771) == pytest.approx(10.0)
    assert auto_lot_step(1.0) == pytest.approx(1.0)
    for price in (0.00001234, 0.5, 3.3, 99.0, 65000.0):
        worth = auto_lot_step(price) * price
        assert 1.0 <= worth < 10.0 + 1e-9


def _pypfopt(w: pd.Series, p: pd.Series, value: float):
    # PyPortfolioOpt is in the `bench` extra: the peer check is skipped where it is missing
    DiscreteAllocation = pytest.importorskip("pypfopt.discrete_allocation").DiscreteAllocation

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DiscreteAllocation(w.to_dict(), p, total_portfolio_value=value)


def test_greedy_matches_pypfopt_on_random_cases():
    rng = np.random.default_rng(7)
    for _ in range(25):
        n = int(rng.integers(2, 7))
        idx = [f"A{i}" for i in range(n)]
        w = pd.Series(rng.dirichlet(np.ones(n)), index=idx)
        p = pd.Series(rng.uniform(3, 400, n).round(2), index=idx)
        value = float(rng.uniform(300, 5000))
        ours = greedy_allocation(w, p, value, steps=pd.Series(1.0, index=idx))
        alloc, leftover = _pypfopt(w, p, value).greedy_portfolio()
        ref = pd.Series(alloc, dtype=float).reindex(idx).fillna(0.0)
        assert (ours.lots == ref).all(), (w, p, value)
        assert ours.leftover == pytest.approx(leftover, abs=1e-9)


def _objective(lots: np.ndarray, w: np.ndarray, c: np.ndarray, value: float) -> float:
    spent = lots @ c
    return float(np.abs(w * value - lots * c).sum() + abs((value - spent) - (1 - w.sum()) * value))


def _brute_force(w, c, value, mins):
    best = np.inf
    ranges = [range(int(value // ci) + 1) for ci in c]
    for combo in itertools.product(*ranges):
        lots = np.array(combo, dtype=float)
        if lots @ c > value + 1e-9:
            continue
        if any(0 < lots[i] < mins[i] for i in range(len(c))):
            continue
        best = min(best, _objective(lots, w, c, value))
    return best


def test_lp_equals_brute_force_optimum_and_beats_greedy():
    rng = np.random.default_rng(11)
    for case in range(20):
        n = 3
        idx = ["X", "Y", "Z"]
        w = rng.dirichlet(np.ones(n))
        if case % 3 == 0:
            w = w * 0.8  # 20 % meant to stay cash
        p = rng.uniform(5, 60, n).round(2)
        steps = np.array([1.0, 0.5, 2.0])
        value = float(rng.uniform(80, 200))
        min_notional = 0.0 if case % 2 else 25.0
        c = steps * p
        mins = np.maximum(1, np.ceil(min_notional / c - 1e-9))
        ws, ps, st = pd.Series(w, idx), pd.Series(p, idx), pd.Series(steps, idx)
        mn = pd.Series(min_notional, idx)
        lp = lp_allocation(ws, ps, value, steps=st, min_notionals=mn)
        best = _brute_force(w, c, value, mins)
        got = _objective(lp.lots.to_numpy(float), w, c, value)
        assert got == pytest.approx(best, abs=1e-6), case
        gr = greedy_allocation(ws, ps, value, steps=st, min_notionals=mn)
        assert got <= _objective(gr.lots.to_numpy(float), w, c, value) + 1e-6
        for res in (lp, gr):
            bought = res.values[res.lots > 0]
            assert (bought >= min_notional - 1e-9).all()
            assert res.leftover >= -1e-9


def test_lp_objective_matches_pypfopt_lp():
    rng = np.random.default_rng(3)
    for _ in range(10):
        n = int(rng.integers(2, 6))
        idx = [f"A{i}" for i in range(n)]
        w = pd.Series(rng.dirichlet(np.ones(n)), index=idx)
        p = pd.Series(rng.uniform(3, 400, n).round(2), index=idx)
        value = float(rng.uniform(300, 5000))
        ours = lp_allocation(w, p, value, steps=pd.Series(1.0, index=idx))
        alloc, _ = _pypfopt(w, p, value).lp_portfolio(solver="HIGHS")
        ref = pd.Series(alloc, dtype=float).reindex(idx).fillna(0.0).to_numpy()
        c = p.to_numpy()
        assert _objective(ours.lots.to_numpy(float), w.to_numpy(), c, value) == pytest.approx(
            _objective(ref, w.to_numpy(), c, value), abs=1e-6
        )


def test_weights_below_one_keep_cash():
    w = _s({"A": 0.4, "B": 0.4})
    p = _s({"A": 10.0, "B": 10.0})
    for method in AllocationMethod:
        res = allocate(w, p, 1000.0, method, steps=_s({"A": 1, "B": 1}))
        assert res.lots.to_dict() == {"A": 40, "B": 40}
        assert res.leftover == pytest.approx(200.0)


def test_bad_inputs_raise_named_errors():
    p = _s({"A": 10.0, "B": 10.0})
    with pytest.raises(TradeError, match=r"long-only.*B"):
        greedy_allocation(_s({"A": 1.2, "B": -0.2}), p, 100.0)
    with pytest.raises(TradeError, match="no latest price for C"):
        lp_allocation(_s({"A": 0.5, "C": 0.5}), p, 100.0)
    with pytest.raises(TradeError, match="positive amount"):
        greedy_allocation(_s({"A": 0.5, "B": 0.5}), p, 0.0)
    with pytest.raises(TradeError, match="sum to"):
        greedy_allocation(_s({"A": 0.7, "B": 0.7}), p, 100.0)


def test_allocation_demo_on_bundled_data():
    from cryptofolio.trade.demo import allocation_demo

    demo = allocation_demo(10_000.0)
    w = demo.target.weights
    assert w.sum() == pytest.approx(1.0, abs=1e-6)
    assert w.max() <= 0.4 + 1e-6
    for res in (demo.greedy, demo.lp):
        assert res.values.sum() + res.leftover == pytest.approx(10_000.0)
        assert res.leftover >= 0
    assert demo.lp.deviation <= demo.greedy.deviation + 1e-6


@given(
    weights=st.lists(st.floats(0.01, 1.0), min_size=1, max_size=5),
    prices=st.lists(st.floats(0.05, 50_000.0), min_size=5, max_size=5),
    value=st.floats(10.0, 100_000.0),
)
@settings(max_examples=40, deadline=None)
def test_greedy_invariants(weights, prices, value):
    idx = [f"A{i}" for i in range(len(weights))]
    w = pd.Series(weights, index=idx)
    w = w / w.sum()
    p = pd.Series(prices[: len(idx)], index=idx)
    res = greedy_allocation(w, p, value)
    steps = pd.Series({a: auto_lot_step(p[a]) for a in idx})
    assert res.leftover >= -1e-6
    assert res.values.sum() <= value + 1e-6
    lots = res.amounts / steps
    assert np.allclose(lots, np.round(lots), atol=1e-6)
    # greedy stops only when no affordable lot would reduce a positive deficit
    invested = res.values.sum()
    share = res.values / invested if invested > 0 else res.values * 0.0
    for a in idx:
        if steps[a] * p[a] <= res.leftover - 1e-9:
            assert w[a] - share[a] <= 1e-9, a
