"""Self-contained HTML report of a backtest (plotly; plotly.js once per page, inline by default
so the report opens offline, or from plotly's CDN: :class:`~cryptofolio.report.html_page.PlotlyJs`).

Sections: settings, metrics table, equity curves (log scale), drawdowns and the worst ten
drawdown periods, monthly-returns heatmaps, yearly returns, the distribution of daily returns,
rolling Sharpe, rolling volatility and beta to BTC, the correlation of daily returns, weights
over time per strategy (cash in its own colour), cost breakdown, and the universe / portfolio
events (repeated messages grouped).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cryptofolio.atomic_files import atomic_write_bytes
from cryptofolio.backtest.analytics import daily_returns
from cryptofolio.backtest.metrics import drawdown_series, rolling_sharpe
from cryptofolio.backtest.plotting import CASH_COLOR
from cryptofolio.report.analytics_figures import (
    correlation_figure,
    distribution_figure,
    monthly_heatmap,
    readable_log_axis,
    rolling_figure,
    strategy_daily_returns,
    worst_drawdowns_html,
    yearly_figure,
)
from cryptofolio.report.events import events_html
from cryptofolio.report.html_page import PlotlyJs, figure_sections

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

_CSS = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 24px auto;
       max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.meta { color: #555; margin-top: 0; }
div.scroll { overflow-x: auto; }
table.metrics { border-collapse: collapse; font-size: 0.82em; }
table.metrics th, table.metrics td { padding: 4px 10px; border-bottom: 1px solid #eee;
       text-align: right; white-space: nowrap; }
table.metrics th:first-child, table.metrics td:first-child { text-align: left; }
table.metrics thead th { background: #f5f5f5; }
td.neg { color: #b00020; } td.pos { color: #1b7f3b; }
.note { color: #666; font-size: 0.85em; }
"""


def _pct(x: object, digits: int = 1) -> str:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return "–" if not np.isfinite(v) else f"{v * 100:.{digits}f}%"


def _num(x: object, digits: int = 2) -> str:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return "–" if not np.isfinite(v) else f"{v:,.{digits}f}"


def _date(x: object) -> str:
    return "–" if x is None or pd.isna(x) else str(x)[:10]


def _html_table(head: list[str], rows: list[list[str]], signed_from: int | None = None) -> str:
    body = []
    for cells in rows:
        tds = []
        for k, cell in enumerate(cells):
            cls = ""
            if signed_from is not None and k >= signed_from:
                if cell.startswith("-"):
                    cls = ' class="neg"'
                elif cell not in ("0.0%", "–", "+0.0%"):
                    cls = ' class="pos"'
            tds.append(f"<td{cls}>{cell}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    thead = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return (
        f'<div class="scroll"><table class="metrics"><thead><tr>{thead}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def metrics_html(result: BacktestResult) -> str:
    """The metrics as HTML tables: returns and risk; trading and excess over benchmarks."""
    table = result.metrics()
    bench_cols = [c for c in table.columns if c.startswith("excess_vs_")]
    risk_rows, trade_rows = [], []
    for name, m in table.iterrows():
        label = html.escape(str(name))
        risk_rows.append(
            [
                label,
                _pct(m["total_return"], 0),
                _pct(m["annual_return"]),
                _pct(m["volatility"]),
                _num(m["sharpe"]),
                _num(m["sortino"]),
                _pct(m["max_drawdown"]),
                f"{_date(m['max_drawdown_peak'])} → {_date(m['max_drawdown_trough'])}",
                "not yet"
                if pd.isna(m["max_drawdown_recovery"])
                else _date(m["max_drawdown_recovery"]),
                _num(m["calmar"]),
            ]
        )
        trade_rows.append(
            [
                label,
                _pct(m["win_rate"]),
                _pct(m["turnover"]),
                _num(m["costs"]),
                str(m["rebalances"]),
                *[f"{float(m[c]) * 100:+.1f}%" for c in bench_cols],
            ]
        )
    risk = _html_table(
        [
            "strategy",
            "total return",
            "annual return",
            "volatility",
            "Sharpe",
            "Sortino",
            "max drawdown",
            "peak → trough",
            "recovered",
            "Calmar",
        ],
        risk_rows,
    )
    trade = _html_table(
        [
            "strategy",
            "win rate",
            "turnover / rebalance",
            "costs",
            "rebalances traded",
            *[f"excess vs {c.removeprefix('excess_vs_')}" for c in bench_cols],
        ],
        trade_rows,
        signed_from=5,
    )
    return risk + "<br>" + trade


def _colors(names: list[str]) -> dict[str, str]:
    return {n: _PALETTE[i % len(_PALETTE)] for i, n in enumerate(names)}


def equity_figure(result: BacktestResult) -> go.Figure:
    """Equity curves on a log scale (quote currency)."""
    names = list(result.strategies)
    colors = _colors(names)
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
    colors = _colors(list(result.strategies))
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
    colors = _colors(list(result.strategies))
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
    colors = _colors(top)
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
    colors = _colors(names)
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


@dataclass(frozen=True)
class ReportOptions:
    """How a backtest report is drawn.

    Attributes
    ----------
    plotly
        Where plotly.js comes from: ``inline`` (in the file, opens offline) or ``cdn``.
    prices
        Optional wide close prices (rows UTC timestamps, columns assets, quote currency) of
        the backtest's market: the beta to BTC uses its ``BTC`` column and the correlation
        heatmap its assets that entered the universe. Without it, the beta uses the
        ``btc-hold`` strategy when it ran, and the heatmap shows the strategies only.
    """

    plotly: PlotlyJs = PlotlyJs.INLINE
    prices: pd.DataFrame | None = None


def btc_daily_returns(result: BacktestResult, prices: pd.DataFrame | None) -> pd.Series | None:
    """BTC's daily returns: from ``prices["BTC"]``, else the ``btc-hold`` strategy's, else None."""
    if prices is not None and "BTC" in prices.columns:
        btc = prices["BTC"].pct_change(fill_method=None).iloc[1:]  # NaN across gaps
        return daily_returns(btc).rename("BTC")
    if "btc-hold" in result.strategies:
        return daily_returns(result.strategies["btc-hold"].returns).rename("BTC")
    return None


def _correlation_inputs(result: BacktestResult, prices: pd.DataFrame | None) -> pd.DataFrame:
    daily = strategy_daily_returns(result)
    if prices is None:
        return daily
    entered = [a for a in dict.fromkeys(result.universe.get("asset", [])) if a in prices.columns]
    window = prices.loc[(prices.index >= result.start) & (prices.index <= result.end), entered]
    assets = daily_returns(window.pct_change(fill_method=None).iloc[1:])
    return pd.concat([daily, assets], axis=1)


def analytics_sections(result: BacktestResult, options: ReportOptions) -> list[tuple[str, object]]:
    """The quantstats-style sections, in order: (heading, figure or HTML string)."""
    colors = _colors(list(result.strategies))
    btc = btc_daily_returns(result, options.prices)
    corr_title = "Correlation of daily returns (strategies" + (
        " and assets)" if options.prices is not None else ")"
    )
    sections: list[tuple[str, object]] = [
        ("Worst 10 drawdowns", worst_drawdowns_html(result)),
    ]
    sections += [(f"Monthly returns: {n}", monthly_heatmap(result, n)) for n in result.strategies]
    sections += [
        ("Yearly returns", yearly_figure(result, colors)),
        ("Distribution of daily returns", distribution_figure(result, colors)),
        ("Rolling volatility and beta to BTC", rolling_figure(result, colors, btc)),
        (
            "Correlation",
            correlation_figure(_correlation_inputs(result, options.prices), corr_title),
        ),
    ]
    return sections


def _sections_html(sections: list[tuple[str, object]], plotly: PlotlyJs) -> str:
    parts, first = [], True
    for heading, item in sections:
        if isinstance(item, go.Figure):
            parts.append(figure_sections([(heading, item)], plotly, include_plotlyjs=first))
            first = False
        else:
            parts.append(f"<h2>{html.escape(heading)}</h2>{item}")
    return "".join(parts)


def backtest_report_html(
    result: BacktestResult,
    title: str = "Backtest report",
    options: ReportOptions | None = None,
) -> str:
    """The whole report as one HTML string (plotly.js once, as ``options.plotly`` says)."""
    options = options or ReportOptions()
    cfg = result.config
    sections: list[tuple[str, object]] = [
        ("Equity curves", equity_figure(result)),
        ("Drawdowns", drawdown_figure(result)),
    ]
    sections += analytics_sections(result, options)
    sections += [
        ("Rolling Sharpe", rolling_sharpe_figure(result)),
        ("Weights over time", weights_figure(result)),
        ("Costs", costs_figure(result)),
    ]
    universe = sorted({str(a) for a in result.universe.get("asset", [])})
    meta = (
        f"{_date(result.start)} to {_date(result.end)} · rebalance {cfg.schedule} · lookback "
        f"{cfg.lookback} rows ({cfg.window.value}) · costs {cfg.costs.describe()} · initial "
        f"capital {cfg.initial_capital:,.0f} · {len(universe)} assets entered: "
        f"{html.escape(', '.join(universe))}"
    )
    definitions = (
        "Returns are simple and after costs; annualised with "
        f"{result.periods_per_year:g} periods a year. Sharpe and Sortino use a zero risk-free "
        "rate. Max drawdown is the largest fall from a running peak of the wealth path. Turnover "
        "is Σ|trade| / portfolio value per rebalance. Decisions use only data strictly before "
        "each rebalance; trades execute at that row's close. Monthly, yearly and daily returns "
        "compound the rows of each UTC calendar period; rolling volatility (annualised with 365 "
        "days) and beta to BTC use 90 daily returns."
    )
    body = (
        f"<h1>{html.escape(title)}</h1><p class='meta'>{meta}</p>"
        f"<h2>Metrics</h2>{metrics_html(result)}<p class='note'>{definitions}</p>"
        + _sections_html(sections, PlotlyJs(options.plotly))
        + f"<h2>Events</h2>{events_html(result)}"
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{body}</body></html>"
    )


def write_backtest_report(
    result: BacktestResult,
    path: str | Path,
    title: str = "Backtest report",
    options: ReportOptions | None = None,
) -> Path:
    """Write the self-contained HTML report to ``path`` (parent folders created; written to a
    temporary file first, so an interrupted write leaves the old report intact)."""
    path = Path(path)
    page = backtest_report_html(result, title, options).encode("utf-8")
    atomic_write_bytes(path, lambda fh: fh.write(page))
    return path
