"""The estimate stage: returns, risk models (covariances) and expected returns.

Contract (signatures of the four main functions are fixed; extra keyword-only options added):

* inputs are *periodic* returns (a DataFrame, rows = UTC timestamps, columns = assets, no NaN
  inside the window used) and ``periods_per_year`` (365 daily, 24*365 hourly);
* every covariance is annualised, labelled, symmetric and PSD;
* every expected-return vector is annualised, as fractions (0.12 = 12 % a year).

Modules: :mod:`~cryptofolio.estimate.frequency` (annualisation factor),
:mod:`~cryptofolio.estimate.returns` (returns from prices, excess, cumulative, average),
:mod:`~cryptofolio.estimate.windows` (common window of a ragged panel, window checks),
:mod:`~cryptofolio.estimate.risk_models` (covariances, correlation, volatilities),
:mod:`~cryptofolio.estimate.expected_returns` (mean, compounded, EMA, views),
:mod:`~cryptofolio.estimate.conditioning` (PSD check/repair, ill-conditioning warnings),
:mod:`~cryptofolio.estimate.black_litterman` and :mod:`~cryptofolio.estimate.views` (a market
prior blended with investor views), :mod:`~cryptofolio.estimate.black_litterman_views` (views
as an estimation choice of an optimiser configuration, point in time).
"""

from __future__ import annotations

from cryptofolio.estimate.black_litterman import (
    BlackLitterman,
    BlackLittermanPosterior,
    OmegaMethod,
    black_litterman_posterior_at,
)
from cryptofolio.estimate.black_litterman_views import BlackLittermanViews
from cryptofolio.estimate.conditioning import (
    EstimationWarning,
    conditioning_problems,
    ensure_psd,
    is_psd,
    min_eigenvalue,
)
from cryptofolio.estimate.expected_returns import (
    ExpectedReturnsMethod,
    compounded_return,
    ema_return,
    expected_return_values,
    expected_returns,
    mean_return,
    validate_views,
)
from cryptofolio.estimate.frequency import infer_periods_per_year
from cryptofolio.estimate.given_returns import GivenReturns, read_given_returns
from cryptofolio.estimate.returns import (
    ReturnsKind,
    average_returns,
    cumulative_returns,
    demeaned_returns,
    excess_returns,
    geometric_average_returns,
    log_to_simple,
    periodic_rate,
    returns_from_prices,
    returns_of_price_values,
    simple_to_log,
)
from cryptofolio.estimate.risk_models import (
    CovarianceOptions,
    RiskModel,
    correlation_matrix,
    covariance_of_values,
    exponential_covariance,
    ledoit_wolf_covariance,
    ledoit_wolf_shrinkage,
    mcd_covariance,
    oas_covariance,
    risk_matrix,
    sample_covariance,
    semicovariance,
    standard_deviations,
)
from cryptofolio.estimate.views import Views, read_views
from cryptofolio.estimate.windows import (
    Window,
    check_returns_window,
    column_means,
    common_window,
    market_window,
)

__all__ = [
    "BlackLitterman",
    "BlackLittermanPosterior",
    "BlackLittermanViews",
    "CovarianceOptions",
    "EstimationWarning",
    "ExpectedReturnsMethod",
    "GivenReturns",
    "OmegaMethod",
    "ReturnsKind",
    "RiskModel",
    "Views",
    "Window",
    "average_returns",
    "black_litterman_posterior_at",
    "check_returns_window",
    "column_means",
    "common_window",
    "compounded_return",
    "conditioning_problems",
    "correlation_matrix",
    "covariance_of_values",
    "cumulative_returns",
    "demeaned_returns",
    "ema_return",
    "ensure_psd",
    "excess_returns",
    "expected_return_values",
    "expected_returns",
    "exponential_covariance",
    "geometric_average_returns",
    "infer_periods_per_year",
    "is_psd",
    "ledoit_wolf_covariance",
    "ledoit_wolf_shrinkage",
    "log_to_simple",
    "market_window",
    "mcd_covariance",
    "mean_return",
    "min_eigenvalue",
    "oas_covariance",
    "periodic_rate",
    "read_given_returns",
    "read_views",
    "returns_from_prices",
    "returns_of_price_values",
    "risk_matrix",
    "sample_covariance",
    "semicovariance",
    "simple_to_log",
    "standard_deviations",
    "validate_views",
]
