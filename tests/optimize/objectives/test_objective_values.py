"""Every registered objective, skfolio's way: the measure the objective optimises, recomputed
independently from the returned weights, equals what the solver reports, and no feasible
perturbation of the weights does better.

The measures are recomputed here from their definitions with NumPy (variance w'Σw, the
Sharpe ratio, the utility, the semivariance below zero, the historical CVaR by sorting the
losses), not with the optimiser's code.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from cryptofolio.optimize import (
    Constraints,
    EfficientReturn,
    EfficientRisk,
    HierarchicalEqualRiskContribution,
    HierarchicalRiskParity,
    MaxSharpe,
    MaxSortino,
    MaxUtility,
    MinCVaR,
    MinSemivariance,
    MinVariance,
    RiskBudgeting,
    objective_names,
    optimize_portfolio,
)
from cryptofolio.optimize.objectives.max_utility import RiskAversionMeaningWarning

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


def _risk_parity_measure(w: np.ndarray) -> float:
    """``1/2 log(w'Σw) - mean(log w)``: scale-free, its minimiser over w > 0 is the portfolio
    whose risk contributions ``w_i (Σw)_i / w'Σw`` are all ``1/n``."""
    return 0.5 * math.log(float(w @ S @ w)) - float(np.mean(np.log(w)))


# spec, measure (lower is better; None: an allocation rule, checked against a peer below),
# feasibility check of a perturbed point
CASES = {
    "min-variance": (MinVariance(), lambda w: float(w @ S @ w), None),
    "max-sharpe": (MaxSharpe(), lambda w: -float(M @ w) / math.sqrt(float(w @ S @ w)), None),
    "max-utility": (
        MaxUtility(risk_tolerance=0.5),
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
    "risk-parity": (RiskBudgeting(), _risk_parity_measure, None),
    "hrp": (HierarchicalRiskParity(), None, None),
    "herc": (HierarchicalEqualRiskContribution(), None, None),
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
    if measure is None:
        return
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
        "max-utility": {"risk_tolerance": 0.5},
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
    # risk_tolerance λ = 0.5: δ = 2, utility μ'w - (δ/2) w'Σw
    "max-utility": lambda w: float(M @ w) - float(w @ S @ w),
    "efficient-return": lambda w: float(w @ S @ w),
    "efficient-risk": lambda w: float(M @ w),
    "min-semivariance": _semivar,
    "max-sortino": _sortino,
    "min-cvar": lambda w: _cvar(w, 0.9),
    "risk-parity": _risk_parity_measure,  # Spinu's objective with budgets 1/n
    "hrp": lambda w: float(w @ S @ w),  # allocation rules: the variance they allocate
    "herc": lambda w: float(w @ S @ w),
}
ALLOCATION_RULES = {"risk-parity", "hrp", "herc"}  # no trading-cost (conic) path


@pytest.mark.parametrize("with_costs", [False, True], ids=["exact-path", "conic-path"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_objective_value_is_filled_in_natural_units(name, with_costs):
    if with_costs and name in ALLOCATION_RULES:
        pytest.skip("allocation rules take no trading costs")
    spec, _, _ = CASES[name]
    costs = {"transaction_cost": 0.001} if with_costs else {}
    res = optimize_portfolio(COV, MU, objective=spec, returns=R, periods_per_year=PPY, **costs)
    assert math.isfinite(res.objective_value)
    assert res.objective_value == pytest.approx(NATURAL[name](res.weights.to_numpy()), rel=1e-9)
    assert res.objective_units and (
        any(u in res.objective_units for u in ("annualised", "periodic", "unitless"))
    )
    if name == "max-sharpe":
        assert res.objective_value == pytest.approx(res.sharpe, rel=1e-12)


def test_every_objective_has_a_natural_value():
    assert set(NATURAL) == set(objective_names())


@pytest.mark.parametrize("linkage", ["single", "ward"])
def test_hierarchical_objectives_by_name_equal_the_peers(linkage):
    """``optimize_portfolio(objective="hrp"/"herc")`` equals PyPortfolioOpt's HRPOpt and
    skfolio's HERC on the same returns, with the risk contributions of the weights."""
    from pypfopt import HRPOpt
    from skfolio.cluster import HierarchicalClustering, LinkageMethod
    from skfolio.optimization import HierarchicalEqualRiskContribution as SkHERC

    hrp = optimize_portfolio(COV, objective=HierarchicalRiskParity(linkage=linkage), returns=R)
    expected = HRPOpt(returns=R).optimize(linkage_method=linkage)
    np.testing.assert_allclose(hrp.weights, [expected[a] for a in R.columns], atol=1e-8)
    with warnings.catch_warnings():  # skfolio's own deprecation of the argument name
        warnings.simplefilter("ignore", FutureWarning)
        herc_ref = SkHERC(
            hierarchical_clustering_estimator=HierarchicalClustering(
                linkage_method=LinkageMethod(linkage)
            )
        ).fit(X)
    herc = optimize_portfolio(
        COV, objective=HierarchicalEqualRiskContribution(linkage=linkage), returns=R
    )
    np.testing.assert_allclose(herc.weights, herc_ref.weights_, atol=1e-8)
    for res in (hrp, herc):
        w = res.weights.to_numpy()
        np.testing.assert_allclose(res.risk_contributions, w * (S @ w) / (w @ S @ w), atol=1e-12)


def test_risk_parity_reports_equal_contributions_and_named_budgets():
    res = optimize_portfolio(COV, objective="risk-parity")
    np.testing.assert_allclose(res.risk_contributions, 1 / 6, atol=1e-10)
    budgets = dict(zip(R.columns, [0.3, 0.2, 0.2, 0.1, 0.1, 0.1], strict=True))
    res = optimize_portfolio(COV, objective=RiskBudgeting(budgets=budgets))
    np.testing.assert_allclose(res.risk_contributions, list(budgets.values()), atol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"constraints": Constraints(max_weight=0.18)}, r"exceed their upper bounds \(C"),
        ({"constraints": Constraints(budget=0.5)}, "net exposure of 0.5"),
        ({"constraints": Constraints(l2=0.1)}, "L2 penalty"),
        ({"transaction_cost": 0.001}, "transaction costs"),
    ],
)
@pytest.mark.parametrize("name", ["hrp", "herc", "risk-parity"])
def test_allocations_refuse_constraints_they_cannot_meet(name, kwargs, match):
    from cryptofolio.errors import InfeasibleError

    if "transaction_cost" in kwargs:
        kwargs = {**kwargs, "previous_weights": pd.Series(1 / 6, index=R.columns)}
    with pytest.raises(InfeasibleError, match=match):
        optimize_portfolio(COV, objective=name, returns=R, **kwargs)


def test_risk_aversion_is_pyportfolioopts_delta():
    """``risk_aversion`` δ: ``max μ'w - δ/2 w'Σw`` equals PyPortfolioOpt's
    ``max_quadratic_utility(risk_aversion=δ)``; larger δ never raises the variance; the
    ``risk_tolerance`` λ = 1/δ form is the same portfolio."""
    from pypfopt import EfficientFrontier

    variances = []
    for delta in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0):
        with (
            pytest.warns(RiskAversionMeaningWarning, match="risk_tolerance")
            if delta != 1
            else _no_warning()
        ):
            res = optimize_portfolio(COV, MU, objective=MaxUtility(risk_aversion=delta))
        ef = EfficientFrontier(MU, COV, weight_bounds=(0, 1))
        expected = ef.max_quadratic_utility(risk_aversion=delta)
        np.testing.assert_allclose(res.weights, [expected[a] for a in R.columns], atol=1e-6)
        same = optimize_portfolio(COV, MU, objective=MaxUtility(risk_tolerance=1 / delta))
        np.testing.assert_allclose(same.weights, res.weights, atol=1e-12)
        variances.append(res.volatility**2)
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(variances))


def test_risk_aversion_and_tolerance_together_is_an_error():
    from cryptofolio.errors import InfeasibleError
    from cryptofolio.optimize import PortfolioConfig

    with pytest.raises(InfeasibleError, match="not both"):
        MaxUtility(risk_aversion=2.0, risk_tolerance=0.5)
    with pytest.raises(InfeasibleError, match="not both"):
        PortfolioConfig(
            objective="max-utility", risk_aversion=2.0, risk_tolerance=0.5
        ).objective_spec()


def _no_warning():
    import contextlib

    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("error", RiskAversionMeaningWarning)
    return stack
