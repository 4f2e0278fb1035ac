"""Matplotlib pictures of a backtest for notebooks (``result.plot()``): equity curves on a log
scale, drawdowns in percent, or one strategy's weights stacked over time.

Without an ``ax`` a new :class:`~matplotlib.figure.Figure` is made without pyplot (no global
state; a notebook shows the returned Axes' figure); the Axes is returned either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import FuncFormatter, PercentFormatter

from cryptofolio.backtest.metrics import drawdown_series
from cryptofolio.errors import CryptofolioError
from cryptofolio.report.analytics_figures import log_ticks, short_number
from cryptofolio.report.backtest_report import CASH_COLOR
from cryptofolio.report.plots import _new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from cryptofolio.backtest.results import BacktestResult

PLOT_KINDS = ("equity", "drawdown", "weights")


def plot_backtest(result: BacktestResult, kind: str = "equity", ax: Axes | None = None) -> Axes:
    """Draw ``kind`` (one of :data:`PLOT_KINDS`) of ``result`` on ``ax`` (or a new figure)."""
    if kind not in PLOT_KINDS:
        raise CryptofolioError(f"plot kind {kind!r} unknown; use one of {', '.join(PLOT_KINDS)}")
    if ax is None:
        ax = _new_figure(10, 5).add_subplot()
    if kind == "equity":
        _equity(result, ax)
    elif kind == "drawdown":
        _drawdown(result, ax)
    else:
        _weights(result, ax)
    ax.grid(True, alpha=0.3)
    return ax


def _equity(result: BacktestResult, ax: Axes) -> None:
    for name, res in result.strategies.items():
        ax.plot(res.equity.index, res.equity.to_numpy(dtype=float), lw=1.3, label=name)
    ax.set_yscale("log")
    values = result.equity().to_numpy(dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if len(values):
        ax.set_yticks(log_ticks(float(values.min()), float(values.max())))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: short_number(v)))
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_ylabel("portfolio value (quote currency, log scale)")
    ax.set_title("Equity curves (after costs)")
    ax.legend(fontsize=8)


def _drawdown(result: BacktestResult, ax: Axes) -> None:
    for name, res in result.strategies.items():
        dd = drawdown_series(res.equity, res.initial_capital)
        ax.plot(dd.index, dd.to_numpy(), lw=1.0, label=name)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.set_ylabel("drawdown from the running peak (%)")
    ax.set_title("Drawdowns")
    ax.legend(fontsize=8)


def _weights(result: BacktestResult, ax: Axes) -> None:
    name, res = next(iter(result.strategies.items()))
    w = res.weights.fillna(0.0)
    assets = [c for c in w.columns if c != "cash"]
    ax.stackplot(
        w.index,
        *[w[c].to_numpy() for c in assets],
        w["cash"].to_numpy(),
        labels=[*assets, "cash"],
        colors=[*_asset_colors(len(assets)), CASH_COLOR],
    )
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.set_ylabel("weight (% of equity)")
    ax.set_title(f"Weights of {name} (end of period; cash in sand)")
    ax.legend(fontsize=7, ncol=2, loc="upper left")


def _asset_colors(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return [cmap(k % 20) for k in range(n)]
