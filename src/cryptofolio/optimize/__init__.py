"""The optimize stage: portfolio objectives and constraints, frontier, random portfolios.

Units: ``covariance`` and ``expected_returns`` are annualised fractions; ``returns`` (scenario
matrix for min-semivariance, max-sortino and min-cvar) are periodic. See docs/optimization.md
for the formulations, the solvers and how each solution is verified.

Contract (names and fields are fixed; fields with defaults may be added).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cryptofolio.errors import DataError
from cryptofolio.estimate import ExpectedReturnsMethod, ReturnsKind, RiskModel
from cryptofolio.optimize._frontier import Frontier, efficient_frontier
from cryptofolio.optimize._random import best_random_portfolio, random_portfolios
from cryptofolio.optimize._solve import clear_warm_starts, optimize_portfolio
from cryptofolio.optimize._types import Constraints, Objective, PortfolioResult

__all__ = [
    "Constraints",
    "Frontier",
    "Objective",
    "PortfolioConfig",
    "PortfolioResult",
    "best_random_portfolio",
    "build_portfolio",
    "clear_warm_starts",
    "efficient_frontier",
    "optimize_portfolio",
    "random_portfolios",
]


@dataclass(frozen=True)
class PortfolioConfig:
    """A full optimiser configuration: estimation choices + objective + constraints."""

    objective: Objective = Objective.MIN_VARIANCE
    risk_model: RiskModel = RiskModel.SAMPLE
    expected_returns: ExpectedReturnsMethod = ExpectedReturnsMethod.MEAN
    returns_kind: ReturnsKind = ReturnsKind.SIMPLE
    constraints: Constraints = Constraints()  # noqa: RUF009 - frozen, shared safely
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
    """Estimate from a wide price window (no NaN) and optimise with ``config``.

    ``expected_returns`` (annualised fractions), when given, replaces the estimate of
    ``config.expected_returns`` (views, forecasts).

    Raises
    ------
    DataError
        The price window has NaN (names the assets and the first date) or fewer than 3 rows.
    """
    return _build_portfolio(
        prices,
        config,
        expected_returns=expected_returns,
        previous_weights=previous_weights,
        transaction_cost=transaction_cost,
        max_turnover=max_turnover,
    )


def _build_portfolio(
    prices: pd.DataFrame,
    config: PortfolioConfig,
    *,
    expected_returns: pd.Series | None = None,
    previous_weights: pd.Series | None = None,
    transaction_cost: float | pd.Series = 0.0,
    max_turnover: float | None = None,
    weights_only: bool = False,
) -> PortfolioResult:
    """:func:`build_portfolio`; with ``weights_only``, for a caller that reads nothing but the
    weights (the backtest's optimiser strategy), the expected returns are not estimated
    where the solver does not use them and their estimate could not fail: minimum variance
    on the sample covariance with mean returns. The weights are the same to the bit; the
    result's ``expected_return`` and ``sharpe`` are NaN there.

    Why the estimate could not fail: once the sample covariance is computed, the returns are
    a usable window (unique assets, no NaN or infinite value, ``periods_per_year`` positive),
    and their sums are finite (an overflowing mean needs returns whose squares overflow the
    covariance), so the mean estimate is finite and passes the optimiser's checks.
    """
    from cryptofolio import estimate as est
    from cryptofolio.estimate.expected_returns import mean_return_of_values
    from cryptofolio.estimate.returns import check_prices, price_ratios, returns_from_ratios

    if not isinstance(prices, pd.DataFrame) or prices.shape[1] == 0:
        raise DataError("prices must be a wide DataFrame with one column per asset")
    values = prices.to_numpy(dtype=float)
    # the price ratios the returns are made of; whether every price is positive and finite is
    # read from them (the usual window), otherwise the element-wise checks name what is wrong
    ratio, clean = price_ratios(values)
    if not clean:
        bad = ~np.isfinite(values)
        if bad.any():
            cols = [str(prices.columns[j]) for j in np.flatnonzero(bad.any(axis=0))]
            first = prices.index[int(np.flatnonzero(bad.any(axis=1))[0])]
            raise DataError(
                f"prices have missing values for {', '.join(cols)} (first at {first}); choose "
                "a window where every asset has data (or drop those assets)"
            )
    if prices.shape[0] < 3:
        raise DataError(f"need at least 3 price rows to estimate, got {prices.shape[0]}")
    ppy = config.periods_per_year
    if ppy is None:
        ppy = est.infer_periods_per_year(prices.index)
    if not clean:  # what returns_from_prices checks (a non-positive price)
        check_prices(prices, values)
    rets = returns_from_ratios(ratio, prices, config.returns_kind)  # ratio: returns
    cov = est.risk_matrix(rets, config.risk_model, periods_per_year=ppy)
    mu = expected_returns
    mean_method = config.expected_returns == est.ExpectedReturnsMethod.MEAN
    unused = (
        weights_only
        and mean_method
        and config.objective == Objective.MIN_VARIANCE
        and config.risk_model == est.RiskModel.SAMPLE
        and isinstance(ppy, int | float)
    )
    if mu is None and not unused:  # (unused: see the docstring)
        if mean_method:
            mu = mean_return_of_values(ratio, rets, ppy)  # from the array at hand
        if mu is None:
            mu = est.expected_returns(
                rets, config.expected_returns, periods_per_year=ppy, kind=config.returns_kind
            )
    return optimize_portfolio(
        cov,
        mu,
        objective=config.objective,
        constraints=config.constraints,
        risk_free_rate=config.risk_free_rate,
        risk_aversion=config.risk_aversion,
        target_return=config.target_return,
        target_volatility=config.target_volatility,
        returns=rets,
        cvar_alpha=config.cvar_alpha,
        periods_per_year=ppy,
        previous_weights=previous_weights,
        transaction_cost=transaction_cost,
        max_turnover=max_turnover,
    )
