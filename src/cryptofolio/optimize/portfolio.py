"""From a price window to weights: estimation choices, objective and constraints in one spec.

:func:`build_portfolio` is the one path from prices to a portfolio; the backtest calls it at
every rebalance with the warm starts of its run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cryptofolio import estimate as est
from cryptofolio.errors import DataError, EstimationError, InfeasibleError
from cryptofolio.estimate.black_litterman_views import posterior_of_window
from cryptofolio.optimize.inputs import align_series, asset_labels
from cryptofolio.optimize.objectives import (
    AllocatorSettings,
    ObjectiveSpec,
    objective_from_keywords,
)
from cryptofolio.optimize.problem import Trades, problem_of_values, result_index
from cryptofolio.optimize.solve import solve_problem
from cryptofolio.optimize.specs import Constraints, Objective, PortfolioResult
from cryptofolio.optimize.warm import WarmStarts

#: Largest annual rate (fraction; 10 = 1,000 % a year) a risk-free rate can plausibly be.
MAX_ANNUAL_RATE = 10.0
#: Most periods a year an annualisation factor can be (about one bar every 3 seconds).
MAX_PERIODS_PER_YEAR = 1e7


@dataclass(frozen=True)
class PortfolioConfig:
    """A full optimiser configuration: estimation choices + objective + constraints.

    ``objective`` is a registered name (or an :class:`~cryptofolio.optimize.Objective`) whose
    parameters are read from ``risk_aversion`` (δ of ``max μ'w - (δ/2) w'Σw``; default 1) or
    ``risk_tolerance`` (λ = 1/δ; when set, ``risk_aversion`` must keep its default),
    ``target_return``, ``target_volatility`` and ``cvar_alpha``, or an objective spec carrying
    its own parameters (``HierarchicalRiskParity(linkage="ward")``, ``RiskBudgeting(...)``). Rates are annualised
    fractions; ``periods_per_year`` ``None`` infers it from the data (365 daily, 8760 hourly).
    ``black_litterman``: the views and parameters of ``expected_returns="black-litterman"``
    (:class:`~cryptofolio.estimate.BlackLittermanViews`; the market caps come with the data,
    see :func:`build_portfolio`). ``allocator``: the settings of hrp, herc and risk-parity
    (linkage, distance, leaf order, risk measure, clusters, risk budgets) for whichever of them
    ``objective`` names; HERC's and HRP's CVaR is at ``cvar_alpha``. ``given_returns``:
    annualised expected returns from outside (:func:`~cryptofolio.estimate.read_given_returns`:
    a ``forecast predict`` JSON, a CSV of ``asset,return``) used instead of the estimator of
    ``expected_returns``; every asset of the window needs one.
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
    black_litterman: est.BlackLittermanViews | None = None
    given_returns: est.GivenReturns | None = None
    allocator: AllocatorSettings = AllocatorSettings()  # noqa: RUF009 - frozen, shared safely

    def __post_init__(self) -> None:
        bl = est.ExpectedReturnsMethod.BLACK_LITTERMAN
        if self.black_litterman is not None and self.expected_returns != bl:
            raise EstimationError(
                f"black_litterman views are given but expected_returns is "
                f"{str(self.expected_returns)!r}: set expected_returns='black-litterman' "
                "(--expected-returns black-litterman) or drop the views"
            )
        if self.given_returns is not None and self.black_litterman is not None:
            raise EstimationError(
                "expected returns are given (a file) and black-litterman views too: give one"
            )
        rate = self.risk_free_rate
        if not (np.isfinite(rate) and abs(rate) <= MAX_ANNUAL_RATE):
            raise EstimationError(
                f"--risk-free-rate {rate:g} is implausible: give an annual fraction "
                f"(0.04 = 4 %) between -{MAX_ANNUAL_RATE:g} and {MAX_ANNUAL_RATE:g}"
            )
        ppy = self.periods_per_year
        if ppy is not None and not (np.isfinite(ppy) and 0 < ppy <= MAX_PERIODS_PER_YEAR):
            raise EstimationError(
                f"--periods-per-year {ppy:g} is implausible: give a positive number of periods "
                f"a year of at most {MAX_PERIODS_PER_YEAR:g} (365 daily, 8760 hourly, 525600 "
                "minute bars)"
            )

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
            cvar_beta=self.cvar_alpha,
            **self.allocator.keywords(),
        )


def _price_window_values(prices: pd.DataFrame) -> np.ndarray:
    """The values of a wide window with a price for every asset on every row, at least 3 rows
    and no repeated asset (a float array)."""
    if not isinstance(prices, pd.DataFrame) or prices.shape[1] == 0:
        raise DataError("prices must be a wide DataFrame with one column per asset")
    values = prices.to_numpy(dtype=float)
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
    if prices.columns.has_duplicates:
        dup = sorted(set(prices.columns[prices.columns.duplicated()].astype(str)))
        raise DataError(f"prices have duplicate assets: {', '.join(dup)}; keep one column each")
    return values


def _posterior(
    config: PortfolioConfig,
    x: np.ndarray,
    prices: pd.DataFrame,
    cov: np.ndarray,
    market_caps: pd.DataFrame | None,
    ppy: float,
) -> est.BlackLittermanPosterior:
    """The Black-Litterman posterior of the window under ``config.black_litterman``."""
    if config.black_litterman is None:
        raise EstimationError(
            "expected_returns='black-litterman' needs views: PortfolioConfig(black_litterman="
            "BlackLittermanViews(read_views(FILE))) or --views FILE (TOML or CSV; see "
            "examples/views.toml)"
        )
    return posterior_of_window(
        config.black_litterman,
        x,
        prices,
        cov,
        market_caps,
        risk_free_rate=config.risk_free_rate,
        periods_per_year=ppy,
    )


def build_portfolio(
    prices: pd.DataFrame,
    config: PortfolioConfig = PortfolioConfig(),
    *,
    expected_returns: pd.Series | None = None,
    previous_weights: pd.Series | None = None,
    transaction_cost: float | pd.Series = 0.0,
    max_turnover: float | None = None,
    warm_starts: WarmStarts | None = None,
    market_caps: pd.DataFrame | None = None,
) -> PortfolioResult:
    """Estimate from a wide price window (no NaN) and optimise with ``config``.

    The estimates are the array kernels of the estimate stage (the values of
    :func:`~cryptofolio.estimate.returns_from_prices`,
    :func:`~cryptofolio.estimate.risk_matrix` and
    :func:`~cryptofolio.estimate.expected_returns`), solved as
    :func:`~cryptofolio.optimize.optimize_portfolio` solves: the same answers as those calls
    in turn, labelled once at the end.

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
    market_caps
        Market caps (USD; rows = UTC timestamps, columns = assets) for
        ``expected_returns="black-litterman"``: the prior reads the last row at or before the
        window's last timestamp (point in time: later rows are never read), δ (unless given)
        the cap-weighted proxy of the window with each period's previous caps. An objective
        that uses no expected returns (min-variance, hrp...) computes no posterior: its
        result's expected return and Sharpe ratio are NaN.

    Raises
    ------
    DataError
        The price window has NaN (names the assets and the first date), fewer than 3 rows or
        a repeated asset; black-litterman without views, or with caps missing or zero
        (names the assets and the date).
    """
    values = _price_window_values(prices)
    ppy = config.periods_per_year
    if ppy is None:
        ppy = est.infer_periods_per_year(prices.index)
    spec = config.objective_spec()
    spec.validate()
    x = est.returns_of_price_values(values, prices, config.returns_kind)  # names a bad price
    mean = est.column_means(x)
    names = prices.columns
    cov = est.covariance_of_values(x, mean, names, config.risk_model, ppy)
    assets = asset_labels(names)
    index = result_index(names, assets)
    if expected_returns is None and config.given_returns is not None:
        expected_returns = config.given_returns.for_assets(assets)
    if expected_returns is not None:
        need = spec.uses_expected_returns
        mu = align_series(expected_returns, assets, "expected returns", required=need, index=index)
    elif config.expected_returns == est.ExpectedReturnsMethod.BLACK_LITTERMAN:
        mu = None  # an objective without expected returns: no posterior (NaN return)
        if spec.uses_expected_returns:
            mu = _posterior(config, x, prices, cov, market_caps, ppy).mean.to_numpy()
    else:
        mu = est.expected_return_values(
            x, mean, names, config.expected_returns, ppy, config.returns_kind
        )
    pb = problem_of_values(assets, index, cov, mu, config.constraints, config.risk_free_rate)
    pb.periods_per_year = float(ppy)
    if spec.uses_scenarios:
        pb.scenarios = x  # the window's returns: aligned and finite
    trades = Trades(previous_weights, transaction_cost, max_turnover)
    return solve_problem(pb, spec, trades=trades, warm_starts=warm_starts)
