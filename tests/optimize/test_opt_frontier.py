"""Efficient frontier and random portfolios."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from _opt_problems import make_problem

from cryptofolio.errors import InfeasibleError
from cryptofolio.optimize import (
    Constraints,
    best_random_portfolio,
    efficient_frontier,
    optimize_portfolio,
    random_portfolios,
)


@pytest.mark.parametrize(
    "cons",
    [Constraints(), Constraints(max_weight=0.3), Constraints(min_weight=-0.2, max_weight=0.5)],
)
def test_frontier_points_are_efficient(cons):
    cov, mu, _ = make_problem(10, seed=8, drift=0.002)
    S, m = cov.to_numpy(), mu.to_numpy()
    fr = efficient_frontier(cov, mu, points=12, constraints=cons, risk_free_rate=0.01)
    pts, W = fr.points, fr.weights.to_numpy()
    assert list(pts.columns) == ["return", "volatility", "sharpe"]
    assert len(pts) == 12 and W.shape == (12, 10)
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-10)
    assert np.all(np.diff(pts["return"]) > 0)
    assert np.all(np.diff(pts["volatility"]) > -1e-12)
    mv = optimize_portfolio(cov, constraints=cons)
    assert pts["volatility"].iloc[0] == pytest.approx(mv.volatility, rel=1e-10)
    np.testing.assert_allclose(W @ m, pts["return"], rtol=1e-12)
    np.testing.assert_allclose(
        (pts["return"] - 0.01) / pts["volatility"], pts["sharpe"], rtol=1e-12
    )
    # every interior point against a second solver at the same target
    w = cp.Variable(10)
    for j in range(1, 11):
        r = float(pts["return"].iloc[j])
        prob = cp.Problem(
            cp.Minimize(cp.quad_form(w, S)),
            [cp.sum(w) == 1, w >= cons.min_weight, w <= cons.max_weight, m @ w >= r],
        )
        prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
        assert W[j] @ S @ W[j] == pytest.approx(prob.value, rel=1e-6)
    # the last point is the maximum-return portfolio (greedy filling, computed here)
    if cons.min_weight == 0:
        w_max, left = np.zeros(10), 1.0
        for i in np.argsort(-m):
            w_max[i] = min(cons.max_weight, left)
            left -= w_max[i]
        assert pts["return"].iloc[-1] == pytest.approx(w_max @ m, rel=1e-12)


def test_frontier_with_binding_gross_cap():
    cov, mu, _ = make_problem(6, seed=9, drift=0.002)
    cons = Constraints(min_weight=-0.5, max_weight=0.8, gross_exposure=1.4)
    fr = efficient_frontier(cov, mu, points=6, constraints=cons)
    assert (fr.weights.abs().sum(axis=1) <= 1.4 + 1e-8).all()


def test_random_portfolios_long_only_and_shorts():
    cov, mu, _ = make_problem(5, seed=10)
    S, m = cov.to_numpy(), mu.to_numpy()
    rp = random_portfolios(cov, mu, 2000, seed=1, risk_free_rate=0.02)
    W = rp[list(cov.columns)].to_numpy()
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-12)
    assert W.min() >= 0
    np.testing.assert_allclose(rp["return"], W @ m, rtol=1e-12)
    np.testing.assert_allclose(rp["volatility"] ** 2, np.einsum("ij,jk,ik->i", W, S, W), rtol=1e-10)
    np.testing.assert_allclose(rp["sharpe"], (rp["return"] - 0.02) / rp["volatility"])
    # uniform on the simplex: each weight has mean 1/n
    assert np.abs(W.mean(axis=0) - 0.2).max() < 0.02
    sh = random_portfolios(cov, mu, 2000, seed=1, allow_shorts=True)
    Ws = sh[list(cov.columns)].to_numpy()
    np.testing.assert_allclose(Ws.sum(axis=1), 1.0, atol=1e-12)
    assert Ws.min() < 0
    # the optimum beats every random draw
    best = optimize_portfolio(cov, mu, objective="max-sharpe", risk_free_rate=0.02)
    assert best.sharpe >= rp["sharpe"].max()


def test_best_random_portfolio_under_volatility_cap():
    cov, mu, _ = make_problem(5, seed=11)
    rp = random_portfolios(cov, mu, 3000, seed=2)
    cap = float(rp["volatility"].quantile(0.2))
    best = best_random_portfolio(rp, max_volatility=cap)
    under = rp[rp["volatility"] <= cap]
    assert best["volatility"] <= cap
    assert best["sharpe"] == under["sharpe"].max()
    with pytest.raises(InfeasibleError, match="no random portfolio has volatility <="):
        best_random_portfolio(rp, max_volatility=1e-6)


def _clarabel_min_var_at(S: np.ndarray, m: np.ndarray, r: float) -> float:
    w = cp.Variable(S.shape[0])
    prob = cp.Problem(cp.Minimize(cp.quad_form(w, S)), [cp.sum(w) == 1, w >= 0, w <= 1, m @ w >= r])
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return float(prob.value)


def test_frontier_when_every_expected_return_is_negative():
    """Regression: a block pivot reached a state whose free assets could not meet both the
    budget and the return target (a singular reduced KKT system); BTC/ETH/LTC/XRP over 2022."""
    from cryptofolio.data import load_dataset

    assets = ["BTC", "ETH", "LTC", "XRP"]
    long = load_dataset("coingecko-daily", symbols=assets, start="2022-01-01", end="2022-12-31")
    close = long.pivot(index="timestamp", columns="symbol", values="close")[assets]
    rets = (close / close.shift(1) - 1).iloc[1:]
    cov, mu = rets.cov() * 365, rets.mean() * 365
    assert (mu < 0).all()
    S, m = cov.to_numpy(), mu.to_numpy()
    for points in (4, 9):
        fr = efficient_frontier(cov, mu, points=points)
        W = fr.weights.to_numpy()
        np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-10)
        assert W.min() >= -1e-12 and W.max() <= 1 + 1e-12
        assert fr.points["return"].iloc[-1] == pytest.approx(m.max(), rel=1e-12)
        for j in range(1, points - 1):
            r = float(fr.points["return"].iloc[j])
            assert W[j] @ S @ W[j] == pytest.approx(_clarabel_min_var_at(S, m, r), rel=1e-6)


def test_frontier_rows_are_checked_together():
    """The frontier verifies all its points in one vectorised pass (no per-point Series); a
    row that breaks a constraint is named."""
    from cryptofolio.errors import SolverError
    from cryptofolio.optimize.problem import make_problem as make_pb
    from cryptofolio.optimize.results import check_weights

    cov, mu, _ = make_problem(5, seed=2)
    pb = make_pb(cov, mu, Constraints(max_weight=0.4), need_mu=True)
    W = np.full((3, 5), 0.2)
    check_weights(pb, W)
    W[2] = [0.5, 0.2, 0.1, 0.1, 0.1]  # sums to 1 but breaks max_weight 0.4
    with pytest.raises(SolverError, match=r"portfolio 2\) violates the constraints by 1\.0e-01"):
        check_weights(pb, W)


def test_frontier_survives_a_pivoting_failure_of_the_walk():
    """A resampled covariance on which the path walk's active set cycled (seen by
    ``frontier --resample``): every point is then solved on its own, each verified, and the
    points are the efficient-return portfolios (checked against cvxpy's solve)."""
    import cvxpy as cp

    upper = [  # the upper triangle, row by row
        0.39722563146164735,
        0.4923919666301594,
        0.46356085909144634,
        0.40723808010179907,
        0.44217187988219403,
        0.7765936553109439,
        0.6761836177617193,
        0.5616598051533404,
        0.6333587621839257,
        0.8425266992557385,
        0.5821414662527179,
        0.6591631783671406,
        0.7192191172265674,
        0.5732609525590027,
        0.8211712202218786,
    ]
    S = np.zeros((5, 5))
    S[np.triu_indices(5)] = upper
    S = S + np.triu(S, 1).T
    cov = pd.DataFrame(S, index=list("ABCDE"), columns=list("ABCDE"))
    mu = pd.Series(
        [
            -1.1879465766126036,
            -1.273281051545369,
            -1.0975116566160388,
            -1.3437005140456044,
            -1.3265566675603877,
        ],
        index=list("ABCDE"),
    )
    fr = efficient_frontier(cov, mu, points=8)
    for (_, row), (_, w) in zip(fr.points.iterrows(), fr.weights.iterrows(), strict=True):
        x = cp.Variable(5)
        prob = cp.Problem(
            cp.Minimize(cp.quad_form(x, S)),
            [cp.sum(x) == 1, x >= 0, mu.to_numpy() @ x >= row["return"] - 1e-12],
        )
        prob.solve()
        assert row["volatility"] ** 2 <= prob.value * (1 + 1e-5)  # cvxpy solves to ~1e-6
        assert w.sum() == pytest.approx(1.0, abs=1e-9)
