"""From a price window to weights: estimation choices, objective and constraints in one spec.

:func:`build_portfolio` is the one path from prices to a portfolio; the backtest calls it at
every rebalance with the warm starts of its run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cryptofolio import estimate as est
from cryptofolio.errors import DataError, InfeasibleError
from cryptofolio.optimize.objectives import ObjectiveSpec, objective_from_keywords
from cryptofolio.optimize.problem import Trades
from cryptofolio.optimize.solve import optimize_portfolio
from cryptofolio.optimize.specs import Constraints, Objective, PortfolioResult
from cryptofolio.optimize.warm import WarmStarts


@dataclass(frozen=True)
class PortfolioConfig:
    """A full optimiser configuration: estimation choices + objective + constraints.

    ``objective`` is a registered name (or an :class:`~cryptofolio.optimize.Objective`) whose
    parameters are read from ``risk_aversion`` (δ of ``max μ'w - (δ/2) w'Σw``; default 1) or
    ``risk_tolerance`` (λ = 1/δ; when set, ``risk_aversion`` must keep its default),
    ``target_return``, ``target_volatility`` and ``cvar_alpha``, or an objective spec carrying
    its own parameters (``HierarchicalRiskParity(linkage="ward")``, ``RiskBudgeting(...)``). Rates are annualised
    fractions; ``periods_per_year`` ``None`` infers it from the data (365 daily, 8760 hourly).
    """

    objective: Objective | str | ObjectiveSpec = Objective.MIN_VARIANCE
    risk_model: est.RiskModel = est.RiskModel.SAMPLE
    expected_returns: est.ExpectedReturnsMethod = est.ExpectedReturnsMethod.MEAN
    returns_kind: est.ReturnsKind = est.ReturnsKind.SIMPLE
    constraints: Constraints = Constraints()  # noqa: RUF009 - frozen, shared safely
    risk_free_rate: float = 0.0
    risk_aversion: float = 1.0
    risk_tolerance: float | None = None
    target_return: float | None = None
    target_volatility: float | None = None
    cvar_alpha: float = 0.95
    periods_per_year: float | None = None

    def objective_spec(self) -> ObjectiveSpec:
        """The objective as a spec with its parameters."""
        if isinstance(self.objective, ObjectiveSpec):
            return self.objective
        name = self.objective.value if isinstance(self.objective, Objective) else self.objective
        if self.risk_tolerance is not None and self.risk_aversion != 1.0:
            raise InfeasibleError(
                f"give risk_aversion (δ = {self.risk_aversion:g}) or risk_tolerance "
                f"(λ = {self.risk_tolerance:g}), not both"
            )
        return objective_from_keywords(
            name,
            risk_aversion=self.risk_aversion if self.risk_tolerance is None else None,
            risk_tolerance=self.risk_tolerance,
            target_return=self.target_return,
            target_volatility=self.target_volatility,
            cvar_alpha=self.cvar_alpha,
        )


def _check_price_window(prices: pd.DataFrame) -> None:
    """A wide window with a price for every asset on every row, and at least 3 rows."""
    if not isinstance(prices, pd.DataFrame) or prices.shape[1] == 0:
        raise DataError("prices must be a wide DataFrame with one column per asset")
    bad = ~np.isfinite(prices.to_numpy(dtype=float))
    if bad.any():
        cols = [str(prices.columns[j]) for j in np.flatnonzero(bad.any(axis=0))]
        first = prices.index[int(np.flatnonzero(bad.any(axis=1))[0])]
        raise DataError(
            f"prices have missing values for {', '.join(cols)} (first at {first}); choose "
            "a window where every asset has data (or drop those assets)"
        )
    if prices.shape[0] < 3:
        raise DataError(f"need at least 3 price rows to estimate, got {prices.shape[0]}")


def build_portfolio(
    prices: pd.DataFrame,
    config: PortfolioConfig = PortfolioConfig(),
    *,
    expected_returns: pd.Series | None = None,
    previous_weights: pd.Series | None = None,
    transaction_cost: float | pd.Series = 0.0,
    max_turnover: float | None = None,
    warm_starts: WarmStarts | None = None,
) -> PortfolioResult:
    """Estimate from a wide price window (no NaN) and optimise with ``config``.

    Parameters
    ----------
    prices
        Wide prices, rows = UTC timestamps, columns = assets; every price positive and finite.
    config
        Estimation choices, objective and constraints.
    expected_returns
        Annualised fractions that replace the estimate of ``config.expected_returns`` (views,
        forecasts).
    previous_weights, transaction_cost, max_turnover
        Turnover-aware optimisation (see :class:`~cryptofolio.optimize.problem.Trades`).
    warm_starts
        The caller's :class:`WarmStarts` (a backtest's, for its run); ``None``: a cold start.

    Raises
    ------
    DataError
        The price window has NaN (names the assets and the first date) or fewer than 3 rows.
    """
    _check_price_window(prices)
    ppy = config.periods_per_year
    if ppy is None:
        ppy = est.infer_periods_per_year(prices.index)
    rets = est.returns_from_prices(prices, config.returns_kind)  # names a non-positive price
    cov = est.risk_matrix(rets, config.risk_model, periods_per_year=ppy)
    spec = config.objective_spec()
    mu = expected_returns
    if mu is None:
        mu = est.expected_returns(
            rets, config.expected_returns, periods_per_year=ppy, kind=config.returns_kind
        )
    trades = Trades(previous_weights, transaction_cost, max_turnover)
    return optimize_portfolio(
        cov,
        mu,
        objective=spec,
        constraints=config.constraints,
        risk_free_rate=config.risk_free_rate,
        returns=rets,
        periods_per_year=ppy,
        trades=trades,
        warm_starts=warm_starts,
    )
