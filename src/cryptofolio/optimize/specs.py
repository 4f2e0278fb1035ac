"""Specifications and results of the optimiser (small frozen dataclasses and enums)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd


class Objective(StrEnum):
    MIN_VARIANCE = "min-variance"
    MAX_SHARPE = "max-sharpe"
    MAX_UTILITY = "max-utility"
    EFFICIENT_RETURN = "efficient-return"
    EFFICIENT_RISK = "efficient-risk"
    MIN_SEMIVARIANCE = "min-semivariance"
    MIN_CVAR = "min-cvar"
    MAX_SORTINO = "max-sortino"


@dataclass(frozen=True)
class Constraints:
    """Weight constraints, combinable with every objective. Weights are fractions of equity."""

    budget: float = 1.0  # net exposure: sum(w) == budget (0 = market-neutral)
    min_weight: float = 0.0  # global lower bound; negative allows shorts (e.g. -0.1)
    max_weight: float = 1.0  # global upper bound (position limit, e.g. 0.3)
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # per-asset overrides
    gross_exposure: float | None = None  # sum(|w|) <= gross_exposure
    l2: float = 0.0  # gamma * ||w||^2 small-weights penalty


@dataclass(frozen=True)
class Scenarios:
    """The periodic scenario returns of the objectives that use them (min-semivariance,
    max-sortino, min-cvar, the hierarchical allocators): ``returns`` (T x N, no NaN; ``None``:
    none given) and ``periods_per_year``, the annualisation of the scenario measures (365
    daily, 8760 hourly)."""

    returns: pd.DataFrame | None = None
    periods_per_year: float = 365.0


@dataclass(frozen=True)
class PortfolioResult:
    """An optimised portfolio; figures are annualised fractions.

    ``objective_value`` is the value of what the objective optimises at these weights, in
    natural units that ``objective_units`` states (variance for min-variance and
    efficient-return, the Sharpe ratio for max-sharpe, the utility for max-utility, the
    expected return for efficient-risk, the semivariance, the Sortino ratio, the periodic
    CVaR, Spinu's risk-budgeting objective for risk-parity; for the hierarchical allocators,
    which optimise nothing, the portfolio's risk under their risk measure), without the L2 and
    trading-cost penalties. ``solver`` says which path produced the weights;
    ``risk_contributions`` are each asset's share of the variance (fractions summing to 1),
    reported by risk parity and the hierarchical allocators (``None`` for the others).
    """

    weights: pd.Series
    expected_return: float
    volatility: float
    sharpe: float
    objective: Objective | str
    risk_free_rate: float = 0.0
    status: str = "optimal"
    objective_value: float = math.nan
    solver: str = "active-set"
    objective_units: str = ""
    risk_contributions: pd.Series | None = None

    def __repr__(self) -> str:
        from cryptofolio.display import portfolio_text

        return portfolio_text(self)

    def _repr_html_(self) -> str:
        from cryptofolio.display import portfolio_html

        return portfolio_html(self)
