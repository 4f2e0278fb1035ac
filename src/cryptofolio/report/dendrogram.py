"""Pictures of the hierarchical allocators: the dendrogram of the asset clustering.

:func:`plot_dendrogram`: matplotlib, built without pyplot (no global state, no display: the Agg
canvas), returned for notebooks and, given ``path``, saved as a PNG
(:func:`cryptofolio.report.plots.save_figure`). :func:`dendrogram_figure`: the same tree as a
plotly figure, for the HTML reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import scipy.cluster.hierarchy as sch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cryptofolio.errors import CryptofolioError
from cryptofolio.report.plots import save_figure

if TYPE_CHECKING:
    from cryptofolio.optimize.objectives.hierarchical import ClusterTree


def plot_dendrogram(
    tree: ClusterTree,
    *,
    weights: pd.Series | np.ndarray | None = None,
    heatmap: bool = True,
    title: str = "Asset clustering",
    path: str | Path | None = None,
) -> Figure:
    """The dendrogram of ``tree`` (from ``HierarchicalRiskParity(...).tree(cov, returns,
    assets)``), leaves labelled by asset; below it, with ``heatmap``, the distance matrix in
    leaf order (0 = identical, 1 = opposite) and, with ``weights`` (fractions, by asset or in
    the tree's asset order), the allocation as percentages under each leaf.

    Raises
    ------
    CryptofolioError
        ``weights`` that do not match the tree's assets.
    """
    n = len(tree.assets)
    rows = 1 + int(heatmap) + int(weights is not None)
    ratios = [2.0] + [2.0] * int(heatmap) + [1.0] * int(weights is not None)
    fig = Figure(figsize=(max(6.0, 0.35 * n + 2.0), 2.2 * sum(ratios)), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 1, height_ratios=ratios, squeeze=False)[:, 0]
    sch.dendrogram(
        tree.linkage,
        labels=list(tree.assets),
        ax=axes[0],
        color_threshold=0,
        above_threshold_color="tab:blue",
        no_labels=heatmap or weights is not None,
    )
    axes[0].set_title(title)
    axes[0].set_ylabel("merge distance")
    order = np.asarray(tree.order)
    names = [tree.assets[i] for i in order]
    nxt = 1
    if heatmap:
        ax = axes[nxt]
        image = ax.imshow(tree.distance[np.ix_(order, order)], cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(n), names, rotation=90)
        ax.set_yticks(range(n), names)
        fig.colorbar(image, ax=ax, label="distance", shrink=0.8)
        nxt += 1
    if weights is not None:
        w = _weights_in_order(weights, tree, order)
        ax = axes[nxt]
        ax.bar(range(n), 100.0 * w, color="tab:green")
        ax.set_xticks(range(n), names, rotation=90)
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_ylabel("weight (%)")
    if path is not None:
        save_figure(fig, path)
    return fig


def _weights_in_order(weights, tree: ClusterTree, order: np.ndarray) -> np.ndarray:
    if isinstance(weights, pd.Series):
        missing = [a for a in tree.assets if a not in weights.index]
        if missing:
            raise CryptofolioError(f"weights lack asset(s) {', '.join(missing)} of the tree")
        return weights.reindex(list(tree.assets)).to_numpy(dtype=float)[order]
    w = np.asarray(weights, dtype=float)
    if w.shape != (len(tree.assets),):
        raise CryptofolioError(
            f"weights must have one entry per asset of the tree ({len(tree.assets)}), got {w.shape}"
        )
    return w[order]


def dendrogram_figure(
    tree: ClusterTree, *, weights: pd.Series | np.ndarray | None = None, title: str = ""
) -> go.Figure:
    """The dendrogram of ``tree`` as a plotly figure: the merges (height = merge distance),
    leaves labelled by asset and, with ``weights`` (fractions), the weight of each leaf."""
    drawn = sch.dendrogram(tree.linkage, labels=list(tree.assets), no_plot=True)
    fig = go.Figure()
    for xs, ys in zip(drawn["icoord"], drawn["dcoord"], strict=True):
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": "#1f77b4"},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    labels = list(drawn["ivl"])
    if weights is not None:
        w = _weights_in_order(weights, tree, np.asarray(drawn["leaves"]))
        labels = [f"{a}<br>{100 * x:.1f}%" for a, x in zip(labels, w, strict=True)]
    ticks = [5.0 + 10.0 * k for k in range(len(labels))]
    fig.update_layout(
        title=title,
        xaxis={"tickvals": ticks, "ticktext": labels, "showgrid": False},
        yaxis={"title": "merge distance"},
        height=420,
    )
    return fig
