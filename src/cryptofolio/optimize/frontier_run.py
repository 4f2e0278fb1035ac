"""A frontier study of one price window: the efficient frontier, the min-variance and
max-Sharpe portfolios under the same constraints, and a cloud of random portfolios.

Figures are annualised fractions (365 periods a year for daily data, 8760 hourly).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cryptofolio.errors import CryptofolioError
from cryptofolio.estimate import Window
from cryptofolio.optimize.estimation import EstimationInputs, estimate_moments, estimation_inputs
from cryptofolio.optimize.frontier import Frontier, efficient_frontier
from cryptofolio.optimize.portfolio import PortfolioConfig
from cryptofolio.optimize.random_portfolios import random_portfolios
from cryptofolio.optimize.solve import optimize_portfolio
from cryptofolio.optimize.specs import Constraints, Objective, PortfolioResult, Scenarios


@dataclass(frozen=True)
class FrontierRun:
    """Everything a frontier study computes: its inputs, the annualised moments, the frontier,
    the random cloud (``None`` without one), the two reference portfolios (max-Sharpe ``None``
    when none exists, with the reason in ``notes``)."""

    inputs: EstimationInputs
    covariance: pd.DataFrame
    expected_returns: pd.Series
    frontier: Frontier
    random: pd.DataFrame | None
    min_variance: PortfolioResult | None
    max_sharpe: PortfolioResult | None
    notes: tuple[str, ...] = ()


def compute_frontier(
    window: Window,
    config: PortfolioConfig,
    *,
    points: int = 50,
    n_random: int = 0,
    seed: int | None = 0,
) -> FrontierRun:
    """Estimate on ``window`` and compute ``points`` frontier points, the min-variance and
    max-Sharpe portfolios (under ``config.constraints``) and ``n_random`` random portfolios
    (drawn with ``seed``)."""
    inputs = estimation_inputs(window, config)
    cov, mu = estimate_moments(inputs, config)
    constraints: Constraints = config.constraints
    frontier = efficient_frontier(
        cov, mu, points=points, constraints=constraints, risk_free_rate=config.risk_free_rate
    )
    common = dict(
        constraints=constraints,
        risk_free_rate=config.risk_free_rate,
        scenarios=Scenarios(periods_per_year=inputs.periods_per_year),
    )
    notes: list[str] = []
    min_var = optimize_portfolio(cov, mu, objective=Objective.MIN_VARIANCE, **common)
    try:
        max_sharpe = optimize_portfolio(cov, mu, objective=Objective.MAX_SHARPE, **common)
    except CryptofolioError as exc:  # e.g. no asset above the risk-free rate: say so, go on
        max_sharpe = None
        notes.append(f"no max-Sharpe portfolio: {exc}")
    cloud = None
    if n_random > 0:
        cloud = random_portfolios(
            cov,
            mu,
            n_random,
            allow_shorts=allows_shorts(constraints),
            risk_free_rate=config.risk_free_rate,
            seed=seed,
        )
    return FrontierRun(inputs, cov, mu, frontier, cloud, min_var, max_sharpe, tuple(notes))


def allows_shorts(constraints: Constraints) -> bool:
    """Whether any lower bound (global or per asset) is negative."""
    lows = [constraints.min_weight] + [lo for lo, _ in constraints.bounds.values() if lo == lo]
    return min(lows) < 0
