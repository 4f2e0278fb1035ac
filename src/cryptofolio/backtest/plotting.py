"""Matplotlib pictures of a backtest for notebooks (``result.plot()``): equity curves on a log
scale, drawdowns in percent, or one strategy's weights stacked over time; and the log-axis
ticks (1-2-5 steps labelled ``10k, 20k, 50k``) that the HTML report uses too.

Without an ``ax`` a new :class:`~matplotlib.figure.Figure` is made without pyplot (no global
state; a notebook shows the returned Axes' figure); the Axes is returned either way.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import FuncFormatter, PercentFormatter

from cryptofolio.backtest.metrics import drawdown_series
from cryptofolio.errors import CryptofolioError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from cryptofolio.backtest.results import BacktestResult

PLOT_KINDS = ("equity", "drawdown", "weights")
#: cash in the weight charts (here and in the HTML report): a pale sand colour, no asset's
CASH_COLOR = "#e6d8ad"
_SHORT = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def log_ticks(lo: float, hi: float) -> list[float]:
    """Tick values for a log axis from ``lo`` to ``hi`` (both > 0): the 1-2-5 sequence
    (``..., 1000, 2000, 5000, 10000, ...``), thinned to decades when it would exceed 12 ticks."""
    if not (lo > 0 and hi >= lo and math.isfinite(hi)):
        return []
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    ticks = [m * 10.0**e for e in range(first, last + 1) for m in (1, 2, 5)]
    inside = [t for t in ticks if lo <= t <= hi]
    if len(inside) > 12:
        inside = [t for t in inside if math.isclose(10 ** round(math.log10(t)), t)]
    if len(inside) < 2:  # a narrow range: the two 1-2-5 ticks around it
        below = [t for t in ticks if t <= lo][-1:]
        above = [t for t in ticks if t >= hi][:1]
        inside = below + inside + above
    return sorted(set(inside))


def short_number(value: float) -> str:
    """``12500 -> '12.5k'``, ``2e6 -> '2M'``, ``500 -> '500'`` (axis labels)."""
    for size, suffix in _SHORT:
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def _new_axes() -> Axes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 5), layout="constrained")
    FigureCanvasAgg(fig)
    return fig.add_subplot()


def plot_backtest(result: BacktestResult, kind: str = "equity", ax: Axes | None = None) -> Axes:
    """Draw ``kind`` (one of :data:`PLOT_KINDS`) of ``result`` on ``ax`` (or a new figure)."""
    if kind not in PLOT_KINDS:
        raise CryptofolioError(f"plot kind {kind!r} unknown; use one of {', '.join(PLOT_KINDS)}")
    if ax is None:
        ax = _new_axes()
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
