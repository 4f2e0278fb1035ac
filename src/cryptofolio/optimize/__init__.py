"""The optimize stage: portfolio objectives and constraints, frontier, random portfolios.

Contract (filled in by the optimisation work; names and fields are fixed):
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

from cryptofolio.estimate import ExpectedReturnsMethod, ReturnsKind, RiskModel


class Objective(StrEnum):
    MIN_VARIANCE = "min-variance"
    MAX_SHARPE = "max-sharpe"
    MAX_UTILITY = "max-utility"
    EFFICIENT_RETURN = "efficient-return"
    EFFICIENT_RISK = "efficient-risk"
    MIN_SEMIVARIANCE = "min-semivariance"
    MIN_CVAR = "min-cvar"


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
class PortfolioResult:
    """An optimised portfolio; figures are annualised fractions."""

    weights: pd.Series
    expected_return: float
    volatility: float
    sharpe: float
    objective: Objective
    risk_free_rate: float = 0.0
    status: str = "optimal"


def optimize_portfolio(
    covariance: pd.DataFrame,
    expected_returns: pd.Series | None = None,
    *,
    objective: Objective = Objective.MIN_VARIANCE,
    constraints: Constraints = Constraints(),
    risk_free_rate: float = 0.0,
    risk_aversion: float = 1.0,
    target_return: float | None = None,
    target_volatility: float | None = None,
    returns: pd.DataFrame | None = None,
    cvar_alpha: float = 0.95,
    periods_per_year: float = 365.0,
    previous_weights: pd.Series | None = None,
    transaction_cost: float | pd.Series = 0.0,
    max_turnover: float | None = None,
) -> PortfolioResult:
    """Solve one portfolio problem (see the module docs for units)."""
    raise NotImplementedError


@dataclass(frozen=True)
class PortfolioConfig:
    """A full optimiser configuration: estimation choices + objective + constraints."""

    objective: Objective = Objective.MIN_VARIANCE
    risk_model: RiskModel = RiskModel.SAMPLE
    expected_returns: ExpectedReturnsMethod = ExpectedReturnsMethod.MEAN
    returns_kind: ReturnsKind = ReturnsKind.SIMPLE
    constraints: Constraints = Constraints()
    risk_free_rate: float = 0.0
    risk_aversion: float = 1.0
    target_return: float | None = None
    target_volatility: float | None = None
    cvar_alpha: float = 0.95
    periods_per_year: float | None = None  # None: inferred from the data (365 daily, 8760 hourly)


def build_portfolio(
    prices: pd.DataFrame,
    config: PortfolioConfig = PortfolioConfig(),
    *,
    expected_returns: pd.Series | None = None,
    previous_weights: pd.Series | None = None,
    transaction_cost: float | pd.Series = 0.0,
    max_turnover: float | None = None,
) -> PortfolioResult:
    """Estimate from a wide price window (no NaN) and optimise with ``config``."""
    raise NotImplementedError


@dataclass(frozen=True)
class Frontier:
    """Efficient frontier: ``points`` has columns return, volatility, sharpe (annualised
    fractions), one row per point; ``weights`` has one row per point, one column per asset."""

    points: pd.DataFrame
    weights: pd.DataFrame


def efficient_frontier(
    covariance: pd.DataFrame,
    expected_returns: pd.Series,
    *,
    points: int = 50,
    constraints: Constraints = Constraints(),
    risk_free_rate: float = 0.0,
) -> Frontier:
    """``points`` portfolios from the minimum-variance to the maximum-return portfolio."""
    raise NotImplementedError


def random_portfolios(
    covariance: pd.DataFrame,
    expected_returns: pd.Series,
    n: int = 10_000,
    *,
    allow_shorts: bool = False,
    risk_free_rate: float = 0.0,
    seed: int | None = None,
) -> pd.DataFrame:
    """Monte Carlo portfolios (Dirichlet on the simplex; with shorts when asked): one row per
    sample with return, volatility, sharpe and one weight column per asset."""
    raise NotImplementedError
