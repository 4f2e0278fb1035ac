"""The report stage of cryptofolio: pictures (:mod:`cryptofolio.report.plots`) and HTML reports
(:mod:`cryptofolio.report.backtest_report`, :mod:`cryptofolio.report.sweep_report`).

The picture functions are imported on first use (matplotlib is slow to import), so that
``cryptofolio.report.html_page`` and the CLI's option types load quickly.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptofolio.report.plots import (
        MarkedPortfolios,
        plot_correlation,
        plot_covariance,
        plot_efficient_frontier,
        plot_expected_returns,
        plot_weights,
        save_figure,
    )

__all__ = [
    "MarkedPortfolios",
    "plot_correlation",
    "plot_covariance",
    "plot_efficient_frontier",
    "plot_expected_returns",
    "plot_weights",
    "save_figure",
]


def __getattr__(name: str) -> object:
    if name in __all__:
        return getattr(import_module("cryptofolio.report.plots"), name)
    raise AttributeError(f"module 'cryptofolio.report' has no attribute {name!r}")
