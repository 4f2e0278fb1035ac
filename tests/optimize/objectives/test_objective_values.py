"""Every registered objective, skfolio's way: the measure the objective optimises, recomputed
independently from the returned weights, equals what the solver reports, and no feasible
perturbation of the weights does better.

The measures are recomputed here from their definitions with NumPy (variance w'Σw, the
Sharpe ratio, the utility, the semivariance below zero, the historical CVaR by sorting the
losses), not with the optimiser's code.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cryptofolio.optimize import (
    Constraints,
    EfficientReturn,
    EfficientRisk,
    MaxSharpe,
    MaxSortino,
    MaxUtility,
    MinCVaR,
    MinSemivariance,
    MinVariance,
    objective_names,
    optimize_portfolio,
)

PPY = 365.0


def _returns(n: int = 6, t: int = 400, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.standard_t(5, size=(t, 1)) * 0.025
    beta = rng.uniform(0.6, 1.4, size=(1, n))
    x = f @ beta + rng.standard_t(5, size=(t, n)) * 0.02 + rng.uniform(0.0, 0.002, size=n)
    return pd.DataFrame(x, columns=[f"C{i}" for i in range(n)])


R = _returns()
MU = R.mean() * PPY
COV = R.cov() * PPY
S, M, X = COV.to_numpy(), MU.to_numpy(), R.to_numpy()


def _cvar(w: np.ndarray, alpha: float) -> float:
    """Mean of the worst ceil((1-alpha) T) losses, with the fractional tail weight of the
    Rockafellar-Uryasev definition (the sorted-losses form)."""
    losses = np.sort(-(X @ w))[::-1]
    T = losses.size
    tail = (1 - alpha) * T
    k = math.floor(tail)
    value = losses[:k].sum() + (tail - k) * (losses[k] if k < T else 0.0)
    return value / tail


def _semivar(w: np.ndarray) -> float:
    short = np.minimum(X @ w, 0.0)
    return PPY * float(short @ short) / X.shape[0]


def _sortino(w: np.ndarray) -> float:
    return float(M @ w) / math.sqrt(_semivar(w))


# spec, measure (lower is better), feasibility check of a perturbed point
CASES = {
    "min-variance": (MinVariance(), lambda w: float(w @ S @ w), None),
    "max-sharpe": (MaxSharpe(), lambda w: -float(M @ w) / math.sqrt(float(w @ S @ w)), None),
    "max-utility": (
        MaxUtility(risk_aversion=0.5),
        lambda w: 0.5 * float(w @ S @ w) - 0.5 * float(M @ w),
        None,
    ),
    "efficient-return": (
        EfficientReturn(target_return=float(np.quantile(M, 0.7))),
        lambda w: float(w @ S @ w),
        lambda w: float(M @ w) >= float(np.quantile(M, 0.7)) - 1e-12,
    ),
    "efficient-risk": (
        EfficientRisk(target_volatility=0.9 * float(np.sqrt(np.diag(S)).max())),
        lambda w: -float(M @ w),
        lambda w: math.sqrt(float(w @ S @ w)) <= 0.9 * float(np.sqrt(np.diag(S)).max()) + 1e-12,
    ),
    "min-semivariance": (MinSemivariance(), _semivar, None),
    "max-sortino": (MaxSortino(), lambda w: -_sortino(w), None),
    "min-cvar": (MinCVaR(alpha=0.9), lambda w: _cvar(w, 0.9), None),
}


def test_every_registered_objective_is_checked_here():
    assert set(CASES) == set(objective_names())


def _perturbations(w: np.ndarray, rng: np.random.Generator, count: int = 200):
    """Feasible neighbours on the long-only simplex: move mass between two assets."""
    n = w.size
    for _ in range(count):
        i, j = rng.choice(n, size=2, replace=False)
        step = rng.uniform(0, 0.05) * (w[i] if w[i] > 0 else 0.0)
        if step <= 0:
            continue
        v = w.copy()
        v[i] -= step
        v[j] += step
        yield v


@pytest.mark.parametrize("name", sorted(CASES))
def test_reported_figures_equal_the_measure_of_the_weights(name):
    spec, measure, feasible = CASES[name]
    res = optimize_portfolio(COV, MU, objective=spec, returns=R, periods_per_year=PPY)
    w = res.weights.to_numpy()
    assert w.sum() == pytest.approx(1.0, abs=1e-9) and w.min() >= -1e-9
    # the result's figures are the weights' own (recomputed here)
    assert res.volatility == pytest.approx(math.sqrt(float(w @ S @ w)), rel=1e-10)
    assert res.expected_return == pytest.approx(float(M @ w), rel=1e-10, abs=1e-14)
    if name == "min-cvar" and res.solver == "highs":
        # the LP's objective is the CVaR of the weights (periodic loss)
        assert res.objective_value == pytest.approx(_cvar(w, 0.9), rel=1e-9)
    # optimality: no feasible neighbour does better (by more than rounding)
    best = measure(w)
    rng = np.random.default_rng(0)
    for v in _perturbations(w, rng):
        if feasible is not None and not feasible(v):
            continue
        assert measure(v) >= best - 1e-9 * max(1.0, abs(best))


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_same_answer_with_warm_starts_and_by_name(name):
    """A spec and its registered name with the keyword parameters give the same weights."""
    from cryptofolio.optimize import WarmStarts

    spec, _, _ = CASES[name]
    a = optimize_portfolio(COV, MU, objective=spec, returns=R)
    warm = WarmStarts()
    for _ in range(2):
        b = optimize_portfolio(COV, MU, objective=spec, returns=R, warm_starts=warm)
        np.testing.assert_allclose(b.weights, a.weights, atol=1e-10)
    keywords = {
        "max-utility": {"risk_aversion": 0.5},
        "efficient-return": {"target_return": spec.target_return}
        if name == "efficient-return"
        else {},
        "efficient-risk": {"target_volatility": getattr(spec, "target_volatility", None)},
        "min-cvar": {"cvar_alpha": 0.9},
    }.get(name, {})
    c = optimize_portfolio(COV, MU, objective=name, returns=R, **keywords)
    np.testing.assert_allclose(c.weights, a.weights, atol=1e-10)


def test_constraints_are_honoured_on_the_conic_path_too():
    cons = Constraints(max_weight=0.35, gross_exposure=1.0)
    res = optimize_portfolio(
        COV, MU, objective=MinSemivariance(), returns=R, constraints=cons, transaction_cost=0.001
    )
    w = res.weights.to_numpy()
    assert res.solver == "clarabel"
    assert w.max() <= 0.35 + 1e-8 and w.sum() == pytest.approx(1.0, abs=1e-8)


# the value each objective reports, recomputed from the weights (natural units, no penalties)
NATURAL = {
    "min-variance": lambda w: float(w @ S @ w),
    "max-sharpe": lambda w: float(M @ w) / math.sqrt(float(w @ S @ w)),
    "max-utility": lambda w: 0.5 * float(M @ w) - 0.5 * float(w @ S @ w),
    "efficient-return": lambda w: float(w @ S @ w),
    "efficient-risk": lambda w: float(M @ w),
    "min-semivariance": _semivar,
    "max-sortino": _sortino,
    "min-cvar": lambda w: _cvar(w, 0.9),
}


@pytest.mark.parametrize("with_costs", [False, True], ids=["exact-path", "conic-path"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_objective_value_is_filled_in_natural_units(name, with_costs):
    spec, _, _ = CASES[name]
    costs = {"transaction_cost": 0.001} if with_costs else {}
    res = optimize_portfolio(COV, MU, objective=spec, returns=R, periods_per_year=PPY, **costs)
    assert math.isfinite(res.objective_value)
    assert res.objective_value == pytest.approx(NATURAL[name](res.weights.to_numpy()), rel=1e-9)
    assert res.objective_units and (
        "annualised" in res.objective_units or "periodic" in res.objective_units
    )
    if name == "max-sharpe":
        assert res.objective_value == pytest.approx(res.sharpe, rel=1e-12)


def test_every_objective_has_a_natural_value():
    assert set(NATURAL) == set(objective_names())
