"""Matplotlib pictures of the estimate and optimize stages.

Every function builds a :class:`matplotlib.figure.Figure` without pyplot (no global state, no
display needed: the Agg canvas), returns it for notebooks and, given ``path``, saves it as a
PNG. Figures are annualised fractions shown as percentages; axis labels say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from cryptofolio.errors import CryptofolioError
from cryptofolio.keywords import spec_of_keywords

if TYPE_CHECKING:
    from cryptofolio.optimize import Frontier, PortfolioResult

DPI = 150
_PCT = PercentFormatter(xmax=1.0, decimals=0)


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Save ``fig`` as a PNG at ``path`` (parent folders created); returns the path."""
    path = Path(path)
    if path.suffix.lower() not in {".png", ""}:
        raise CryptofolioError(
            f"pictures are written as PNG; use a .png file name, not {path.name!r}"
        )
    if not path.suffix:
        path = path.with_suffix(".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, format="png")
    return path


def _finish(fig: Figure, path: str | Path | None) -> Figure:
    if path is not None:
        save_figure(fig, path)
    return fig


def _frontier_points(frontier: Frontier | pd.DataFrame) -> pd.DataFrame:
    points = frontier if isinstance(frontier, pd.DataFrame) else frontier.points
    missing = {"return", "volatility"} - set(points.columns)
    if missing:
        raise CryptofolioError(f"frontier points lack column(s) {', '.join(sorted(missing))}")
    return points.sort_values("volatility")


@dataclass(frozen=True)
class MarkedPortfolios:
    """The portfolios a frontier picture marks: the minimum-variance portfolio (a star), the
    maximum-Sharpe one (a diamond) with the capital market line through it from
    ``risk_free_rate`` (annual fraction); ``None``: not drawn."""

    min_variance: PortfolioResult | None = None
    max_sharpe: PortfolioResult | None = None
    risk_free_rate: float = 0.0


def plot_efficient_frontier(
    frontier: Frontier | pd.DataFrame | None,
    covariance: pd.DataFrame | None = None,
    expected_returns: pd.Series | None = None,
    *,
    random: pd.DataFrame | None = None,
    marked: MarkedPortfolios | None = None,
    title: str = "Efficient frontier",
    path: str | Path | None = None,
    **keywords: Any,
) -> Figure:
    """Efficient frontier in (annualised volatility, annualised return) space.

    Parameters
    ----------
    frontier
        A :class:`~cryptofolio.optimize.Frontier` or its ``points`` frame (columns return,
        volatility; annualised fractions). May be None to draw only the other layers.
    covariance, expected_returns
        When both are given, each asset is drawn and labelled at (its volatility, its return).
    random
        Random portfolios (columns return, volatility, sharpe), drawn as a cloud coloured by
        Sharpe ratio.
    marked
        Portfolios to mark (:class:`MarkedPortfolios`), or its fields as keywords:
    min_variance, max_sharpe
        Portfolios to mark (a star and a diamond).
    risk_free_rate
        Annual rate where the capital market line starts (drawn through ``max_sharpe``).
    path
        Where to save the PNG (optional).
    """
    marks = spec_of_keywords(MarkedPortfolios, marked, keywords, where="plot_efficient_frontier")
    min_variance, max_sharpe = marks.min_variance, marks.max_sharpe
    fig = _new_figure(9, 6)
    ax = fig.add_subplot()
    if random is not None and len(random):
        _draw_cloud(fig, ax, random)
    if frontier is not None:
        _draw_frontier(ax, _frontier_points(frontier))
    if covariance is not None and expected_returns is not None:
        _draw_assets(ax, covariance, expected_returns)
    if max_sharpe is not None:
        _draw_max_sharpe(ax, max_sharpe, marks.risk_free_rate)
    if min_variance is not None:
        _draw_min_variance(ax, min_variance)
    ax.set_xlabel("Volatility (annualised, %)")
    ax.set_ylabel("Expected return (annualised, %)")
    ax.xaxis.set_major_formatter(_PCT)
    ax.yaxis.set_major_formatter(_PCT)
    ax.set_xlim(left=0)
    ax.axhline(0.0, color="grey", lw=0.6, zorder=0)
    ax.grid(True, alpha=0.3)
    ax.set_title(title)
    ax.legend(loc="best", fontsize=9, framealpha=0.9)
    return _finish(fig, path)


def _draw_cloud(fig: Figure, ax, random: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    """Random portfolios coloured by Sharpe ratio, with a colour bar."""
    cloud = ax.scatter(
        random["volatility"],
        random["return"],
        c=random["sharpe"],
        cmap="viridis",
        s=6,
        alpha=0.5,
        linewidths=0,
        label=f"random portfolios ({len(random):,})",
        zorder=1,
    )
    bar = fig.colorbar(cloud, ax=ax, pad=0.01)
    bar.set_label("Sharpe ratio (annualised)")


def _draw_frontier(ax, pts: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    ax.plot(
        pts["volatility"],
        pts["return"],
        "-",
        color="black",
        lw=2,
        marker="o",
        ms=2.5,
        label="efficient frontier",
        zorder=3,
    )


def _draw_assets(ax, covariance: pd.DataFrame, expected_returns: pd.Series) -> None:  # type: ignore[no-untyped-def]
    """Each asset at (its volatility, its expected return), labelled."""
    vol = np.sqrt(np.diag(covariance.to_numpy(dtype=float)))
    mu = expected_returns.reindex(covariance.index).to_numpy(dtype=float)
    ax.scatter(
        vol, mu, marker="o", s=40, color="tab:red", edgecolor="white", label="assets", zorder=4
    )
    for name, x, y in zip(covariance.index, vol, mu, strict=True):
        ax.annotate(
            str(name), (x, y), xytext=(5, 3), textcoords="offset points", fontsize=9, zorder=5
        )


def _draw_max_sharpe(ax, max_sharpe: PortfolioResult, risk_free_rate: float) -> None:  # type: ignore[no-untyped-def]
    """The max-Sharpe portfolio (a diamond) and the capital market line through it."""
    if max_sharpe.volatility > 0:
        xs = np.array([0.0, max_sharpe.volatility * 1.25])
        slope = (max_sharpe.expected_return - risk_free_rate) / max_sharpe.volatility
        ax.plot(
            xs,
            risk_free_rate + slope * xs,
            "--",
            color="tab:orange",
            lw=1,
            label="capital market line",
            zorder=2,
        )
    ax.scatter(
        [max_sharpe.volatility],
        [max_sharpe.expected_return],
        marker="D",
        s=110,
        color="tab:orange",
        edgecolor="black",
        label=f"max Sharpe (Sharpe {max_sharpe.sharpe:.2f})",
        zorder=6,
    )


def _draw_min_variance(ax, min_variance: PortfolioResult) -> None:  # type: ignore[no-untyped-def]
    ax.scatter(
        [min_variance.volatility],
        [min_variance.expected_return],
        marker="*",
        s=260,
        color="tab:blue",
        edgecolor="black",
        label=f"min variance (vol {min_variance.volatility:.1%})",
        zorder=6,
    )


def _heatmap(
    matrix: pd.DataFrame,
    *,
    title: str,
    colorbar_label: str,
    cmap: str,
    vmin: float | None,
    vmax: float | None,
    fmt: str,
    path: str | Path | None,
) -> Figure:
    if matrix.shape[0] != matrix.shape[1]:
        raise CryptofolioError("a heatmap needs a square matrix (assets x assets)")
    n = matrix.shape[0]
    size = min(max(4.5, 0.55 * n + 2.5), 16)
    fig = _new_figure(size + 1.2, size)
    ax = fig.add_subplot()
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    labels = [str(a) for a in matrix.index]
    ax.set_xticks(
        range(n), labels=labels, rotation=90 if n > 8 else 45, ha="center" if n > 8 else "right"
    )
    ax.set_yticks(range(n), labels=labels)
    ax.tick_params(labelsize=9 if n <= 20 else 7)
    if n <= 15:
        lo, hi = image.get_clim()
        mid = (lo + hi) / 2
        for i in range(n):
            for j in range(n):
                v = values[i, j]
                dark = (v > mid) if cmap == "viridis" else abs(v - mid) > 0.6 * (hi - lo) / 2
                colour = (
                    ("black" if cmap == "viridis" else "white")
                    if dark
                    else ("white" if cmap == "viridis" else "black")
                )
                ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize=8, color=colour)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label(colorbar_label)
    ax.set_title(title)
    return _finish(fig, path)


def plot_covariance(
    covariance: pd.DataFrame,
    *,
    title: str = "Covariance (annualised)",
    path: str | Path | None = None,
) -> Figure:
    """Heatmap of an annualised covariance, labelled by asset (values: squared annual returns
    as fractions; 0.36 is a 60 % volatility squared)."""
    return _heatmap(
        covariance,
        title=title,
        colorbar_label="Covariance (annualised, fraction²)",
        cmap="viridis",
        vmin=None,
        vmax=None,
        fmt=".2f",
        path=path,
    )


def plot_correlation(
    matrix: pd.DataFrame,
    *,
    is_covariance: bool = True,
    title: str = "Correlation",
    path: str | Path | None = None,
) -> Figure:
    """Heatmap of the correlation matrix (from a covariance unless ``is_covariance=False``)."""
    if is_covariance:
        from cryptofolio.estimate import correlation_matrix

        matrix = correlation_matrix(matrix)
    return _heatmap(
        matrix,
        title=title,
        colorbar_label="Correlation",
        cmap="RdBu_r",
        vmin=-1.0,
        vmax=1.0,
        fmt=".2f",
        path=path,
    )


def _bars(
    values: pd.Series, *, title: str, ylabel: str, path: str | Path | None, sort: bool
) -> Figure:
    if sort:
        values = values.sort_values(ascending=False)
    n = len(values)
    fig = _new_figure(min(max(6.0, 0.5 * n + 2), 18), 5)
    ax = fig.add_subplot()
    colours = ["tab:green" if v >= 0 else "tab:red" for v in values.to_numpy(dtype=float)]
    bars = ax.bar([str(i) for i in values.index], values.to_numpy(dtype=float), color=colours)
    if n <= 25:
        ax.bar_label(bars, labels=[f"{v:.1%}" for v in values], fontsize=8, padding=2)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("Asset")
    ax.tick_params(axis="x", rotation=90 if n > 12 else 0)
    ax.margins(y=0.12)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title(title)
    return _finish(fig, path)


def plot_expected_returns(
    expected_returns: pd.Series,
    *,
    title: str = "Expected returns",
    path: str | Path | None = None,
) -> Figure:
    """Bar chart of annualised expected (mean) returns per asset, in %."""
    return _bars(
        expected_returns,
        title=title,
        ylabel="Expected return (annualised, %)",
        path=path,
        sort=True,
    )


def plot_weights(
    weights: pd.Series | Mapping[str, float],
    *,
    title: str = "Portfolio weights",
    path: str | Path | None = None,
    sort: bool = True,
) -> Figure:
    """Bar chart of portfolio weights (fractions of equity shown in %; shorts in red)."""
    series = weights if isinstance(weights, pd.Series) else pd.Series(dict(weights), dtype=float)
    return _bars(series, title=title, ylabel="Weight (% of equity)", path=path, sort=sort)
