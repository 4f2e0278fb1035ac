"""The plotly figures of a backtest report: equity curves (log scale), drawdowns, rolling
Sharpe, weights over time per strategy (cash in its own colour, the largest assets apart and
the rest as "other") and the trading costs (quote currency).

Each function takes a :class:`~cryptofolio.backtest.results.BacktestResult` and returns a
:class:`plotly.graph_objects.Figure`; :mod:`cryptofolio.report.backtest_report` lays them out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cryptofolio.backtest.metrics import drawdown_series, rolling_sharpe
from cryptofolio.backtest.plotting import CASH_COLOR
from cryptofolio.report.analytics_figures import readable_log_axis

if TYPE_CHECKING:
    from cryptofolio.backtest.results import BacktestResult

_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#ad494a",
)
OTHER_COLOR = "#6b6b6b"
_MAX_POINTS = 400  # weight charts are thinned to at most this many rows
_TOP_ASSETS = 10  # weight charts show the largest assets, the rest grouped as "other"


def strategy_colors(names: list[str]) -> dict[str, str]:
    """A colour of the palette for each name, in order (cycling past its end)."""
    return {n: _PALETTE[i % len(_PALETTE)] for i, n in enumerate(names)}


def equity_figure(result: BacktestResult) -> go.Figure:
    """Equity curves on a log scale (quote currency)."""
    names = list(result.strategies)
    colors = strategy_colors(names)
    fig = go.Figure()
    for name, res in result.strategies.items():
        fig.add_trace(
            go.Scatter(
                x=res.equity.index,
                y=res.equity.to_numpy(),
                name=name,
                mode="lines",
                line={"color": colors[name], "width": 1.6},
            )
        )
    values = np.concatenate([r.equity.to_numpy(dtype=float) for r in result.strategies.values()])
    values = values[np.isfinite(values) & (values > 0)]
    if len(values):
        readable_log_axis(fig, float(values.min()), float(values.max()))
    else:
        fig.update_yaxes(type="log")
    fig.update_yaxes(title="portfolio value (quote currency, log scale)")
    fig.update_layout(title="Equity curves (after costs)", height=460, hovermode="x unified")
    return fig


def drawdown_figure(result: BacktestResult) -> go.Figure:
    """Drawdown from the running peak, percent."""
    colors = strategy_colors(list(result.strategies))
    fig = go.Figure()
    for name, res in result.strategies.items():
        dd = drawdown_series(res.equity, res.initial_capital)
        fig.add_trace(
            go.Scatter(
                x=dd.index,
                y=dd.to_numpy() * 100,
                name=name,
                mode="lines",
                line={"color": colors[name], "width": 1.2},
            )
        )
    fig.update_yaxes(title="drawdown (%)", ticksuffix="%")
    fig.update_layout(title="Drawdowns", height=380, hovermode="x unified")
    return fig


def rolling_sharpe_figure(result: BacktestResult, window: int = 90) -> go.Figure:
    """Rolling Sharpe ratio over ``window`` periods (annualised)."""
    colors = strategy_colors(list(result.strategies))
    fig = go.Figure()
    for name, res in result.strategies.items():
        rs = rolling_sharpe(res.returns, result.periods_per_year, window)
        fig.add_trace(
            go.Scatter(
                x=rs.index,
                y=rs.to_numpy(),
                name=name,
                mode="lines",
                line={"color": colors[name], "width": 1.2},
            )
        )
    fig.add_hline(y=0, line={"color": "#999", "width": 1})
    fig.update_yaxes(title="Sharpe (annualised)")
    fig.update_layout(
        title=f"Rolling Sharpe ratio ({window} periods)", height=380, hovermode="x unified"
    )
    return fig


def weights_figure(result: BacktestResult) -> go.Figure:
    """Stacked end-of-period weights over time, one panel per strategy."""
    names = list(result.strategies)
    all_assets: dict[str, float] = {}
    for res in result.strategies.values():
        for col in res.weights.columns:
            if col != "cash":
                all_assets[col] = all_assets.get(col, 0.0) + float(res.weights[col].abs().mean())
    ranked = sorted(all_assets, key=all_assets.get, reverse=True)  # type: ignore[arg-type]
    top = ranked[:_TOP_ASSETS]
    others = ranked[_TOP_ASSETS:]
    colors = strategy_colors(top)
    colors["other"] = OTHER_COLOR
    colors["cash"] = CASH_COLOR
    fig = make_subplots(
        rows=len(names),
        cols=1,
        shared_xaxes=True,
        subplot_titles=names,
        vertical_spacing=min(0.06, 0.3 / max(len(names), 1)),
    )
    shown: set[str] = set()
    for row, name in enumerate(names, start=1):
        w = result.strategies[name].weights
        step = max(1, int(np.ceil(len(w) / _MAX_POINTS)))
        w = w.iloc[::step]
        series = {a: w[a] for a in top if a in w.columns}
        rest = [a for a in others if a in w.columns]
        if rest:
            series["other"] = w[rest].sum(axis=1)
        series["cash"] = w["cash"]
        for asset, values in series.items():
            fig.add_trace(
                go.Scatter(
                    x=values.index,
                    y=values.to_numpy() * 100,
                    name=asset,
                    legendgroup=asset,
                    showlegend=asset not in shown,
                    stackgroup=f"s{row}",
                    mode="lines",
                    line={"width": 0.5, "color": colors.get(asset, "#888")},
                ),
                row=row,
                col=1,
            )
            shown.add(asset)
        fig.update_yaxes(title="weight (%)", range=[0, 100], row=row, col=1)
    fig.update_layout(
        title="Weights over time (end of period; cash in sand, other assets in dark grey)",
        height=230 * len(names) + 80,
        hovermode="x unified",
    )
    return fig


def costs_figure(result: BacktestResult) -> go.Figure:
    """Commission and slippage paid per strategy, and cumulative costs over time."""
    names = list(result.strategies)
    colors = strategy_colors(names)
    commission = [float(r.trades["commission"].sum()) for r in result.strategies.values()]
    slippage = [float(r.trades["slippage"].sum()) for r in result.strategies.values()]
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.4, 0.6],
        subplot_titles=("Total costs by kind", "Cumulative costs"),
    )
    fig.add_trace(
        go.Bar(x=names, y=commission, name="commission", marker_color="#4c72b0"), row=1, col=1
    )
    fig.add_trace(
        go.Bar(x=names, y=slippage, name="slippage / impact", marker_color="#dd8452"),
        row=1,
        col=1,
    )
    for name, res in result.strategies.items():
        t = res.trades
        if t.empty:
            continue
        per_time = (t["commission"] + t["slippage"]).groupby(t["timestamp"]).sum().cumsum()
        fig.add_trace(
            go.Scatter(
                x=per_time.index,
                y=per_time.to_numpy(),
                name=name,
                mode="lines",
                line={"color": colors[name], "shape": "hv"},
            ),
            row=1,
            col=2,
        )
    fig.update_layout(barmode="stack", title="Trading costs (quote currency)", height=400)
    fig.update_yaxes(title="quote currency", row=1, col=1)
    return fig
