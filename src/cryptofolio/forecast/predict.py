"""Forecasts as optimiser inputs.

The network predicts the *next-period* log return :math:`r_{t+1}` with mean :math:`\\mu` and
standard deviation :math:`\\sigma` (per period). The optimisers of :mod:`cryptofolio.optimize`
take *annualised arithmetic* expected simple returns (the estimate stage's ``mean`` method:
periodic mean x periods per year). The conversion is

.. math::  \\mu_{\\text{annual}} = P \\, (\\exp(\\mu + \\sigma^2/2) - 1)

with :math:`P` = 365 for daily data and 8760 for hourly data: the expected simple return of
a log-normal period, scaled like the historical mean it replaces. It is *not* compounded
(:math:`(1+m)^P - 1` would turn a 1 %-a-day forecast into 3,678 % a year).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cryptofolio.data import Panels
from cryptofolio.forecast.forecaster import Forecaster


def load_forecaster(directory: str | Path, *, device: str = "cpu") -> Forecaster:
    """Load a forecaster saved with :meth:`Forecaster.save` (or ``forecast train``)."""
    return Forecaster.load(directory, device=device)


def forecast_expected_returns(
    forecaster: Forecaster,
    panels: Panels,
    *,
    assets: list[str] | tuple[str, ...] | None = None,
    asof: str | pd.Timestamp | None = None,
) -> pd.Series:
    """Annualised expected returns (fractions) from the forecast made at ``asof``.

    Pass the result as ``expected_returns=`` to
    :func:`cryptofolio.optimize.build_portfolio` or
    :func:`cryptofolio.optimize.optimize_portfolio`.
    """
    return forecaster.predict(panels, assets=assets, asof=asof).expected_returns()
