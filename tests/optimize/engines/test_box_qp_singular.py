"""Singular sample covariances (more assets than observations): walk-forward min variance.

The reference values come from cvxpy + Clarabel on the same matrices; the pivot counts are what
makes the method fast (a solve is a handful of small reduced systems, never an n x n one): each
reduced system is one Cholesky factorisation, counted at LAPACK's potrf."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

from cryptofolio.optimize import Constraints, WarmStarts, optimize_portfolio
from cryptofolio.optimize.engines import active_set, kkt, simplex
from cryptofolio.optimize.engines.box_qp import box_qp
from cryptofolio.optimize.objectives.min_variance import minvar_hessian
from cryptofolio.optimize.problem import make_problem


def _panel(n: int = 300, t: int = 160, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = rng.standard_t(4, size=(t, 3)) * 0.03
    beta = rng.uniform(0.5, 1.5, size=(3, n))
    return f @ beta + rng.standard_t(4, size=(t, n)) * 0.03


def _cov(R: np.ndarray) -> pd.DataFrame:
    cols = [f"A{i:03d}" for i in range(R.shape[1])]
    return pd.DataFrame(np.cov(R, rowvar=False) * 365, index=cols, columns=cols)


def _clarabel_min_var(S: np.ndarray) -> float:
    vals, vecs = np.linalg.eigh(S)
    L = vecs * np.sqrt(np.clip(vals, 0, None))
    w = cp.Variable(S.shape[0])
    prob = cp.Problem(cp.Minimize(cp.sum_squares(L.T @ w)), [cp.sum(w) == 1, w >= 0])
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return float(prob.value)


def test_min_variance_on_singular_windows_few_small_pivots():
    R = _panel()
    windows = [R[i : i + 100] for i in (0, 7, 14)]  # 100 days, 300 assets: rank 99
    warm = WarmStarts()  # the windows share one store, as a backtest's rebalances do
    sizes: list[int] = []
    calls = {"n": 0}
    orig = kkt.POTRF

    def counting(M, *a, **k):  # every reduced system is one Cholesky factorisation
        calls["n"] += 1
        sizes.append(int(M.shape[0]))
        return orig(M, *a, **k)

    # (the long-only loop of engines.simplex and the general pivoting of engines.active_set)
    kkt.POTRF = simplex.POTRF = counting
    try:
        counts = []
        for win in windows:
            cov = _cov(win)
            before = calls["n"]
            res = optimize_portfolio(cov, warm_starts=warm)
            counts.append(calls["n"] - before)
            S = cov.to_numpy()
            w = res.weights.to_numpy()
            assert w.sum() == pytest.approx(1.0, abs=1e-12) and w.min() >= 0
            assert w @ S @ w == pytest.approx(_clarabel_min_var(S), rel=1e-6)
    finally:
        kkt.POTRF = simplex.POTRF = orig
    assert max(sizes) < 99  # never a reduced system as large as the covariance's rank
    assert counts[0] <= 12  # cold
    assert max(counts[1:]) <= 6  # warm-started from the previous window


def test_sparse_cold_start_matches_the_full_start():
    """The sparse cold start is only a guess: the optimum is the same as from 'all free'."""
    cov = _cov(_panel(n=120, t=400, seed=5))
    pb = make_problem(cov, None, Constraints(max_weight=0.05), need_mu=False)
    qp = box_qp(pb, minvar_hessian(pb), np.zeros(pb.n))
    a, _, _ = active_set.solve_box_qp(qp)
    b, _, _ = active_set.solve_box_qp(qp, np.zeros(qp.n, dtype=np.int8))
    np.testing.assert_allclose(a.y, b.y, atol=1e-10)
