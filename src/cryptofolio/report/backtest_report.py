"""Self-contained HTML report of a backtest (plotly, with plotly.js inlined: opens offline).

Sections: settings, metrics table, equity curves (log scale), drawdowns, rolling Sharpe, weights
over time per strategy, cost breakdown, and the universe / portfolio events.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cryptofolio.backtest.metrics import drawdown_series, rolling_sharpe

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
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#ad494a",
)
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
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x)[:10]


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
                if m["max_drawdown_recovery"] is None
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
    fig.update_yaxes(type="log", title="portfolio value (log scale)")
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
    colors = _colors([*top, "other"])
    colors["cash"] = "#d9d9d9"
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
        title="Weights over time (end of period; cash in grey)",
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


def _events_html(result: BacktestResult, limit: int = 40) -> str:
    frames = [result.universe.assign(strategy="(universe)")]
    for name, res in result.strategies.items():
        if not res.events.empty:
            frames.append(res.events.assign(strategy=name))
    events = pd.concat(frames, ignore_index=True)
    if events.empty:
        return "<p class='note'>No events.</p>"
    counts = events.groupby(["strategy", "event"]).size().rename("count").reset_index()
    summary = "".join(
        f"<tr><td>{html.escape(str(r.strategy))}</td><td>{html.escape(str(r.event))}</td>"
        f"<td>{r.count}</td></tr>"
        for r in counts.itertuples()
    )
    notable = events[events["event"] != "entry"].sort_values("timestamp", kind="stable")
    notable = notable.head(limit)
    detail = "".join(
        f"<tr><td>{_date(r.timestamp)}</td><td>{html.escape(str(r.strategy))}</td>"
        f"<td>{html.escape(str(r.asset))}</td><td>{html.escape(str(r.event))}</td>"
        f"<td style='text-align:left; white-space:normal'>{html.escape(str(r.detail))}</td></tr>"
        for r in notable.itertuples()
    )
    out = (
        "<table class='metrics'><thead><tr><th>strategy</th><th>event</th><th>count</th></tr>"
        f"</thead><tbody>{summary}</tbody></table>"
    )
    if detail:
        out += (
            f"<h3>Events other than entries (first {limit})</h3>"
            + "<table class='metrics'><thead><tr><th>date</th><th>strategy</th><th>asset</th>"
            f"<th>event</th><th>detail</th></tr></thead><tbody>{detail}</tbody></table>"
        )
    return out


def backtest_report_html(result: BacktestResult, title: str = "Backtest report") -> str:
    """The whole report as one HTML string (plotly.js embedded once)."""
    cfg = result.config
    figures = [
        ("Equity curves", equity_figure(result)),
        ("Drawdowns", drawdown_figure(result)),
        ("Rolling Sharpe", rolling_sharpe_figure(result)),
        ("Weights over time", weights_figure(result)),
        ("Costs", costs_figure(result)),
    ]
    parts = []
    for k, (heading, fig) in enumerate(figures):
        fig.update_layout(template="plotly_white", margin={"l": 60, "r": 20, "t": 60, "b": 40})
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=k == 0,
            config={"displaylogo": False, "responsive": True},
        )
        parts.append(f"<h2>{html.escape(heading)}</h2>{div}")
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
        "each rebalance; trades execute at that row's close."
    )
    body = (
        f"<h1>{html.escape(title)}</h1><p class='meta'>{meta}</p>"
        f"<h2>Metrics</h2>{metrics_html(result)}<p class='note'>{definitions}</p>"
        + "".join(parts)
        + f"<h2>Events</h2>{_events_html(result)}"
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{body}</body></html>"
    )


def write_backtest_report(
    result: BacktestResult, path: str | Path, title: str = "Backtest report"
) -> Path:
    """Write the self-contained HTML report to ``path`` (parent folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(backtest_report_html(result, title), encoding="utf-8")
    return path
