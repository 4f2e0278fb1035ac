"""Pictures of the proof-of-work security screen (:mod:`cryptofolio.security`): the log-log scatter of security budget on market cap (colour =
algorithm hash share or NiceHash-able fraction, trend line, labelled coins), each coin's
residual over time, and a self-contained HTML page (plotly) for reports.

Matplotlib figures are built without pyplot (Agg canvas), returned, and saved as PNG when
given a path, like :mod:`cryptofolio.report.plots`. (Formerly ``cryptofolio.security.plots``,
which still re-exports these names with a deprecation warning.)
"""

from __future__ import annotations

import html
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cryptofolio.errors import SecurityError
from cryptofolio.report.plots import save_figure
from cryptofolio.security.screen import ScreenResult, ScreenStatus


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


class ScatterColour(StrEnum):
    """What colours the scatter's points."""

    HASH_SHARE = "hash-share"
    NICEHASH = "nicehash"


def _screened(result: ScreenResult) -> pd.DataFrame:
    t = result.table[result.table["status"] == ScreenStatus.SCREENED.value]
    t = t[(t["security_budget_usd_per_hour"] > 0) & (t["market_cap_usd"] > 0)]
    if t.empty:
        raise SecurityError(
            f"nothing to draw on {result.date:%Y-%m-%d}: no coin has both a security budget "
            "and a market cap"
        )
    return t


def plot_security_scatter(
    result: ScreenResult,
    *,
    colour: ScatterColour | str = ScatterColour.HASH_SHARE,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Log10 market cap (x) against log10 security budget (y, USD/h), one point per coin,
    the day's trend line, coins labelled (danger-zone coins in red, bold).

    ``colour="nicehash"`` needs crypto51 rows (the bundled data has no NiceHash figures).
    """
    colour = ScatterColour(colour)
    t = _screened(result)
    x = np.log10(t["market_cap_usd"].to_numpy(float))
    y = np.log10(t["security_budget_usd_per_hour"].to_numpy(float))
    if colour is ScatterColour.HASH_SHARE:
        c, label = t["hash_share"].to_numpy(float), "share of its algorithm's hash rate"
    else:
        c, label = t["nicehash_fraction"].to_numpy(float), "NiceHash-able (rentable / network)"
        if not np.isfinite(c).any():
            raise SecurityError(
                "no NiceHash-able figures to colour by: give a crypto51 table (--crypto51 FILE) "
                "or colour by hash share"
            )
    fig = _new_figure(7.5, 5.2)
    ax = fig.add_subplot()
    points = ax.scatter(
        x, y, c=c, cmap="viridis_r", vmin=0, vmax=max(1.0, np.nanmax(c)), s=60, edgecolor="k"
    )
    fig.colorbar(points, ax=ax, label=f"{label} (1 = 100 %)")
    slope, intercept = result.fit.get("slope", np.nan), result.fit.get("intercept", np.nan)
    if np.isfinite(slope):
        xs = np.linspace(x.min() - 0.2, x.max() + 0.2, 2)
        ax.plot(xs, intercept + slope * xs, color="0.4", lw=1, ls="--")
        ax.plot([], [], color="0.4", ls="--", label=f"trend: slope {slope:.2f}")
        ax.legend(loc="upper left", frameon=False)
    for sym, xi, yi, danger in zip(t.index, x, y, t["danger"], strict=True):
        ax.annotate(
            str(sym),
            (xi, yi),
            xytext=(4, 3),
            textcoords="offset points",
            fontsize=8,
            color="#b00020" if danger else "0.15",
            fontweight="bold" if danger else "normal",
        )
    ax.set_xlabel("log10 market cap (USD)")
    ax.set_ylabel("log10 security budget (miner revenue, USD per hour)")
    ax.set_title(
        title or f"51%-attack screen, {result.date:%Y-%m-%d} (red: danger zone)", fontsize=10
    )
    ax.grid(alpha=0.3)
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_residual_history(
    history: pd.DataFrame,
    *,
    symbols: list[str] | None = None,
    threshold: float | None = None,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Each coin's residual (log10 units, below 0: cheaper to attack than the trend) over
    time, from :func:`~cryptofolio.security.history.residual_history`."""
    wide = history.pivot(index="date", columns="symbol", values="residual")
    if symbols is not None:
        missing = [s for s in symbols if s not in wide.columns]
        if missing:
            raise SecurityError(f"no residual history for {', '.join(missing)}")
        wide = wide[symbols]
    wide = wide.dropna(how="all")
    fig = _new_figure(10, 4.8)
    ax = fig.add_subplot()
    palette = colormaps["tab20"]
    order = [*range(0, 20, 2), *range(1, 20, 2)]  # the dark tones first, then the light
    colours = [palette(order[k % 20]) for k in range(len(wide.columns))]
    for sym, col in zip(wide.columns, colours, strict=True):
        ax.plot(wide.index, wide[sym].to_numpy(float), lw=0.9, label=str(sym), color=col)
    ax.axhline(0.0, color="0.3", lw=0.8)
    if threshold is not None:
        ax.axhline(threshold, color="#b00020", lw=0.8, ls="--", label=f"threshold {threshold:+.2f}")
    ax.set_ylabel("residual, log10 (budget / trend budget)")
    ax.set_title(title or "Security budget against the market-cap trend, by coin", fontsize=10)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(alpha=0.3)
    if path is not None:
        save_figure(fig, path)
    return fig


def scatter_html_fragment(result: ScreenResult, include_plotlyjs: bool | str = True) -> str:
    """The scatter as an interactive plotly ``<div>`` to embed in an HTML report
    (``include_plotlyjs=True`` inlines plotly.js once; ``False`` when the page has it)."""
    import plotly.graph_objects as go

    t = _screened(result)
    x = np.log10(t["market_cap_usd"].to_numpy(float))
    y = np.log10(t["security_budget_usd_per_hour"].to_numpy(float))
    text = [
        f"{s}<br>{a}<br>share {h:.1%}<br>residual {r:+.2f}"
        for s, a, h, r in zip(t.index, t["algorithm"], t["hash_share"], t["residual"], strict=True)
    ]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="markers+text",
            text=list(t.index),
            textposition="top right",
            hovertext=text,
            hoverinfo="text",
            marker={
                "size": 11,
                "color": t["hash_share"].to_numpy(float),
                "colorscale": "Viridis",
                "reversescale": True,
                "cmin": 0,
                "cmax": 1,
                "colorbar": {"title": "hash share"},
                "line": {"color": ["#b00020" if d else "#333" for d in t["danger"]], "width": 2},
            },
            name="coins",
        )
    )
    slope, intercept = result.fit.get("slope", np.nan), result.fit.get("intercept", np.nan)
    if np.isfinite(slope):
        xs = np.array([x.min() - 0.2, x.max() + 0.2])
        fig.add_trace(
            go.Scatter(x=xs, y=intercept + slope * xs, mode="lines", name=f"trend {slope:.2f}")
        )
    fig.update_layout(
        title=f"51%-attack screen, {result.date:%Y-%m-%d}",
        xaxis_title="log10 market cap (USD)",
        yaxis_title="log10 security budget (USD/h)",
        template="plotly_white",
    )
    return fig.to_html(full_html=False, include_plotlyjs=include_plotlyjs)


def security_report_html(result: ScreenResult) -> str:
    """A self-contained page: the scatter, the ranked table and the notes."""
    head = ["rank", "coin", "algorithm", "hash share", "budget USD/h", "market cap", "residual"]
    rows = []
    for sym, r in result.table.iterrows():
        if r["status"] != ScreenStatus.SCREENED.value:
            continue
        cells = [
            str(r["rank"]) if pd.notna(r["rank"]) else "",
            html.escape(str(sym)),
            html.escape(str(r["algorithm"])),
            f"{r['hash_share']:.1%}",
            f"{r['security_budget_usd_per_hour']:,.0f}",
            f"{r['market_cap_usd']:,.0f}",
            f"{r['residual']:+.2f}" if pd.notna(r["residual"]) else "",
        ]
        style = " style='color:#b00020;font-weight:bold'" if r["danger"] else ""
        rows.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    excluded = "".join(
        f"<li><b>{html.escape(s)}</b>: {html.escape(r)}</li>"
        for s, r in result.exclusions().items()
    )
    table = (
        "<table><thead><tr>"
        + "".join(f"<th>{h}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>51%-attack screen {result.date:%Y-%m-%d}</title></head><body>"
        f"<h1>51%-attack screen, {result.date:%Y-%m-%d}</h1>"
        + scatter_html_fragment(result)
        + f"<h2>Ranking</h2>{table}<h2>Danger zone</h2><ul>{excluded or '<li>none</li>'}</ul>"
        + f"<h2>Notes</h2><ul>{notes or '<li>none</li>'}</ul>"
        + "<p>Security budget: miner revenue (issuance + fees) per hour, a proxy for the cost of "
        "renting the network's hash power for an hour (Budish 2018). Network data: Coin Metrics "
        "Community (coinmetrics.io), CC BY-NC 4.0.</p></body></html>"
    )
