"""What ``optimize`` and ``frontier`` compute: the common window of the requested assets (ragged
data: the period where every asset has data), its periodic returns and annualised moments, and
a frontier run (frontier points, min-variance and max-Sharpe portfolios, a random cloud).

Figures are annualised fractions (``periods_per_year``: 365 for daily data, 8760 hourly);
covariances are ``n x n`` frames and expected returns ``n`` series, labelled by asset.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cryptofolio.cli.options import DataOptions
from cryptofolio.data import parse_symbols, to_panels
from cryptofolio.errors import CryptofolioError, DataError
from cryptofolio.estimate import (
    Window,
    common_window,
    expected_returns,
    infer_periods_per_year,
    returns_from_prices,
    risk_matrix,
)
from cryptofolio.optimize import (
    Constraints,
    Frontier,
    Objective,
    PortfolioConfig,
    PortfolioResult,
    efficient_frontier,
    optimize_portfolio,
    random_portfolios,
)


@dataclass(frozen=True)
class EstimationInputs:
    """What the commands estimate from: the window, its periodic returns and the
    annualisation factor actually used."""

    window: Window
    returns: pd.DataFrame
    periods_per_year: float


def load_window(data: DataOptions) -> Window:
    """Load the data the options describe and cut the common window of the requested assets
    (default: every asset in the data). Nothing is filled."""
    close = to_panels(data.load(start=data.start)).close
    return common_window(close, parse_symbols(data.assets), data.start, data.end)


def estimation_inputs(window: Window, config: PortfolioConfig) -> EstimationInputs:
    """Periodic returns of ``window`` and the annualisation factor (given or inferred)."""
    ppy = config.periods_per_year or infer_periods_per_year(window.prices.index)
    if ppy <= 0:
        raise DataError(f"--periods-per-year must be positive, got {ppy}")
    returns = returns_from_prices(window.prices, config.returns_kind)
    return EstimationInputs(window=window, returns=returns, periods_per_year=float(ppy))


def estimate_moments(
    inputs: EstimationInputs, config: PortfolioConfig
) -> tuple[pd.DataFrame, pd.Series]:
    """Annualised covariance and expected returns with the configured estimators."""
    cov = risk_matrix(inputs.returns, config.risk_model, periods_per_year=inputs.periods_per_year)
    mu = expected_returns(
        inputs.returns,
        config.expected_returns,
        periods_per_year=inputs.periods_per_year,
        kind=config.returns_kind,
    )
    return cov, mu


@dataclass(frozen=True)
class FrontierRun:
    """Everything the frontier command computes (annualised fractions)."""

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
    """Estimate on ``window`` and compute the frontier, the min-variance and max-Sharpe
    portfolios (under ``config.constraints``) and ``n_random`` random portfolios."""
    inputs = estimation_inputs(window, config)
    cov, mu = estimate_moments(inputs, config)
    constraints: Constraints = config.constraints
    frontier = efficient_frontier(
        cov, mu, points=points, constraints=constraints, risk_free_rate=config.risk_free_rate
    )
    common = dict(
        constraints=constraints,
        risk_free_rate=config.risk_free_rate,
        periods_per_year=inputs.periods_per_year,
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
            allow_shorts=_allows_shorts(constraints),
            risk_free_rate=config.risk_free_rate,
            seed=seed,
        )
    return FrontierRun(inputs, cov, mu, frontier, cloud, min_var, max_sharpe, tuple(notes))


def _allows_shorts(constraints: Constraints) -> bool:
    lows = [constraints.min_weight] + [lo for lo, _ in constraints.bounds.values() if lo == lo]
    return min(lows) < 0
