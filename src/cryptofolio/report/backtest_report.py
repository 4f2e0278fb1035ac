"""Self-contained HTML report of a backtest (plotly; plotly.js once per page, inline by default
so the report opens offline, or from plotly's CDN: :class:`~cryptofolio.report.html_page.PlotlyJs`).

Sections: settings, metrics table, equity curves (log scale), drawdowns and the worst ten
drawdown periods, monthly-returns heatmaps, yearly returns, the distribution of daily returns,
rolling Sharpe, rolling volatility and beta to BTC, the correlation of daily returns, weights
over time per strategy (cash in its own colour), cost breakdown, the cluster tree of each
hierarchical strategy (hrp, herc) at its last rebalance, and the universe / portfolio events
(repeated messages grouped).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cryptofolio.atomic_files import atomic_write_bytes
from cryptofolio.backtest.analytics import daily_returns
from cryptofolio.report.analytics_figures import (
    correlation_figure,
    distribution_figure,
    monthly_heatmap,
    rolling_figure,
    strategy_daily_returns,
    worst_drawdowns_html,
    yearly_figure,
)
from cryptofolio.report.backtest_figures import (
    CASH_COLOR,
    OTHER_COLOR,
    costs_figure,
    drawdown_figure,
    equity_figure,
    rolling_sharpe_figure,
    strategy_colors,
    weights_figure,
)
from cryptofolio.report.events import events_html
from cryptofolio.report.html_page import PlotlyJs, figure_sections

if TYPE_CHECKING:
    from cryptofolio.backtest.results import BacktestResult
    from cryptofolio.backtest.trees import DecisionTree

__all__ = [
    "CASH_COLOR",
    "OTHER_COLOR",
    "ReportOptions",
    "analytics_sections",
    "backtest_report_html",
    "btc_daily_returns",
    "costs_figure",
    "drawdown_figure",
    "equity_figure",
    "metrics_html",
    "rolling_sharpe_figure",
    "weights_figure",
    "write_backtest_report",
]

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
    cluster_trees
        The trees of the hierarchical strategies at their last rebalance, by strategy
        (:func:`cryptofolio.backtest.trees.last_decision_trees`): one dendrogram each.
    """

    plotly: PlotlyJs = PlotlyJs.INLINE
    prices: pd.DataFrame | None = None
    cluster_trees: Mapping[str, DecisionTree] = field(default_factory=dict)


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
    colors = strategy_colors(list(result.strategies))
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
    for name, found in sorted(options.cluster_trees.items()):
        from cryptofolio.report.dendrogram import dendrogram_figure

        heading = f"Cluster tree: {name} (last rebalance {_date(found.timestamp)})"
        sections.append((heading, dendrogram_figure(found.tree, weights=found.weights)))
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
