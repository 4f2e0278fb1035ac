"""Short text and HTML views of results, for notebooks (``repr`` and ``_repr_html_``).

Figures are shown as percent (annualised); the result objects keep fractions. Nothing here
prints: the results' ``__repr__`` and ``_repr_html_`` return these strings.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

#: Weights shown in a text repr before "..."
SHOWN_WEIGHTS = 6


def _pct(value: float) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.1%}"


def _ratio(value: float) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.2f}"


def portfolio_text(result: Any) -> str:
    """``PortfolioResult(max-sharpe, optimal: BTC 69.8%, ETH 30.2%; return 21.3%, volatility
    22.0%, Sharpe 0.97)``: the largest weights first."""
    weights = result.weights.sort_values(ascending=False, key=abs)
    shown = ", ".join(f"{a} {_pct(w)}" for a, w in weights.head(SHOWN_WEIGHTS).items())
    more = len(weights) - SHOWN_WEIGHTS
    shown += f", ... ({len(weights)} assets)" if more > 0 else ""
    return (
        f"PortfolioResult({result.objective}, {result.status}: {shown}; return "
        f"{_pct(result.expected_return)}, volatility {_pct(result.volatility)}, Sharpe "
        f"{_ratio(result.sharpe)})"
    )


def portfolio_html(result: Any) -> str:
    """The weights table (percent) under a line of the portfolio's figures."""
    head = html.escape(
        f"{result.objective} ({result.status}): expected return {_pct(result.expected_return)}"
        f", volatility {_pct(result.volatility)}, Sharpe {_ratio(result.sharpe)} (annualised)"
    )
    table = result.weights.rename("weight").to_frame().map(_pct).to_html()
    return f"<div><p>{head}</p>{table}</div>"


#: metric columns that are fractions (shown as percent) and ratios (shown as numbers)
FRACTIONS = frozenset(
    {"total_return", "annual_return", "volatility", "max_drawdown", "win_rate", "turnover"}
)
RATIOS = frozenset({"sharpe", "sortino", "calmar"})


def _cell(column: str):
    if column in FRACTIONS or column.startswith("excess_vs_"):
        return _pct
    if column in RATIOS:
        return _ratio
    return lambda v: f"{v:,.6g}" if isinstance(v, float) else str(v)


def backtest_text(result: Any) -> str:
    """``BacktestResult(2021-01-31 to 2022-02-04, weekly: equal-weight +10.4% Sharpe 0.55,
    ...)``."""
    table = result.metrics()
    parts = ", ".join(
        f"{name} {row['total_return']:+.1%} Sharpe {_ratio(row['sharpe'])}"
        for name, row in table.iterrows()
    )
    return (
        f"BacktestResult({result.start:%Y-%m-%d} to {result.end:%Y-%m-%d}, "
        f"{result.config.rebalance}: {parts})"
    )


def backtest_html(result: Any) -> str:
    """The metrics table (percent for returns and risk, ratios as numbers)."""
    table: pd.DataFrame = result.metrics()
    shown = pd.DataFrame({c: table[c].map(_cell(c)) for c in table.columns}, index=table.index)
    head = html.escape(
        f"Backtest {result.start:%Y-%m-%d} to {result.end:%Y-%m-%d}, rebalance "
        f"{result.config.rebalance}, lookback {result.config.lookback} (annualised, after costs)"
    )
    return f"<div><p>{head}</p>{shown.to_html()}</div>"
