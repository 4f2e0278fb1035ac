"""The built-in objectives the exact solvers do not handle (Sortino, Omega, smoothed CVaR,
drawdown): each converges with small KKT-style residuals, and its answer is at least as good
as scipy's SLSQP on the same function written here in numpy from the formulas (not through
cryptofolio). Smoothed CVaR is also bracketed by the exact CVaR linear programme (cvxpy)."""

from __future__ import annotations

import math

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

torch = pytest.importorskip("torch")

from cryptofolio.optimize import Constraints  # noqa: E402
from cryptofolio.optimize.gradient import (  # noqa: E402
    Drawdown,
    GradientSpec,
    NegativeOmega,
    NegativeSortino,
    SmoothedCVaR,
    optimize_gradient,
)

N, CAP = 6, 0.4
SPEC = GradientSpec(lr=0.05, iterations=6000, tol=1e-9)
KKT = ("budget", "bounds", "projected_gradient", "stationarity", "multiplier_sign")


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    factor = rng.normal(0.0005, 0.02, size=(250, 1))
    r = 0.8 * factor + rng.normal(0.0008, 0.015, size=(250, N)) * rng.uniform(0.5, 2.0, N)
    return pd.DataFrame(r, columns=[f"A{i}" for i in range(N)])


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _sortino(r: np.ndarray) -> float:
    down = np.sqrt(np.mean(np.minimum(r, 0.0) ** 2) * 365)
    return -(r.mean() * 365) / down


def _omega(r: np.ndarray, s: float) -> float:
    return -np.mean(s * _softplus(r / s)) / np.mean(s * _softplus(-r / s))


def _mean_drawdown(r: np.ndarray, s: float) -> float:
    wealth = np.concatenate([[0.0], np.cumsum(r)])
    peak = s * np.logaddexp.accumulate(wealth / s)
    return float(np.mean((peak - wealth)[1:]))


def _max_drawdown(r: np.ndarray, s: float) -> float:
    wealth = np.concatenate([[0.0], np.cumsum(r)])
    dd = (s * np.logaddexp.accumulate(wealth / s) - wealth)[1:]
    return float(s * np.logaddexp.reduce(dd / s))


def _slsqp(f, x0: np.ndarray, bounds, budget_rows: int = N) -> float:
    res = minimize(
        f,
        x0,
        method="SLSQP",
        bounds=bounds,
        constraints=[{"type": "eq", "fun": lambda x: x[:budget_rows].sum() - 1}],
        options={"ftol": 1e-15, "maxiter": 2000},
    )
    return float(res.fun)


def _solve(objective, returns):
    got = optimize_gradient(
        returns.cov() * 365,
        objective=objective,
        constraints=Constraints(max_weight=CAP),
        returns=returns,
        spec=SPEC,
    )
    assert got.converged and got.exact_gap is None  # no exact counterpart: KKT only
    for key in KKT:
        assert got.first_order[key] <= 1e-8, (key, got.first_order)
    w = got.weights.to_numpy()
    assert abs(w.sum() - 1) < 1e-9 and w.min() >= -1e-12 and w.max() <= CAP + 1e-12
    return got


CASES = {
    "sortino": (NegativeSortino(), _sortino),
    "omega": (NegativeOmega(smoothing=1e-4), lambda r: _omega(r, 1e-4)),
    "mean drawdown": (Drawdown(kind="mean", smoothing=1e-3), lambda r: _mean_drawdown(r, 1e-3)),
    "max drawdown": (Drawdown(kind="max", smoothing=1e-3), lambda r: _max_drawdown(r, 1e-3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_built_in_objective_converges_at_least_as_well_as_slsqp(name, returns):
    objective, in_numpy = CASES[name]
    got = _solve(objective, returns)
    x = returns.to_numpy()
    ref = _slsqp(lambda w: in_numpy(x @ w), np.full(N, 1 / N), [(0, CAP)] * N)
    # the engine's loss is the same function: check it on the answer, then against SLSQP
    assert got.objective_value == pytest.approx(in_numpy(x @ got.weights.to_numpy()), abs=1e-12)
    assert got.objective_value <= ref + 1e-9
    assert got.objective_value == pytest.approx(ref, abs=1e-6)


def test_smoothed_cvar_matches_slsqp_and_is_bracketed_by_the_exact_lp(returns):
    alpha, s = 0.95, 1e-3
    got = _solve(SmoothedCVaR(alpha=alpha, smoothing=s), returns)
    x = returns.to_numpy()

    def smoothed(v: np.ndarray) -> float:  # v = (w, z): the minimisation over z made explicit
        losses = -(x @ v[:N])
        return v[N] + np.mean(s * _softplus((losses - v[N]) / s)) / (1 - alpha)

    start = np.append(np.full(N, 1 / N), 0.02)
    ref = _slsqp(smoothed, start, [(0, CAP)] * N + [(None, None)])
    assert got.objective_value <= ref + 1e-9
    assert got.objective_value == pytest.approx(ref, abs=1e-6)
    # Rockafellar-Uryasev: exact CVaR <= smoothed CVaR <= exact + s ln 2 / (1 - alpha)
    w, z, u = cp.Variable(N), cp.Variable(), cp.Variable(len(x))
    cons = [u >= 0, u >= -(x @ w) - z, cp.sum(w) == 1, w >= 0, w <= CAP]
    lp = cp.Problem(cp.Minimize(z + cp.sum(u) / (len(x) * (1 - alpha))), cons)
    exact = lp.solve(solver=cp.CLARABEL)
    assert exact - 1e-7 <= got.objective_value <= exact + s * math.log(2) / (1 - alpha) + 1e-7


def test_the_exact_omega_ratio_is_reported_as_not_converged_rather_than_solved(returns):
    # s = 0: piecewise linear, the projected residual stalls; the engine must say so
    spec = GradientSpec(lr=0.05, iterations=300, tol=1e-9)
    got = optimize_gradient(
        returns.cov() * 365,
        objective=NegativeOmega(smoothing=0.0),
        constraints=Constraints(max_weight=CAP),
        returns=returns,
        spec=spec,
        allow_unconverged=True,
    )
    assert not got.converged and got.residual > spec.tol
