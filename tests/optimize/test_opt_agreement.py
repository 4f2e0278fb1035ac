"""Agreement with a second solver: cvxpy + Clarabel on the textbook formulations."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from _opt_problems import make_problem

from cryptofolio.optimize import Constraints, Objective, optimize_portfolio


def _solve(objective, constraints):
    prob = cp.Problem(objective, constraints)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9)
    assert prob.status == "optimal"
    return prob


def _cons(w, c: Constraints, n):
    out = [cp.sum(w) == c.budget, w >= c.min_weight, w <= c.max_weight]
    if c.gross_exposure is not None:
        out.append(cp.norm1(w) <= c.gross_exposure)
    return out


CASES = [
    Constraints(),
    Constraints(max_weight=0.3),
    Constraints(min_weight=0.02, max_weight=0.4),
    Constraints(min_weight=-0.3, max_weight=0.5, gross_exposure=1.6),
    Constraints(budget=0.0, min_weight=-0.4, max_weight=0.4, gross_exposure=1.0),
]


@pytest.mark.parametrize("cons", CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_min_variance_and_utility_match_cvxpy(cons, seed):
    cov, mu, _ = make_problem(9, seed=seed)
    S, m = cov.to_numpy(), mu.to_numpy()
    w = cp.Variable(9)
    ref = _solve(cp.Minimize(cp.quad_form(w, S)), _cons(w, cons, 9))
    res = optimize_portfolio(cov, mu, constraints=cons)
    ours = res.weights.to_numpy()
    assert ours @ S @ ours <= ref.value * (1 + 1e-7) + 1e-12
    assert ours @ S @ ours >= ref.value * (1 - 1e-6)
    lam = 0.4
    ref = _solve(cp.Minimize(0.5 * cp.quad_form(w, S) - lam * m @ w), _cons(w, cons, 9))
    ours = optimize_portfolio(
        cov, mu, objective="max-utility", risk_tolerance=lam, constraints=cons
    ).weights.to_numpy()
    val = 0.5 * ours @ S @ ours - lam * m @ ours
    assert val <= ref.value + 1e-8 * max(1, abs(ref.value))


@pytest.mark.parametrize("cons", CASES[:4])
def test_max_sharpe_matches_cvxpy(cons):
    cov, mu, _ = make_problem(9, seed=3, drift=0.002)
    S, m, rf = cov.to_numpy(), mu.to_numpy(), 0.02
    y, k = cp.Variable(9), cp.Variable(nonneg=True)
    cs = [
        (m - rf) @ y == 1,
        cp.sum(y) == cons.budget * k,
        y >= cons.min_weight * k,
        y <= cons.max_weight * k,
    ]
    if cons.gross_exposure is not None:
        cs.append(cp.norm1(y) <= cons.gross_exposure * k)
    _solve(cp.Minimize(cp.quad_form(y, S)), cs)
    wref = y.value / k.value
    sref = (wref @ m - rf) / np.sqrt(wref @ S @ wref)
    res = optimize_portfolio(cov, mu, objective="max-sharpe", risk_free_rate=rf, constraints=cons)
    assert res.sharpe >= sref * (1 - 1e-7)
    assert res.sharpe <= sref * (1 + 1e-6)


@pytest.mark.parametrize("cons", CASES[:4])
def test_efficient_return_and_risk_match_cvxpy(cons):
    cov, mu, _ = make_problem(9, seed=4, drift=0.002)
    S, m = cov.to_numpy(), mu.to_numpy()
    w = cp.Variable(9)
    target = float(np.quantile(m, 0.7))
    try:
        ref = _solve(cp.Minimize(cp.quad_form(w, S)), [*_cons(w, cons, 9), m @ w >= target])
    except AssertionError:
        pytest.skip("target not attainable here")
    res = optimize_portfolio(
        cov, mu, objective=Objective.EFFICIENT_RETURN, target_return=target, constraints=cons
    )
    ours = res.weights.to_numpy()
    assert ours @ m >= target - 1e-10
    assert ours @ S @ ours == pytest.approx(ref.value, rel=1e-6)
    vol = 1.1 * float(np.sqrt(ref.value))
    ref = _solve(cp.Maximize(m @ w), [*_cons(w, cons, 9), cp.quad_form(w, S) <= vol**2])
    res = optimize_portfolio(
        cov, mu, objective="efficient-risk", target_volatility=vol, constraints=cons
    )
    assert res.volatility <= vol * (1 + 1e-9)
    assert res.expected_return == pytest.approx(ref.value, rel=1e-6)


def test_min_cvar_matches_cvxpy():
    cov, _, r = make_problem(6, t=300, seed=5)
    R = r.to_numpy()
    beta = 0.9
    w, a = cp.Variable(6), cp.Variable()
    loss = -R @ w
    cvar = a + cp.sum(cp.pos(loss - a)) / ((1 - beta) * R.shape[0])
    ref = _solve(cp.Minimize(cvar), [cp.sum(w) == 1, w >= 0, w <= 0.5])
    res = optimize_portfolio(
        cov,
        objective="min-cvar",
        returns=r,
        cvar_alpha=beta,
        constraints=Constraints(max_weight=0.5),
    )
    ours = res.weights.to_numpy()
    losses = -R @ ours
    # CVaR of our weights computed independently (Rockafellar-Uryasev at the optimal VaR)
    var = np.sort(losses)
    ours_cvar = min(t + np.maximum(losses - t, 0).mean() / (1 - beta) for t in var)
    assert ours_cvar == pytest.approx(ref.value, rel=1e-6)


def test_min_semivariance_matches_cvxpy():
    cov, _, r = make_problem(6, t=300, seed=6)
    R = r.to_numpy()
    w = cp.Variable(6)
    semi = cp.sum_squares(cp.neg(R @ w)) * 365 / R.shape[0]
    ref = _solve(cp.Minimize(semi), [cp.sum(w) == 1, w >= 0])
    res = optimize_portfolio(cov, objective="min-semivariance", returns=r)
    ours = res.weights.to_numpy()
    val = (np.minimum(R @ ours, 0) ** 2).sum() * 365 / R.shape[0]
    assert val == pytest.approx(ref.value, rel=1e-6)


def test_turnover_cap_and_costs_match_cvxpy():
    cov, mu, _ = make_problem(8, seed=7)
    S, m = cov.to_numpy(), mu.to_numpy()
    prev = np.full(8, 1 / 8)
    tc = 0.002
    w = cp.Variable(8)
    obj = 0.5 * cp.quad_form(w, S) - 1.0 * (m @ w - tc * cp.norm1(w - prev))
    ref = _solve(cp.Minimize(obj), [cp.sum(w) == 1, w >= 0, cp.norm1(w - prev) <= 0.3])
    import pandas as pd

    res = optimize_portfolio(
        cov,
        mu,
        objective="max-utility",
        risk_aversion=1.0,
        previous_weights=pd.Series(prev, index=cov.columns),
        transaction_cost=tc,
        max_turnover=0.3,
    )
    ours = res.weights.to_numpy()
    assert np.abs(ours - prev).sum() <= 0.3 + 1e-8
    val = 0.5 * ours @ S @ ours - (m @ ours - tc * np.abs(ours - prev).sum())
    assert val == pytest.approx(ref.value, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize(
    ("cons", "solver"),
    [
        (Constraints(max_weight=0.4), "highs"),  # box + budget: the LP path
        (Constraints(min_weight=-0.3, max_weight=0.6), "highs"),  # shorts, no gross cap
        (Constraints(min_weight=-0.3, max_weight=0.6, gross_exposure=1.2), None),
        (Constraints(max_weight=0.4, l2=0.01), "clarabel"),  # L2 makes it a QP
    ],
)
def test_min_cvar_lp_path_matches_cvxpy(cons, solver):
    """Box + budget min-CVaR is solved as an LP by HiGHS; the CVaR of its weights, computed
    here by brute force over the candidate VaR levels, equals cvxpy + Clarabel's optimum."""
    cov, _, r = make_problem(8, t=250, seed=12)
    R = r.to_numpy()
    beta = 0.95
    w, a = cp.Variable(8), cp.Variable()
    loss = -R @ w
    cvar = a + cp.sum(cp.pos(loss - a)) / ((1 - beta) * R.shape[0])
    extra = [cp.norm1(w) <= cons.gross_exposure] if cons.gross_exposure else []
    ref = _solve(
        cp.Minimize(cvar + cons.l2 * cp.sum_squares(w)),
        [cp.sum(w) == 1, w >= cons.min_weight, w <= cons.max_weight, *extra],
    )
    res = optimize_portfolio(
        cov, objective="min-cvar", returns=r, cvar_alpha=beta, constraints=cons
    )
    if solver is not None:
        assert res.solver == solver
    ours = res.weights.to_numpy()
    losses = -R @ ours
    ours_cvar = min(t + np.maximum(losses - t, 0).mean() / (1 - beta) for t in losses)
    assert ours_cvar + cons.l2 * ours @ ours == pytest.approx(ref.value, rel=1e-6)
    assert ours.sum() == pytest.approx(1.0, abs=1e-10)
    assert ours.min() >= cons.min_weight - 1e-10 and ours.max() <= cons.max_weight + 1e-10
    if res.solver == "highs":  # the reported value is the periodic CVaR of the weights
        assert res.objective_value == pytest.approx(ours_cvar, rel=1e-9)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("lam", [5.0, 50.0])
def test_capped_utility_corner_is_solved_by_the_active_set(seed, lam):
    """A strong return signal with a 0.3 cap: the optimum holds three assets at the cap and a
    fourth in between. A block pivot that binds every violator would leave no free asset to
    meet the budget; the active set must still finish (no fall-back to the conic solver) and
    match cvxpy + Clarabel."""
    cov, mu, _ = make_problem(20, seed=seed, drift=0.004)
    cons = Constraints(max_weight=0.3)
    S, m = cov.to_numpy(), mu.to_numpy()
    w = cp.Variable(20)
    ref = _solve(cp.Minimize(0.5 * cp.quad_form(w, S) - lam * m @ w), _cons(w, cons, 20))
    res = optimize_portfolio(cov, mu, objective="max-utility", risk_tolerance=lam, constraints=cons)
    assert res.solver == "active-set"
    ours = res.weights.to_numpy()
    assert 0.5 * ours @ S @ ours - lam * m @ ours <= ref.value + 1e-8 * max(1, abs(ref.value))
    assert np.count_nonzero(ours > 0.3 - 1e-9) >= 2
