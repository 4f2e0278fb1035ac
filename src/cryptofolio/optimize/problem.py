"""The validated numeric problem every objective solves: covariance, returns, bounds, trades.

Units: ``S`` and ``mu`` are annualised (covariance of fractions, fractions); ``scenarios`` are
periodic returns (T x n fractions); the bounds, the budget and the trades are fractions of equity.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cryptofolio.errors import InfeasibleError
from cryptofolio.optimize.constraints import FEAS_TOL, Box, resolve_box
from cryptofolio.optimize.inputs import (
    align_series,
    asset_labels,
    check_covariance,
    check_scenarios,
    cost_vector,
)
from cryptofolio.optimize.specs import Constraints


@dataclass(frozen=True)
class Trades:
    """Turnover-aware optimisation: the current portfolio, the cost of trading, a turnover cap.

    Attributes
    ----------
    previous_weights
        The current weights (fractions of equity, one per asset), or ``None``: no current
        portfolio (then neither costs against it nor a cap apply).
    transaction_cost
        Proportional cost per asset (fraction of traded notional): an L1 term
        ``cost * |w - previous|`` in the objective.
    max_turnover
        Cap on ``sum |w - previous|`` (fraction of equity), or ``None``.
    """

    previous_weights: pd.Series | None = None
    transaction_cost: float | pd.Series = 0.0
    max_turnover: float | None = None


@dataclass(frozen=True)
class TradeTerms:
    """:class:`Trades` as arrays over the problem's assets (``prev`` ``None``: no portfolio)."""

    prev: np.ndarray | None
    cost: np.ndarray
    max_turnover: float | None

    @property
    def costly(self) -> bool:
        return bool(np.any(self.cost))

    @property
    def active(self) -> bool:
        """Whether the trades change the problem (a cost or a cap; else only a warm start)."""
        return self.costly or self.max_turnover is not None


@dataclass
class Problem:
    """Validated numeric inputs in scaled units (covariance / ``s``, returns / ``ms``)."""

    assets: list[str]
    S: np.ndarray  # annualised covariance (n x n), exactly symmetric
    s: float  # covariance scale (mean variance)
    mu: np.ndarray | None  # annualised expected returns (n,)
    box: Box
    l2: float
    rf: float
    index: pd.Index  # the assets as a pandas Index (labels of the result Series)
    scenarios: np.ndarray | None = None  # periodic returns (T x n)
    periods_per_year: float = 365.0
    trades: TradeTerms | None = None

    @property
    def n(self) -> int:
        return len(self.assets)

    @functools.cached_property
    def Ss(self) -> np.ndarray:
        return self.S / self.s

    @property
    def ms(self) -> float:
        if self.mu is None:
            return 1.0
        return max(float(np.max(np.abs(self.mu))), abs(self.rf), 1e-12)

    @property
    def max_turnover(self) -> float | None:
        return None if self.trades is None else self.trades.max_turnover


def result_index(columns: pd.Index, assets: list[str]) -> pd.Index:
    """The labels of a result: the covariance's own columns when they are strings, else the
    string labels ``assets``."""
    return columns if columns.inferred_type == "string" else pd.Index(assets)


def make_problem(
    covariance: pd.DataFrame,
    expected_returns: pd.Series | None,
    constraints: Constraints,
    *,
    need_mu: bool,
    risk_free_rate: float = 0.0,
    periods_per_year: float = 365.0,
) -> Problem:
    """The :class:`Problem` of labelled inputs (checked; errors name the assets at fault);
    ``periods_per_year`` annualises the scenario measures."""
    assets, S = check_covariance(covariance)
    index = result_index(covariance.columns, assets)
    mu = align_series(expected_returns, assets, "expected returns", required=need_mu, index=index)
    pb = problem_of_values(assets, index, S, mu, constraints, risk_free_rate)
    pb.periods_per_year = float(periods_per_year)
    return pb


def problem_of_values(
    assets: list[str],
    index: pd.Index,
    S: np.ndarray,
    mu: np.ndarray | None,
    constraints: Constraints,
    risk_free_rate: float,
) -> Problem:
    """The :class:`Problem` of checked values: ``S`` an exactly symmetric, finite covariance
    with a non-negative diagonal that is not all zero, ``mu`` finite or ``None``."""
    box = resolve_box(constraints, assets)
    s = float(S.trace()) / S.shape[0]  # the mean variance
    if not math.isfinite(risk_free_rate):
        raise InfeasibleError(f"risk_free_rate must be finite, got {risk_free_rate}")
    return Problem(assets, S, s, mu, box, float(constraints.l2), float(risk_free_rate), index)


def attach_scenarios(pb: Problem, returns: pd.DataFrame | None, what: str) -> None:
    """Set ``pb.scenarios`` from periodic ``returns`` aligned to the problem's assets."""
    pb.scenarios = check_scenarios(returns, pb.assets, what)


def trade_terms(pb: Problem, trades: Trades) -> TradeTerms:
    """:class:`Trades` checked and aligned to ``pb``'s assets.

    Raises
    ------
    InfeasibleError
        A negative or non-finite cost or cap, a cap without a current portfolio, or a cap too
        small to reach the bounds and the budget from the current weights.
    """
    prev = None
    if trades.previous_weights is not None:
        prev = align_series(
            trades.previous_weights, pb.assets, "previous weights", required=True, index=pb.index
        )
    cost = cost_vector(trades.transaction_cost, pb.assets)
    cap = trades.max_turnover
    if cap is not None and not (math.isfinite(cap) and cap >= 0):
        raise InfeasibleError(f"max_turnover must be a finite number >= 0, got {cap}")
    if cap is not None and prev is None:
        raise InfeasibleError("max_turnover needs previous_weights (the current portfolio)")
    if cap is not None:
        # the closest feasible point to prev in L1 must be within max_turnover
        box = pb.box
        gap = np.maximum(box.lo - prev, 0).sum() + np.maximum(prev - box.hi, 0).sum()
        need = gap + abs(box.budget - float(np.clip(prev, box.lo, box.hi).sum()))
        if need > cap + FEAS_TOL:
            raise InfeasibleError(
                f"max_turnover {cap:g} is too small: reaching the bounds and the budget "
                f"from the previous weights needs a turnover of at least {need:g}"
            )
    return TradeTerms(prev, cost, cap)


__all__ = [
    "Problem",
    "TradeTerms",
    "Trades",
    "asset_labels",
    "make_problem",
    "problem_of_values",
    "result_index",
    "trade_terms",
]
