"""Risk budgeting and equal risk contribution (risk parity), long-only, fully invested.

The portfolio whose assets' shares of the variance equal given budgets ``b`` (positive,
summing to 1): ``RC_i = w_i (S w)_i / (w' S w) = b_i``. It is found through Spinu's (2013)
convex formulation

    minimise  f(x) = 1/2 x' S x - sum_i b_i log x_i   over x > 0,

whose unique minimiser satisfies ``x_i (S x)_i = b_i``; then ``w = x / sum(x)``. ``f`` is
strictly convex (its Hessian ``S + diag(b / x^2)`` is positive definite), so Newton's method
with a backtracking line search converges from any positive start, quadratically at the end;
it stops on the Newton decrement, at machine precision, not on an iteration budget.

Units: the covariance in any consistent units (annualised in cryptofolio); budgets and risk
contributions are fractions (0.25 = 25 %).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from cryptofolio.blas import single_blas_thread
from cryptofolio.errors import EstimationError, InfeasibleError, SolverError
from cryptofolio.optimize.objectives.base import (
    ObjectiveSpec,
    Solution,
    check_allocation_problem,
    check_upper_bounds,
)
from cryptofolio.optimize.objectives.registry import register_objective
from cryptofolio.optimize.problem import Problem
from cryptofolio.optimize.warm import WarmStarts

#: How far budgets may sum from 1 (they are shares).
BUDGET_SUM_TOLERANCE = 1e-9
_MAX_NEWTON_STEPS = 200


def _names(n: int, assets: Sequence[str] | None) -> list[str]:
    return list(assets) if assets is not None else [f"asset {i}" for i in range(n)]


def checked_budgets(
    budgets: Sequence[float] | np.ndarray | None, n: int, assets: Sequence[str] | None = None
) -> np.ndarray:
    """Budgets as an array ``(n,)``: ``None`` gives ``1/n`` each (equal risk contribution).

    Raises
    ------
    InfeasibleError
        Wrong length, a non-finite or non-positive budget (names the asset), or budgets that
        do not sum to 1 (gives the sum).
    """
    if budgets is None:
        return np.full(n, 1.0 / n)
    b = np.asarray(budgets, dtype=float)
    names = _names(n, assets)
    if b.shape != (n,):
        raise InfeasibleError(f"risk budgets: need one per asset ({n}), got shape {b.shape}")
    bad = [names[i] for i in np.flatnonzero(~(np.isfinite(b) & (b > 0)))]
    if bad:
        raise InfeasibleError(
            f"risk budgets must be positive fractions; not so for {', '.join(bad)} "
            "(leave an asset out of the universe to give it no risk)"
        )
    total = float(b.sum())
    if abs(total - 1.0) > BUDGET_SUM_TOLERANCE:
        raise InfeasibleError(
            f"risk budgets must sum to 1 (they are shares of the risk), they sum to {total:.10g}; "
            "divide them by their sum"
        )
    return b


def _checked_covariance(covariance: np.ndarray, assets: Sequence[str] | None) -> np.ndarray:
    cov = np.asarray(covariance, dtype=float)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise EstimationError(f"the covariance must be a square matrix, got shape {cov.shape}")
    if not np.isfinite(cov).all():
        raise EstimationError("the covariance has NaN or infinite entries")
    names = _names(cov.shape[0], assets)
    bad = [names[i] for i in np.flatnonzero(np.diag(cov) <= 0)]
    if bad:
        raise EstimationError(
            f"zero variance for {', '.join(bad)}: a riskless asset takes no risk budget "
            "(its weight would be unbounded); drop it"
        )
    return (cov + cov.T) / 2.0


def _objective(cov: np.ndarray, b: np.ndarray, x: np.ndarray) -> float:
    return 0.5 * float(x @ cov @ x) - float(b @ np.log(x))


def spinu_solution(covariance: np.ndarray, budgets: np.ndarray) -> np.ndarray:
    """The minimiser ``x > 0`` of ``1/2 x'Sx - b'log(x)`` (unnormalised, ``x_i (S x)_i = b_i``).

    Damped Newton (``f`` is self-concordant): a backtracking line search while the Newton
    decrement ``lam`` is at least 1/4, full steps after (they stay positive and converge
    quadratically); it stops when ``lam^2`` reaches rounding level.

    Raises
    ------
    SolverError
        Newton's method did not converge (a covariance that is not positive semidefinite).
    """
    scale = float(np.mean(np.diag(covariance)))
    cov, b = covariance / scale, budgets  # x for S/scale is sqrt(scale) times x for S
    x = b / np.sqrt(np.diag(cov))
    x /= np.sqrt(float(x @ cov @ x) / b.sum())  # best scale along the ray
    f = _objective(cov, b, x)
    for _ in range(_MAX_NEWTON_STEPS):
        grad = cov @ x - b / x
        try:
            step = -np.linalg.solve(cov + np.diag(b / x**2), grad)
        except np.linalg.LinAlgError:
            break
        decrement = -float(grad @ step)
        if not decrement >= 0:
            break  # not a descent direction: the Hessian is not positive definite
        if decrement <= 1e-26:
            return x / np.sqrt(scale)
        t = 1.0
        if decrement >= 1.0 / 16.0:
            neg = step < 0
            if neg.any():
                t = min(1.0, 0.99 * float(np.min(-x[neg] / step[neg])))
            while _objective(cov, b, x + t * step) > f - 0.25 * t * decrement and t > 1e-12:
                t *= 0.5
        x = x + t * step
        if not (x > 0).all():
            break
        f = _objective(cov, b, x)
    raise SolverError(
        "risk budgeting: Newton's method did not converge; the covariance is probably not "
        "positive semidefinite (check it with cryptofolio.estimate.is_psd)",
        status="not converged",
    )


@single_blas_thread
def risk_budget_weights(
    covariance: np.ndarray,
    budgets: Sequence[float] | np.ndarray | None = None,
    assets: Sequence[str] | None = None,
) -> np.ndarray:
    """Long-only weights ``(n,)`` summing to 1 whose risk contributions equal ``budgets``
    (``None``: equal risk contribution). See the module docstring."""
    cov = _checked_covariance(covariance, assets)
    b = checked_budgets(budgets, cov.shape[0], assets)
    x = spinu_solution(cov, b)
    return x / x.sum()


def risk_contributions(weights: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """Each asset's share of the portfolio variance, ``w_i (S w)_i / (w' S w)`` (fractions
    summing to 1, shape ``(n,)``)."""
    w = np.asarray(weights, dtype=float)
    marginal = np.asarray(covariance, dtype=float) @ w
    return w * marginal / float(w @ marginal)


@dataclass(frozen=True)
class RiskBudgetPortfolio:
    """A risk-budgeting portfolio: ``weights`` and ``risk_contributions`` (fractions, labelled
    by asset) and ``volatility`` (in the covariance's units, annualised in cryptofolio)."""

    weights: pd.Series
    risk_contributions: pd.Series
    volatility: float


def risk_budget_portfolio(
    covariance: pd.DataFrame, budgets: Mapping[str, float] | pd.Series | None = None
) -> RiskBudgetPortfolio:
    """Labelled :func:`risk_budget_weights`: budgets by asset name (every asset once)."""
    assets = list(covariance.index)
    b = None if budgets is None else _budgets_by_name(budgets, assets)
    w = risk_budget_weights(covariance.to_numpy(dtype=float), b, assets)
    cov = covariance.to_numpy(dtype=float)
    rc = risk_contributions(w, cov)
    return RiskBudgetPortfolio(
        weights=pd.Series(w, index=covariance.index, name="weight"),
        risk_contributions=pd.Series(rc, index=covariance.index, name="risk_contribution"),
        volatility=float(np.sqrt(w @ cov @ w)),
    )


def _budgets_by_name(budgets: Mapping[str, float] | pd.Series, assets: list[str]) -> np.ndarray:
    given = dict(budgets.items())
    unknown = sorted(set(given) - set(assets))
    missing = [a for a in assets if a not in given]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"budgets for assets not in the universe: {', '.join(map(str, unknown))}")
        if missing:
            parts.append(f"no budget for {', '.join(map(str, missing))}")
        raise InfeasibleError("risk budgets: " + "; ".join(parts) + " (give one per asset)")
    return np.array([float(given[a]) for a in assets])


@register_objective
@dataclass(frozen=True)
class RiskBudgeting(ObjectiveSpec):
    """Risk budgeting with its parameters: ``budgets`` positional (one per asset, in the
    covariance's order, summing to 1), by asset name (a mapping, stored as sorted pairs), or
    ``None`` for equal risk contribution (risk parity).

    ``weights(covariance, returns=None, assets=None)``: covariance ``(n, n)`` -> long-only
    weights ``(n,)`` summing to 1; ``assets`` names the columns (needed for named budgets).
    """

    budgets: tuple[float, ...] | tuple[tuple[str, float], ...] | Mapping[str, float] | None = None

    name: ClassVar[str] = "risk-parity"
    measure_units: ClassVar[str] = (
        "Spinu's objective 1/2 log(w'Σw) - Σ b_i log w_i (unitless; least where the risk "
        "contributions equal the budgets b)"
    )
    uses_expected_returns: ClassVar[bool] = False
    uses_scenarios: ClassVar[bool] = False

    def __post_init__(self) -> None:
        b = self.budgets
        if isinstance(b, Mapping):
            object.__setattr__(
                self, "budgets", tuple(sorted((str(k), float(v)) for k, v in b.items()))
            )
        elif b is not None:
            object.__setattr__(self, "budgets", tuple(b))

    @property
    def named(self) -> bool:
        """Whether the budgets are given by asset name."""
        return bool(self.budgets) and isinstance(self.budgets[0], tuple)

    def budget_vector(self, n: int, assets: Sequence[str] | None = None) -> np.ndarray:
        """The budgets ``(n,)`` in the order of ``assets`` (checked)."""
        if self.budgets is None:
            return checked_budgets(None, n)
        if self.named:
            if assets is None:
                raise InfeasibleError("risk budgets by asset name need the asset names")
            return checked_budgets(_budgets_by_name(dict(self.budgets), list(assets)), n, assets)
        return checked_budgets(np.array(self.budgets, dtype=float), n, assets)

    def weights(
        self,
        covariance: np.ndarray,
        returns: np.ndarray | None = None,
        assets: Sequence[str] | None = None,
    ) -> np.ndarray:
        n = np.shape(covariance)[0]
        return risk_budget_weights(covariance, self.budget_vector(n, assets), assets)

    def measure(self, pb: Problem, w: np.ndarray) -> float:
        b = self.budget_vector(pb.n, pb.assets)
        with np.errstate(divide="ignore"):
            return 0.5 * float(np.log(w @ pb.S @ w)) - float(b @ np.log(w))

    def solve(self, pb: Problem, warm: WarmStarts | None) -> Solution:
        """The risk-budgeting weights of ``pb``'s covariance (long-only, fully invested), with
        their risk contributions (equal to the budgets)."""
        check_allocation_problem(pb, self.name)
        w = self.weights(pb.S, assets=pb.assets)
        check_upper_bounds(pb, self.name, w)
        return Solution(w, solver="newton", risk_contributions=risk_contributions(w, pb.S))
