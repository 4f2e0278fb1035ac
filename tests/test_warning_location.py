"""cryptofolio's warnings name the line of the user's call, not a line inside the package
(where a decorator such as the BLAS limit would otherwise put them)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cryptofolio.estimate import RiskModel, risk_matrix
from cryptofolio.estimate.conditioning import EstimationWarning, ensure_psd
from cryptofolio.optimize import PortfolioConfig, build_portfolio


def _caught(call) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, EstimationWarning)]


def _short_window() -> pd.DataFrame:
    """30 daily returns of 40 assets: a singular sample covariance, which warns."""
    rng = np.random.default_rng(0)
    cols = [f"A{i}" for i in range(40)]
    return pd.DataFrame(rng.normal(0.0, 0.03, size=(30, 40)), columns=cols)


def test_ill_conditioned_estimate_warns_at_the_callers_line():
    caught = _caught(lambda: risk_matrix(_short_window(), RiskModel.SAMPLE))
    assert caught and all(w.filename == __file__ for w in caught)


def test_psd_repair_warns_at_the_callers_line():
    cov = pd.DataFrame([[1.0, 2.0], [2.0, 1.0]], index=["A", "B"], columns=["A", "B"])
    caught = _caught(lambda: ensure_psd(cov, repair=True))
    assert caught and all(w.filename == __file__ for w in caught)


def test_warning_through_build_portfolio_names_the_callers_line():
    returns = _short_window()
    prices = (1.0 + returns).cumprod() * 100.0
    prices.index = pd.date_range("2024-01-01", periods=len(prices), freq="D", tz="UTC")
    caught = _caught(lambda: build_portfolio(prices, PortfolioConfig()))
    assert caught and all(w.filename == __file__ for w in caught)
