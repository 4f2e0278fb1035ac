"""Weights straight from a price array: what :func:`cryptofolio.optimize.build_portfolio` gives,
without the pandas frames in between, for a caller that reads only the weights.

A walk-forward backtest asks for a portfolio at every rebalance, on a window of prices it
holds as arrays. Through :func:`~cryptofolio.optimize.build_portfolio` that is a prices frame,
a returns frame, a covariance frame and their checks before the solver starts, which at a few
dozen assets cost more than the arithmetic they carry. :func:`window_weights` runs
the same functions on the arrays (price ratios, returns, the covariance estimator, the problem
and its solve), so the weights are the same to the bit (the tests compare them), and leaves
every unusual window to ``build_portfolio``: it answers ``None`` where an input needs a check
that names what is wrong, or a warning, and the caller then takes the general path, which
raises or warns exactly as it always does.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cryptofolio._blas import single_blas_thread
from cryptofolio.errors import EstimationError
from cryptofolio.estimate import ExpectedReturnsMethod, RiskModel
from cryptofolio.estimate.conditioning import problems_of_values
from cryptofolio.estimate.frequency import periods_of_spacing, regular_spacing_of_ticks
from cryptofolio.estimate.returns import price_ratios, returns_of_ratios
from cryptofolio.estimate.risk_models import covariance_values
from cryptofolio.estimate.windows import column_means
from cryptofolio.optimize._inputs import asset_labels, check_covariance_values
from cryptofolio.optimize._solve import (
    NO_MU_OBJECTIVES,
    QP_OBJECTIVES,
    problem_of_values,
    result_index,
    solve_problem,
)
from cryptofolio.optimize._types import Objective

if TYPE_CHECKING:
    from cryptofolio.optimize import PortfolioConfig

#: Covariance estimators the lane computes itself (the others go through ``risk_matrix``).
LANE_RISK_MODELS = frozenset({RiskModel.SAMPLE, RiskModel.LEDOIT_WOLF})


@single_blas_thread
def window_weights(
    values: np.ndarray,
    ticks: np.ndarray,
    unit: str,
    columns: pd.Index,
    config: PortfolioConfig,
) -> pd.Series | None:
    """The weights of ``build_portfolio(prices, config)`` for a price window ``prices``, or
    ``None`` (then call ``build_portfolio``).

    Parameters
    ----------
    values
        The window's prices, rows = timestamps, columns = assets: the array
        ``prices.to_numpy(dtype=float)`` gives (its memory layout included: the estimators'
        sums, hence the last bits, depend on it). Read only.
    ticks, unit
        The window's timestamps as integers (``prices.index.asi8``) and their unit
        (``prices.index.unit``), for the annualisation when ``config`` does not give it.
    columns
        The assets (``prices.columns``); the weights are indexed by it.
    config
        The optimiser configuration.

    Returns
    -------
    pandas.Series or None
        Weights (fractions of equity) named ``weight``; ``None`` where the lane does not apply:
        objectives that need the scenarios (min-semivariance, max-sortino, min-cvar), risk
        models other than sample and Ledoit-Wolf, expected returns other than the mean;
        windows with a missing or non-positive price, fewer than 3 rows, repeated assets or
        irregular timestamps; an estimate that ``build_portfolio`` would warn about or refuse.
    """
    objective = Objective(config.objective)  # a config may hold the plain strings
    risk_model = RiskModel(config.risk_model)
    if (
        objective not in QP_OBJECTIVES
        or risk_model not in LANE_RISK_MODELS
        or config.expected_returns != ExpectedReturnsMethod.MEAN
        or values.ndim != 2
        or values.shape[0] < 3
        or values.shape[1] == 0
        or not columns.is_unique
    ):
        return None
    ratio, clean = price_ratios(values)
    if not clean:
        return None
    ppy = config.periods_per_year
    if ppy is None:
        spacing = regular_spacing_of_ticks(ticks, unit)
        if spacing is None:
            return None
        ppy = periods_of_spacing(spacing)
    ppy = float(ppy)
    if not (math.isfinite(ppy) and ppy > 0):
        return None
    x = returns_of_ratios(ratio, config.returns_kind)
    mean = column_means(x)
    if not np.isfinite(mean).all():
        return None
    try:
        S, _ = covariance_values(x, mean, risk_model, ppy)
    except EstimationError:
        return None  # build_portfolio raises it
    if risk_model is RiskModel.SAMPLE and problems_of_values(x.shape[0], S, columns):
        return None  # build_portfolio warns (and names the problem)
    assets = asset_labels(columns)
    try:
        S = check_covariance_values(S, assets)  # (the optimiser's own check of its input)
    except EstimationError:
        return None  # build_portfolio raises it
    index = result_index(columns, assets)
    mu = None if objective in NO_MU_OBJECTIVES else mean * ppy
    pb = problem_of_values(assets, index, S, mu, config.constraints, config.risk_free_rate)
    result = solve_problem(
        pb,
        objective,
        risk_aversion=config.risk_aversion,
        target_return=config.target_return,
        target_volatility=config.target_volatility,
        cvar_alpha=config.cvar_alpha,
        periods_per_year=ppy,
    )
    return result.weights
