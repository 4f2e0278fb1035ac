"""Max-Sharpe's cold start frees the assets with the best Sharpe ratio alone: a guess only,
so the answer is the one the lowest-variance start (the general default) reaches, and the
interior-point solver's, with or without short positions and a risk-free rate. References:
the general pivoting from the default start, and cvxpy + Clarabel on the homogenised problem."""

from __future__ import annotations

import _solve_parts as S
import cvxpy as cp
import numpy as np
import pytest
from _opt_problems import make_problem

from cryptofolio.optimize import Constraints, Objective, optimize_portfolio
from cryptofolio.optimize.engines import active_set as AS


def _clarabel_sharpe(cov: np.ndarray, mu: np.ndarray, rf: float, lo: float, hi: float) -> float:
    """Best Sharpe ratio: min y'Σy s.t. (μ - rf)'y = 1, lo k <= y <= hi k, 1'y = k."""
    n = len(mu)
    y, k = cp.Variable(n), cp.Variable(nonneg=True)
    half = np.linalg.cholesky(cov + 1e-14 * np.eye(n))
    cons = [(mu - rf) @ y == 1, cp.sum(y) == k, y >= lo * k, y <= hi * k]
    prob = cp.Problem(cp.Minimize(cp.sum_squares(half.T @ y)), cons)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    w = y.value / k.value
    return float((mu - rf) @ w / np.sqrt(w @ cov @ w))


@pytest.mark.parametrize("n", [6, 50, 150])
@pytest.mark.parametrize(("lo", "hi", "rf"), [(0.0, 0.3, 0.0), (-0.2, 0.4, 0.05)])
def test_the_best_sharpe_start_reaches_the_default_starts_optimum(n, lo, hi, rf):
    cov, mu, _ = make_problem(n, seed=n, drift=0.003)
    cons = Constraints(min_weight=lo, max_weight=hi)
    res = optimize_portfolio(
        cov, mu, objective=Objective.MAX_SHARPE, constraints=cons, risk_free_rate=rf
    )
    pb = S.make_problem(cov, mu, cons, need_mu=True, risk_free_rate=rf)
    qp = S.max_sharpe_qp(pb)
    sol, _, _ = AS.solve_box_qp(qp, AS.cold_state(qp))  # the default start: lowest variances
    np.testing.assert_allclose(res.weights.to_numpy(), sol.y / sol.k, rtol=0, atol=1e-10)
    C, m = cov.to_numpy(), mu.to_numpy()
    assert res.sharpe == pytest.approx(_clarabel_sharpe(C, m, rf, lo, hi), rel=1e-7)
