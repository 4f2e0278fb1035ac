"""The active set's lighter loop for long-only problems within the budget (``BoxQP.simplex``):
which problems take it, and that it gives the general pivoting's answer. References: the
general pivoting on the same problem with the flag off, and cvxpy + Clarabel."""

from __future__ import annotations

import dataclasses

import _solve_parts as S
import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from _opt_problems import make_problem

from cryptofolio.optimize import Constraints
from cryptofolio.optimize.engines import active_set as AS
from cryptofolio.optimize.engines import reduced as RS
from cryptofolio.optimize.engines import simplex as SX
from cryptofolio.optimize.engines.segment import kkt_residuals


def _clarabel(qp: RS.BoxQP) -> tuple[float, np.ndarray]:
    """min 1/2 y'Py + q'y s.t. sum(y) = c, lo <= y <= hi, by an interior-point solver."""
    vals, vecs = np.linalg.eigh(qp.P)
    half = vecs * np.sqrt(np.clip(vals, 0.0, None))
    y = cp.Variable(qp.n)
    objective = 0.5 * cp.sum_squares(half.T @ y) + qp.q @ y
    cons = [cp.sum(y) == qp.c[0], y >= qp.lo, y <= qp.hi]
    prob = cp.Problem(cp.Minimize(objective), cons)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    return float(prob.value), np.asarray(y.value)


def _objective(qp: RS.BoxQP, y: np.ndarray) -> float:
    return float(0.5 * y @ qp.P @ y + qp.q @ y)


def _qps(n: int, seed: int, constraints: Constraints) -> dict[str, RS.BoxQP]:
    cov, mu, _ = make_problem(n, seed=seed, drift=0.003)
    pb = S.make_problem(cov, mu, constraints, need_mu=True)
    return {"min-variance": S.minvar_qp(pb), "utility": S.utility_qp(pb, 2.0)}


@pytest.mark.parametrize(
    ("constraints", "expected"),
    [
        (Constraints(), True),
        (Constraints(l2=0.1), True),
        (Constraints(budget=0.5), True),  # caps of 1 cannot bind at a budget of 0.5
        (Constraints(max_weight=0.3), False),  # a cap that can bind
        (Constraints(min_weight=-0.2), False),  # short positions
        (Constraints(bounds={"C1": (0.05, None)}), False),  # a floor above 0
        (Constraints(bounds={"C1": (None, 0.5)}), False),  # one cap below the budget
    ],
)
def test_which_problems_take_the_simplex_loop(constraints, expected):
    for qp in _qps(8, 0, constraints).values():
        assert qp.simplex is expected


def test_rows_beyond_the_budget_never_take_it():
    cov, mu, _ = make_problem(8, seed=1, drift=0.003)
    pb = S.make_problem(cov, mu, Constraints(), need_mu=True)
    assert not S.efficient_return_qp(pb, float(mu.mean())).simplex
    assert not S.max_sharpe_qp(pb).simplex


@pytest.mark.parametrize("n", [3, 12, 40, 90])
@pytest.mark.parametrize("seed", range(3))
def test_same_answer_as_the_general_pivoting_and_clarabel(n, seed):
    for kind, qp in _qps(n, seed, Constraints(l2=0.05 * seed)).items():
        assert qp.simplex
        sol, state, _ = AS.solve_box_qp(qp)
        # (the states may differ where the solution is degenerate: one asset holding the whole
        # budget sits at its cap of 1, free here, at its upper bound there)
        general, _, _ = AS.solve_box_qp(dataclasses.replace(qp, simplex=False))
        np.testing.assert_allclose(sol.y, general.y, rtol=0, atol=1e-12, err_msg=kind)
        if sol.y.max() < qp.c[0] - 1e-9:  # (at a cap, the budget's multiplier is not unique)
            assert sol.nu == pytest.approx(general.nu, rel=1e-10, abs=1e-14)
        value, _ = _clarabel(qp)
        assert _objective(qp, sol.y) <= value + 1e-9 * max(1.0, abs(value))
        assert sol.y.min() >= 0.0 and sol.y.sum() == pytest.approx(qp.c[0], abs=1e-12)
        res = kkt_residuals(qp, state, sol)
        assert max(res.values()) < 1e-9, res


def test_a_warm_start_reaches_the_same_optimum():
    qp = _qps(30, 4, Constraints())["min-variance"]
    cold, cold_state, _ = AS.solve_box_qp(qp)
    rng = np.random.default_rng(0)
    for _ in range(5):
        start = rng.choice([RS.FREE, RS.LOWER, RS.UPPER], size=qp.n).astype(np.int8)
        warm, state, _ = AS.solve_box_qp(qp, start)
        np.testing.assert_array_equal(state, cold_state)  # 30 assets: not degenerate
        np.testing.assert_allclose(warm.y, cold.y, rtol=0, atol=1e-12)


def test_a_singular_block_is_handed_back():
    """Two identical assets make a free block holding both singular: the loop hands the
    problem back (``None``), and ``optimize_portfolio`` still finds the optimum that Clarabel
    confirms (the general pivoting meets the same singular block and falls back to the conic
    solver, as before the loop existed)."""
    _, _, rets = make_problem(6, seed=2)
    rets = rets.assign(C6=rets["C0"])  # C0 twice: both among the cold start's candidates
    cov = rets.cov() * 365
    qp = S.minvar_qp(S.make_problem(cov, None, Constraints(), need_mu=False))
    start = AS.cold_state(qp)
    assert start[0] == start[6] == RS.FREE
    assert AS._simplex_solve(qp, start, 1e-11) is None
    w = S.optimize_portfolio(cov).weights.to_numpy()
    value, _ = _clarabel(qp)
    assert _objective(qp, w) == pytest.approx(value, rel=1e-7, abs=1e-12)


def test_optimize_portfolio_agrees_with_clarabel_on_real_scale_data():
    cov, _, _ = make_problem(25, t=300, seed=9)
    res = S.optimize_portfolio(cov)
    S_ = cov.to_numpy()
    w = cp.Variable(len(cov))
    prob = cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(S_))), [cp.sum(w) == 1, w >= 0])
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    got = res.weights.to_numpy()
    assert got @ S_ @ got == pytest.approx(prob.value, rel=1e-7)
    assert isinstance(res.weights, pd.Series)


def test_the_minimum_variance_cold_start_holds_the_best_pairs():
    """The cold start frees the lowest-variance asset and the assets that make the
    lowest-variance two-asset portfolio with it (each pair's minimum found by a grid search
    over its weights, not by the closed form the solver uses)."""
    cov, _, _ = make_problem(40, t=300, seed=3)
    qp = S.minvar_qp(S.make_problem(cov, None, Constraints(), need_mu=False))
    state = AS.cold_state(qp)
    P = qp.P
    first = int(np.argmin(P.diagonal()))
    grid = np.linspace(-3.0, 4.0, 70001)  # weight of asset j against `first` (shorts allowed)
    best = np.empty(qp.n)
    for j in range(qp.n):
        var = (1 - grid) ** 2 * P[first, first] + 2 * grid * (1 - grid) * P[first, j]
        best[j] = np.min(var + grid**2 * P[j, j])
    best[first] = -np.inf
    expected = set(np.argsort(best)[: SX.PAIR_FREE].tolist())
    assert set(np.flatnonzero(state == RS.FREE).tolist()) == expected
    assert np.count_nonzero(state == RS.LOWER) == qp.n - SX.PAIR_FREE
