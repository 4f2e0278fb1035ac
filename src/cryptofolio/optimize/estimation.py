"""What a portfolio is estimated from: a price window's periodic returns, the annualisation
factor actually used, and the annualised moments under a :class:`PortfolioConfig`.

Figures are annualised fractions (``periods_per_year``: 365 for daily data, 8760 hourly);
covariances are ``n x n`` frames and expected returns ``n`` series, labelled by asset.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cryptofolio.errors import DataError, InfeasibleError
from cryptofolio.estimate import (
    Window,
    expected_returns,
    infer_periods_per_year,
    returns_from_prices,
    risk_matrix,
)
from cryptofolio.optimize.objectives.hierarchical import ClusterTree, HierarchicalSpec
from cryptofolio.optimize.portfolio import PortfolioConfig


@dataclass(frozen=True)
class EstimationInputs:
    """The window, its periodic returns (``T x n``) and the annualisation factor used."""

    window: Window
    returns: pd.DataFrame
    periods_per_year: float


def estimation_inputs(window: Window, config: PortfolioConfig) -> EstimationInputs:
    """Periodic returns of ``window`` (``config.returns_kind``) and the annualisation factor
    (``config.periods_per_year``, or inferred from the timestamps when ``None``).

    Raises
    ------
    DataError
        If the factor is not positive (names ``--periods-per-year``).
    """
    ppy = config.periods_per_year or infer_periods_per_year(window.prices.index)
    if ppy <= 0:
        raise DataError(f"--periods-per-year must be positive, got {ppy}")
    returns = returns_from_prices(window.prices, config.returns_kind)
    return EstimationInputs(window=window, returns=returns, periods_per_year=float(ppy))


def estimate_moments(
    inputs: EstimationInputs, config: PortfolioConfig
) -> tuple[pd.DataFrame, pd.Series]:
    """Annualised covariance (``n x n``) and expected returns (``n``) with the configured
    estimators."""
    cov = risk_matrix(inputs.returns, config.risk_model, periods_per_year=inputs.periods_per_year)
    mu = expected_returns(
        inputs.returns,
        config.expected_returns,
        periods_per_year=inputs.periods_per_year,
        kind=config.returns_kind,
    )
    if config.given_returns is not None:  # a forecast or one's own figures, from a file
        mu = config.given_returns.for_assets([str(a) for a in cov.columns])
    return cov, mu


def cluster_tree(inputs: EstimationInputs, config: PortfolioConfig) -> ClusterTree:
    """The clustering the hierarchical objective of ``config`` (hrp, herc) builds on these
    inputs: the covariance of ``config.risk_model``, the periodic returns, its linkage,
    distance and leaf order (for :func:`cryptofolio.report.dendrogram.plot_dendrogram`).

    Raises
    ------
    InfeasibleError
        The objective is not a hierarchical allocator (it builds no tree).
    """
    spec = config.objective_spec()
    if not isinstance(spec, HierarchicalSpec):
        raise InfeasibleError(
            f"a cluster tree needs a hierarchical objective (hrp, herc), not {spec.name}"
        )
    cov = risk_matrix(inputs.returns, config.risk_model, periods_per_year=inputs.periods_per_year)
    assets = [str(a) for a in cov.columns]
    returns = inputs.returns[cov.columns].to_numpy(dtype=float)
    return spec.tree(cov.to_numpy(dtype=float), returns, assets)
