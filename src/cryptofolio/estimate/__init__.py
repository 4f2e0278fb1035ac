"""The estimate stage: returns, risk models (covariances) and expected returns.

Contract (filled in by the estimation work; signatures are fixed):

* inputs are *periodic* returns (a DataFrame, rows = UTC timestamps, columns = assets, no NaN
  inside the window used) and ``periods_per_year`` (365 daily, 24*365 hourly);
* every covariance is annualised, labelled, symmetric and PSD;
* every expected-return vector is annualised, as fractions (0.12 = 12 % a year).
"""

from __future__ import annotations

from enum import StrEnum

import pandas as pd


class ReturnsKind(StrEnum):
    SIMPLE = "simple"
    LOG = "log"


class RiskModel(StrEnum):
    SAMPLE = "sample"
    EXPONENTIAL = "exponential"
    LEDOIT_WOLF = "ledoit-wolf"
    OAS = "oas"
    MCD = "mcd"
    SEMICOVARIANCE = "semicovariance"


class ExpectedReturnsMethod(StrEnum):
    MEAN = "mean"
    COMPOUNDED = "compounded"
    EMA = "ema"


def infer_periods_per_year(index: pd.DatetimeIndex) -> float:
    """365 for daily data, 24*365 for hourly, inferred from the median spacing."""
    raise NotImplementedError


def returns_from_prices(
    prices: pd.DataFrame, kind: ReturnsKind = ReturnsKind.SIMPLE
) -> pd.DataFrame:
    """Periodic returns from a wide price frame (first row dropped, NaN kept where prices are NaN)."""
    raise NotImplementedError


def risk_matrix(
    returns: pd.DataFrame, model: RiskModel = RiskModel.SAMPLE, *, periods_per_year: float = 365.0
) -> pd.DataFrame:
    """Annualised covariance of periodic ``returns`` with the chosen model."""
    raise NotImplementedError


def expected_returns(
    returns: pd.DataFrame,
    method: ExpectedReturnsMethod = ExpectedReturnsMethod.MEAN,
    *,
    periods_per_year: float = 365.0,
) -> pd.Series:
    """Annualised expected returns (fractions) of periodic ``returns``."""
    raise NotImplementedError
