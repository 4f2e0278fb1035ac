"""Minimum variance, utility and max-Sharpe against closed forms and the KKT conditions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _opt_problems import make_problem

from cryptofolio.optimize import Constraints, Objective, optimize_portfolio

WIDE = Constraints(min_weight=-50.0, max_weight=50.0)  # bounds that never bind


def _kkt_box(S, grad_extra, w, lo, hi, rows):
    """Independent KKT check of min 1/2 w'Sw + grad_extra'w s.t. rows w = const, lo<=w<=hi:
    fit the equality multipliers on the free assets by least squares, then check the signs."""
    g = S @ w + grad_extra
    free = (w > lo + 1e-7) & (w < hi - 1e-7)
    A = np.atleast_2d(rows)
    nu, *_ = np.linalg.lstsq(A[:, free].T, -g[free], rcond=None)
    lam = g + A.T @ nu
    scale = max(1.0, np.abs(g).max())
    assert np.abs(lam[free]).max(initial=0) < 1e-8 * scale
    at_lo = ~free & (w <= lo + 1e-7)
    at_hi = ~free & (w >= hi - 1e-7)
    assert lam[at_lo].min(initial=0) > -1e-8 * scale
    assert lam[at_hi].max(initial=0) < 1e-8 * scale


@pytest.mark.parametrize("budget", [1.0, 0.5, -1.0])
def test_min_variance_closed_form_budget_only(budget):
    cov, _, _ = make_problem(6, seed=1)
    S = cov.to_numpy()
    x = np.linalg.solve(S, np.ones(6))
    expected = budget * x / x.sum()
    res = optimize_portfolio(
        cov, constraints=Constraints(budget=budget, min_weight=-50, max_weight=50)
    )
    np.testing.assert_allclose(res.weights.to_numpy(), expected, rtol=1e-10, atol=1e-12)
    assert res.volatility == pytest.approx(np.sqrt(expected @ S @ expected), rel=1e-12)
    assert list(res.weights.index) == list(cov.columns)


def test_utility_closed_form_budget_only():
    cov, mu, _ = make_problem(5, seed=2)
    S, m = cov.to_numpy(), mu.to_numpy()
    lam = 0.7
    # KKT: S w - lam mu + nu 1 = 0, 1'w = 1
    K = np.block([[S, np.ones((5, 1))], [np.ones((1, 5)), np.zeros((1, 1))]])
    sol = np.linalg.solve(K, np.concatenate([lam * m, [1.0]]))
    res = optimize_portfolio(
        cov, mu, objective=Objective.MAX_UTILITY, risk_tolerance=lam, constraints=WIDE
    )
    np.testing.assert_allclose(res.weights.to_numpy(), sol[:5], rtol=1e-9, atol=1e-11)


def test_max_sharpe_closed_form_tangency():
    cov, mu, _ = make_problem(5, seed=3, drift=0.003)
    S, m, rf = cov.to_numpy(), mu.to_numpy(), 0.05
    x = np.linalg.solve(S, m - rf)
    tangency = x / x.sum()
    res = optimize_portfolio(cov, mu, objective="max-sharpe", risk_free_rate=rf, constraints=WIDE)
    np.testing.assert_allclose(res.weights.to_numpy(), tangency, rtol=1e-8, atol=1e-10)
    assert res.sharpe == pytest.approx(
        (tangency @ m - rf) / np.sqrt(tangency @ S @ tangency), rel=1e-10
    )


@pytest.mark.parametrize("seed", range(4))
def test_long_only_min_variance_kkt(seed):
    cov, _, _ = make_problem(12, seed=seed)
    res = optimize_portfolio(cov, constraints=Constraints(max_weight=0.25))
    w = res.weights.to_numpy()
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    assert w.min() >= -1e-12 and w.max() <= 0.25 + 1e-12
    _kkt_box(cov.to_numpy(), np.zeros(12), w, np.zeros(12), np.full(12, 0.25), np.ones(12))


@pytest.mark.parametrize("seed", range(3))
def test_utility_with_l2_and_shorts_kkt(seed):
    cov, mu, _ = make_problem(10, seed=seed)
    gamma, lam = 0.3, 0.5
    res = optimize_portfolio(
        cov,
        mu,
        objective="max-utility",
        risk_tolerance=lam,
        constraints=Constraints(min_weight=-0.2, max_weight=0.4, l2=gamma),
    )
    w = res.weights.to_numpy()
    S = cov.to_numpy() + 2 * gamma * np.eye(10)
    _kkt_box(S, -lam * mu.to_numpy(), w, np.full(10, -0.2), np.full(10, 0.4), np.ones(10))


def test_per_asset_bounds_nan_side_uses_global():
    cov, _, _ = make_problem(6, seed=4)
    cons = Constraints(max_weight=0.5, bounds={"C0": (0.2, float("nan")), "C1": (np.nan, 0.05)})
    w = optimize_portfolio(cov, constraints=cons).weights
    assert w["C0"] >= 0.2 - 1e-12
    assert w["C1"] <= 0.05 + 1e-12
    assert w.max() <= 0.5 + 1e-12


def test_warm_start_gives_same_answer():
    cov, mu, _ = make_problem(15, seed=5)
    cons = Constraints(max_weight=0.2)
    a = optimize_portfolio(cov, mu, objective="max-sharpe", constraints=cons)
    cov2 = cov * 1.01
    b = optimize_portfolio(cov2, mu, objective="max-sharpe", constraints=cons)
    c = optimize_portfolio(cov, mu, objective="max-sharpe", constraints=cons)
    pd.testing.assert_series_equal(a.weights, c.weights, atol=1e-12, rtol=0)
    assert b.weights.sum() == pytest.approx(1.0)
