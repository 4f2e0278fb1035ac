"""Minimum CVaR by scenario generation against the full LP and an independent cvxpy model.

The scenarios are seeded fat-tailed panels generated here (Student-t market and sector factors
plus Student-t idiosyncratic shocks, crypto-like daily volatility): ``benchmarks/`` is importable
only when pytest runs as ``python -m pytest`` from the repository root, so the tests do not
depend on it.
"""

from __future__ import annotations

import math

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from cvar_reference import solve_min_cvar_lp

from cryptofolio.errors import SolverError
from cryptofolio.optimize import Constraints
from cryptofolio.optimize.engines import cvar_generation
from cryptofolio.optimize.engines.cvar_generation import (
    Backend,
    min_cvar_by_generation,
    solve_min_cvar,
)
from cryptofolio.optimize.problem import make_problem

T = 1500  # scenarios of the working-set test (the benchmark's window)
T_GRID = 1000  # scenarios of the agreement grid (the cvxpy reference dominates its run time)
HAS_HOT_START = cvar_generation._highs_core is not None


def _scenarios(n: int, t: int = T, seed: int = 0) -> pd.DataFrame:
    """Daily returns (t x n): Student-t factors (4 dof) and idiosyncratic shocks (3-5 dof)."""
    rng = np.random.default_rng([seed, n, t])
    k = min(5, n)
    factors = rng.standard_t(4.0, size=(t, k)) / math.sqrt(2.0) * np.r_[1.0, [0.5] * (k - 1)]
    betas = np.zeros((n, k))
    betas[:, 0] = rng.uniform(0.6, 1.4, n)
    if k > 1:
        betas[np.arange(n), rng.integers(1, k, n)] = rng.uniform(0.5, 1.5, n)
    dofs = rng.uniform(3.0, 5.0, n)
    idio = rng.standard_t(dofs, size=(t, n)) / np.sqrt(dofs / (dofs - 2.0))
    raw = factors @ betas.T + idio * rng.uniform(0.6, 1.2, n)
    daily = raw / raw.std(axis=0) * rng.uniform(0.6, 1.0, n) / math.sqrt(365.0)
    daily += rng.normal(0.2, 0.4, n) / 365.0
    return pd.DataFrame(daily, columns=[f"A{i:03d}" for i in range(n)])


def _problem(returns: pd.DataFrame, cons: Constraints):
    return make_problem(returns.cov() * 365.0, None, cons, need_mu=False)


def _cvar_by_sorting(w: np.ndarray, R: np.ndarray, alpha: float) -> float:
    """CVaR from the sorted losses: the worst floor(k) in full plus a fraction of the next,
    k = (1 - alpha) T (independent of the code under test)."""
    loss = np.sort(-(R @ w))[::-1]
    k = (1 - alpha) * loss.size
    j = math.floor(k + 1e-9)
    tail = loss[:j].sum() + (k - j) * (loss[j] if j < loss.size else 0.0)
    return float(tail / k)


def _cvxpy_min_cvar(R: np.ndarray, cons: Constraints, alpha: float) -> tuple[np.ndarray, float]:
    """Rockafellar-Uryasev with cvxpy's pos() and Clarabel (interior point, tight tolerances)."""
    t, n = R.shape
    w, a = cp.Variable(n), cp.Variable()
    obj = a + cp.sum(cp.pos(-R @ w - a)) / ((1 - alpha) * t)
    prob = cp.Problem(
        cp.Minimize(obj),
        [cp.sum(w) == cons.budget, w >= cons.min_weight, w <= cons.max_weight],
    )
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    assert prob.status == "optimal"
    return np.asarray(w.value), float(prob.value)


def _assert_feasible(w: np.ndarray, cons: Constraints) -> None:
    assert np.all(w >= cons.min_weight - 1e-9)
    assert np.all(w <= cons.max_weight + 1e-9)
    assert abs(w.sum() - cons.budget) <= 1e-9


CONSTRAINTS = {
    "long-only": Constraints(),
    "max-weight-0.2": Constraints(max_weight=0.2),
    "shorts": Constraints(min_weight=-0.1, max_weight=1.0, budget=1.0),
}


@pytest.mark.parametrize("alpha", [0.9, 0.95, 0.99])
@pytest.mark.parametrize("name", list(CONSTRAINTS))
@pytest.mark.parametrize("n", [5, 50, 200])
def test_matches_full_lp_and_cvxpy(n, name, alpha):
    cons = CONSTRAINTS[name]
    if n * cons.max_weight < cons.budget:
        pytest.skip("infeasible box")
    returns = _scenarios(n, t=T_GRID, seed=11)
    R = returns.to_numpy()
    pb = _problem(returns, cons)
    w, cvar = solve_min_cvar(pb, R, alpha)
    _assert_feasible(w, cons)
    assert cvar == pytest.approx(_cvar_by_sorting(w, R, alpha), rel=1e-12)
    # the full LP over all T scenarios
    _, cvar_lp = solve_min_cvar_lp(pb, R, alpha)
    assert cvar == pytest.approx(cvar_lp, rel=1e-7)
    # an independent model and solver: the optimum from both sides
    w_ref, val_ref = _cvxpy_min_cvar(R, cons, alpha)
    assert cvar == pytest.approx(val_ref, rel=1e-7)
    assert cvar <= _cvar_by_sorting(w_ref, R, alpha) * (1 + 1e-9)


@pytest.mark.parametrize("backend", list(Backend))
def test_working_set_smaller_than_t(backend):
    if backend is Backend.HOT_START and not HAS_HOT_START:
        pytest.skip("this SciPy does not expose HiGHS")
    returns = _scenarios(50, seed=3)
    R = returns.to_numpy()
    pb = _problem(returns, Constraints())
    sol = min_cvar_by_generation(pb, R, 0.95, backend=backend)
    assert sol.backend is backend
    # the tail is 75 scenarios: the final reduced LP holds a few times that, far below T
    assert 75 < sol.working_set.size < T // 2
    assert np.all(np.diff(sol.working_set) > 0)
    assert sol.rounds >= 1 and sol.simplex_iterations > 0
    # every scenario outside the working set has a loss below the VaR of the solution
    loss = -(R @ sol.weights)
    var = np.sort(loss)[::-1][74]
    outside = np.setdiff1d(np.arange(T), sol.working_set)
    assert np.all(loss[outside] <= var + 1e-12)
    assert sol.cvar == pytest.approx(_cvar_by_sorting(sol.weights, R, 0.95), rel=1e-12)
    _assert_feasible(sol.weights, Constraints())


def test_default_backend_and_backends_agree():
    returns = _scenarios(30, seed=5)
    R = returns.to_numpy()
    pb = _problem(returns, Constraints(min_weight=-0.2, max_weight=0.4))
    default = min_cvar_by_generation(pb, R, 0.95)
    assert default.backend is (Backend.HOT_START if HAS_HOT_START else Backend.LINPROG)
    other = min_cvar_by_generation(pb, R, 0.95, backend=Backend.LINPROG)
    assert default.cvar == pytest.approx(other.cvar, rel=1e-9)


def test_falls_back_to_linprog_when_the_private_interface_changed(monkeypatch):
    returns = _scenarios(10, t=400, seed=2)
    R = returns.to_numpy()
    pb = _problem(returns, Constraints())
    _, cvar_lp = solve_min_cvar_lp(pb, R, 0.95)
    monkeypatch.setattr(cvar_generation, "_highs_core", object())  # no _Highs, no kHighsInf
    w, cvar = solve_min_cvar(pb, R, 0.95)
    assert cvar == pytest.approx(cvar_lp, rel=1e-9)
    _assert_feasible(w, Constraints())


def _mixed_bounds_case(unbounded_full: bool):
    """Weights unbounded (three assets only floored at 0, two only capped at 0.3); asset 3 is
    asset 0 minus a carry, so long 0 / short 3 lowers every loss of the scenarios where that
    holds. Except in a few scenarios of large gains (outside any initial working set), where
    asset 3 jumps: with them the full LP is bounded, without them it is not."""
    returns = _scenarios(5, t=400, seed=4)
    R = returns.to_numpy().copy()
    R[:, 3] = R[:, 0] - 0.001
    if not unbounded_full:
        best = np.argsort(R @ np.full(5, 0.2))[-5:]  # largest equal-weight gains
        R[best, 3] = R[best, 0] + 0.5
    inf = math.inf
    cons = Constraints(
        min_weight=-inf,
        max_weight=inf,
        bounds={"A000": (0.0, inf), "A001": (0.0, inf), "A002": (0.0, inf)}
        | {"A003": (-inf, 0.3), "A004": (-inf, 0.3)},
    )
    returns = pd.DataFrame(R, columns=returns.columns)
    return make_problem(returns.cov() * 365.0, None, cons, need_mu=False), R


@pytest.mark.parametrize("backend", list(Backend))
def test_unbounded_relaxation_takes_every_scenario(backend):
    if backend is Backend.HOT_START and not HAS_HOT_START:
        pytest.skip("this SciPy does not expose HiGHS")
    pb, R = _mixed_bounds_case(unbounded_full=False)
    sol = min_cvar_by_generation(pb, R, 0.95, backend=backend)
    assert sol.working_set.size == R.shape[0]  # the unbounded relaxation added all of them
    _, cvar_lp = solve_min_cvar_lp(pb, R, 0.95)
    assert sol.cvar == pytest.approx(cvar_lp, rel=1e-7)
    # independent check: cvxpy with the same per-asset bounds
    w, a = cp.Variable(5), cp.Variable()
    t = R.shape[0]
    prob = cp.Problem(
        cp.Minimize(a + cp.sum(cp.pos(-R @ w - a)) / (0.05 * t)),
        [cp.sum(w) == 1, w[:3] >= 0, w[3:] <= 0.3],
    )
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    assert sol.cvar == pytest.approx(prob.value, rel=1e-7)


@pytest.mark.parametrize("backend", list(Backend))
def test_unbounded_problem_raises(backend):
    if backend is Backend.HOT_START and not HAS_HOT_START:
        pytest.skip("this SciPy does not expose HiGHS")
    pb, R = _mixed_bounds_case(unbounded_full=True)
    with pytest.raises(SolverError) as info:
        min_cvar_by_generation(pb, R, 0.95, backend=backend)
    assert info.value.status == "unbounded"


def test_unverified_answer_raises(monkeypatch):
    returns = _scenarios(10, t=400, seed=6)
    pb = _problem(returns, Constraints())
    monkeypatch.setattr(cvar_generation, "VERIFY_TOL", -1.0)  # no residual can pass
    with pytest.raises(SolverError, match="does not verify on the full problem") as info:
        solve_min_cvar(pb, returns.to_numpy(), 0.95)
    assert info.value.status == "unverified"
