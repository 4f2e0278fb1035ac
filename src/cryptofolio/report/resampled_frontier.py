"""Matplotlib picture of Michaud's resampled frontier beside the classic frontier.

Built without pyplot (the Agg canvas), returned and, given ``path``, saved as a PNG.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from cryptofolio.report.plots import save_figure

if TYPE_CHECKING:
    from cryptofolio.optimize.resampled import ResampledFrontier


def plot_resampled_frontier(
    resampled: ResampledFrontier,
    *,
    title: str = "Resampled and classic efficient frontiers",
    path: str | Path | None = None,
) -> Figure:
    """Both frontiers in (annualised volatility, annualised return) space, percentages, under
    the original estimates (left), and the resampled portfolios' weights by rank (right)."""
    fig = Figure(figsize=(12, 5), layout="constrained")
    FigureCanvasAgg(fig)
    ax, bx = fig.subplots(1, 2)
    pct = PercentFormatter(xmax=1.0, decimals=0)
    classic = resampled.classic.points
    ax.plot(classic["volatility"], classic["return"], "-", color="tab:blue", label="classic")
    pts = resampled.points
    ax.plot(
        pts["volatility"],
        pts["return"],
        "o-",
        color="tab:orange",
        markersize=3,
        label=f"resampled ({resampled.resamples} samples)",
    )
    ax.set_xlabel("volatility (annualised)")
    ax.set_ylabel("expected return (annualised)")
    ax.xaxis.set_major_formatter(pct)
    ax.yaxis.set_major_formatter(pct)
    ax.legend()
    ax.set_title(title)
    w = resampled.weights
    bx.stackplot(range(len(w)), w.to_numpy().T, labels=list(w.columns))
    bx.set_xlim(0, len(w) - 1)
    bx.set_ylim(0, max(1.0, float(w.clip(lower=0).sum(axis=1).max())))
    bx.yaxis.set_major_formatter(pct)
    bx.set_xlabel("rank (minimum variance to maximum return)")
    bx.set_ylabel("weight")
    bx.set_title("Resampled portfolios")
    bx.legend(fontsize="small", ncols=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if path is not None:
        save_figure(fig, path)
    return fig
