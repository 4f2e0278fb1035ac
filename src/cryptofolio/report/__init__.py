"""The report stage of cryptofolio: pictures (:mod:`cryptofolio.report.plots`)."""

from __future__ import annotations

from cryptofolio.report.plots import (
    plot_correlation,
    plot_covariance,
    plot_efficient_frontier,
    plot_expected_returns,
    plot_weights,
    save_figure,
)

__all__ = [
    "plot_correlation",
    "plot_covariance",
    "plot_efficient_frontier",
    "plot_expected_returns",
    "plot_weights",
    "save_figure",
]
