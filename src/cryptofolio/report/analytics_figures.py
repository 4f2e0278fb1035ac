"""The quantstats-style sections of the backtest report (plotly figures and HTML tables):
monthly-returns heatmap, yearly returns, the worst drawdowns, the distribution of daily returns,
rolling volatility, rolling beta to BTC and the correlation of daily returns.

The numbers come from :mod:`cryptofolio.backtest.analytics`; these functions only draw them.
Returns are shown in percent; volatility is annualised.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cryptofolio.backtest.analytics import (
    daily_returns,
    drawdown_periods,
    monthly_returns,
    rolling_beta,
    rolling_volatility,
    yearly_returns,
)
from cryptofolio.backtest.plotting import log_ticks, short_number

if TYPE_CHECKING:
    from cryptofolio.backtest.results import BacktestResult

ROLLING_DAYS = 90  # window of the rolling volatility and beta, in calendar days


def readable_log_axis(fig: go.Figure, lo: float, hi: float, **where) -> None:  # type: ignore[no-untyped-def]
    """A log y axis with 1-2-5 ticks labelled ``10k, 20k, 50k`` instead of plotly's defaults."""
    ticks = log_ticks(lo, hi)
    fig.update_yaxes(type="log", tickvals=ticks, ticktext=[short_number(t) for t in ticks], **where)


def strategy_daily_returns(result: BacktestResult) -> pd.DataFrame:
    """Daily returns of every strategy (columns), compounded from the backtest's rows."""
    return pd.DataFrame({n: daily_returns(r.returns) for n, r in result.strategies.items()})


def _pct_cell(value: float) -> str:
    return "" if not np.isfinite(value) else f"{value * 100:.1f}"


def monthly_heatmap(result: BacktestResult, strategy: str) -> go.Figure:
    """Monthly returns of ``strategy`` (rows years, columns months, last column the year)."""
    table = monthly_returns(result.strategies[strategy].returns) * 100
    z = table.to_numpy(dtype=float)
    bound = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(table.columns),
            y=[str(y) for y in table.index],
            colorscale="RdYlGn",
            zmid=0,
            zmin=-bound,
            zmax=bound,
            text=[[_pct_cell(v / 100) for v in row] for row in z],
            texttemplate="%{text}",
            hovertemplate="%{y} %{x}: %{z:.1f}%<extra></extra>",
            colorbar={"title": "%"},
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(
        title=f"Monthly returns of {strategy} (%, compounded; last column the year)",
        height=max(220, 40 * len(table) + 120),
    )
    return fig


def yearly_figure(result: BacktestResult, colors: dict[str, str]) -> go.Figure:
    """Compounded return of each calendar year, grouped bars per strategy (%)."""
    fig = go.Figure()
    for name, res in result.strategies.items():
        years = yearly_returns(res.returns)
        fig.add_trace(
            go.Bar(
                x=[str(y) for y in years.index],
                y=years.to_numpy() * 100,
                name=name,
                marker_color=colors[name],
            )
        )
    fig.update_yaxes(title="return (%)", ticksuffix="%")
    fig.update_layout(title="Yearly returns (compounded, partial years as run)", barmode="group")
    fig.update_layout(height=380)
    return fig


def distribution_figure(result: BacktestResult, colors: dict[str, str]) -> go.Figure:
    """Histogram of daily returns per strategy (%), overlaid."""
    fig = go.Figure()
    for name, column in strategy_daily_returns(result).items():
        fig.add_trace(
            go.Histogram(
                x=column.dropna().to_numpy() * 100,
                name=str(name),
                opacity=0.55,
                marker_color=colors[str(name)],
                nbinsx=80,
            )
        )
    fig.update_layout(
        title="Distribution of daily returns (%)", barmode="overlay", height=380, bargap=0.02
    )
    fig.update_xaxes(title="daily return (%)", ticksuffix="%")
    fig.update_yaxes(title="days")
    return fig


def rolling_figure(
    result: BacktestResult, colors: dict[str, str], btc: pd.Series | None
) -> go.Figure:
    """Rolling annualised volatility and, given BTC's daily returns, rolling beta to BTC."""
    daily = strategy_daily_returns(result)
    rows = 2 if btc is not None else 1
    titles = [f"Rolling volatility ({ROLLING_DAYS} days, annualised)"]
    if btc is not None:
        titles.append(f"Rolling beta to BTC ({ROLLING_DAYS} days)")
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, subplot_titles=titles)
    for name, column in daily.items():
        vol = rolling_volatility(column.dropna(), 365.0, ROLLING_DAYS)
        style = {"name": str(name), "legendgroup": str(name), "mode": "lines"}
        line = {"color": colors[str(name)], "width": 1.2}
        fig.add_trace(go.Scatter(x=vol.index, y=vol.to_numpy() * 100, line=line, **style), 1, 1)
        if btc is not None:
            beta = rolling_beta(column.dropna(), btc, ROLLING_DAYS)
            fig.add_trace(
                go.Scatter(x=beta.index, y=beta.to_numpy(), line=line, showlegend=False, **style),
                2,
                1,
            )
    fig.update_yaxes(title="volatility (%)", ticksuffix="%", row=1, col=1)
    if btc is not None:
        fig.update_yaxes(title="beta", row=2, col=1)
        fig.add_hline(y=1, line={"color": "#999", "width": 1, "dash": "dot"}, row=2, col=1)
    fig.update_layout(height=300 * rows + 80, hovermode="x unified")
    return fig


def correlation_figure(daily: pd.DataFrame, title: str) -> go.Figure:
    """Heatmap of the correlation of daily returns (columns of ``daily``), pairwise rows."""
    corr = daily.corr()
    labels = [str(c) for c in corr.columns]
    fig = go.Figure(
        go.Heatmap(
            z=corr.to_numpy(dtype=float),
            x=labels,
            y=labels,
            colorscale="RdBu_r",
            zmin=-1,
            zmax=1,
            texttemplate="%{z:.2f}" if len(labels) <= 15 else None,
            hovertemplate="%{y} / %{x}: %{z:.2f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=title, height=min(900, max(360, 32 * len(labels) + 160)))
    return fig


def worst_drawdowns_html(result: BacktestResult, top: int = 10) -> str:
    """Per strategy, a table of its ``top`` worst drawdown periods (dates, depth, days)."""
    parts = []
    for name, res in result.strategies.items():
        table = drawdown_periods(res.equity, res.initial_capital, top=top)
        rows = "".join(
            f"<tr><td>{k}</td><td>{_day(r.peak, 'start')}</td><td>{_day(r.trough)}</td>"
            f"<td>{_day(r.recovery, 'not yet')}</td><td class='neg'>{r.drawdown * 100:.1f}%</td>"
            f"<td>{r.days:.0f}</td></tr>"
            for k, r in table.iterrows()
        )
        if not rows:
            rows = "<tr><td colspan='6'>no drawdown</td></tr>"
        parts.append(
            f"<h3>{html.escape(name)}</h3><div class='scroll'><table class='metrics'><thead><tr>"
            "<th>#</th><th>peak</th><th>trough</th><th>recovered</th><th>drawdown</th>"
            f"<th>days</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )
    return "".join(parts)


def _day(value: object, missing: str = "–") -> str:
    return missing if value is None or pd.isna(value) else str(value)[:10]
