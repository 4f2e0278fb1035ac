"""Terminal rendering of a backtest: metrics as rich tables, event and warning summaries."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rich import box
from rich.table import Table

if TYPE_CHECKING:
    from cryptofolio.backtest.results import BacktestResult


def _pct(x: object, digits: int = 1) -> str:
    v = float(x)  # type: ignore[arg-type]
    return "–" if not np.isfinite(v) else f"{v * 100:.{digits}f}%"


def _num(x: object, digits: int = 2) -> str:
    v = float(x)  # type: ignore[arg-type]
    return "–" if not np.isfinite(v) else f"{v:,.{digits}f}"


def _signed_pct(x: object) -> str:
    v = float(x)  # type: ignore[arg-type]
    if not np.isfinite(v):
        return "–"
    style = "green" if v > 0 else "red" if v < 0 else "dim"
    return f"[{style}]{v * 100:+.1f}%[/]"


def metrics_rich_tables(result: BacktestResult, risk_free_rate: float = 0.0) -> list[Table]:
    """Metrics of every strategy as :class:`rich.table.Table` objects that fit 80 columns:
    returns and risk; trading; excess annual return over each benchmark (when any ran)."""
    table = result.metrics(risk_free_rate)
    cfg = result.config
    title = (
        f"Backtest {str(result.start)[:10]} → {str(result.end)[:10]} · rebalance {cfg.schedule}"
        f" · lookback {cfg.lookback} · {cfg.costs.describe()}"
    )
    risk = Table(title=title, title_style="bold", header_style="bold", box=box.SIMPLE_HEAD)
    risk.add_column("strategy", style="cyan", no_wrap=True)
    for col in ("total", "annual", "vol", "Sharpe", "Sortino", "max DD", "Calmar"):
        risk.add_column(col, justify="right", no_wrap=True)
    trading = Table(header_style="bold", box=box.SIMPLE_HEAD)
    trading.add_column("strategy", style="cyan", no_wrap=True)
    for col in ("win rate", "turnover", "costs", "rebalances"):
        trading.add_column(col, justify="right", no_wrap=True)
    bench_cols = [c for c in table.columns if c.startswith("excess_vs_")]
    excess = Table(
        title="Excess annual return over each benchmark",
        header_style="bold",
        box=box.SIMPLE_HEAD,
    )
    excess.add_column("strategy", style="cyan", no_wrap=True)
    for c in bench_cols:
        excess.add_column(c.removeprefix("excess_vs_"), justify="right", no_wrap=True)
    for name, m in table.iterrows():
        risk.add_row(
            str(name),
            _pct(m["total_return"], 0),
            _pct(m["annual_return"]),
            _pct(m["volatility"]),
            _num(m["sharpe"]),
            _num(m["sortino"]),
            _pct(m["max_drawdown"]),
            _num(m["calmar"]),
        )
        trading.add_row(
            str(name),
            _pct(m["win_rate"], 0),
            _pct(m["turnover"]),
            _num(m["costs"], 0),
            str(m["rebalances"]),
        )
        excess.add_row(str(name), *[_signed_pct(m[c]) for c in bench_cols])
    risk.caption = (
        "annualised with a 365-day year (daily data), after costs; max DD from the running peak"
    )
    trading.caption = (
        "turnover: mean Σ|trade|/value per rebalance; costs in the quote currency; "
        "rebalances that traded"
    )
    return [risk, trading, excess] if bench_cols else [risk, trading]


def event_summary(result: BacktestResult) -> list[str]:
    """One line per strategy with fallbacks, liquidations or skipped trades, e.g.
    ``max-sharpe: 31 fallback(s) (previous weights held), 1 liquidation(s)``."""
    lines = []
    labels = {
        "fallback": "solver fallback(s)",
        "liquidation": "liquidation(s) when data stopped",
        "skipped-min-notional": "trade(s) below the minimum notional skipped",
        "skipped-zero-volume": "trade(s) without volume skipped",
    }
    for name, res in result.strategies.items():
        if res.events.empty:
            continue
        counts = res.events["event"].value_counts()
        parts = [f"{int(counts[k])} {label}" for k, label in labels.items() if k in counts]
        if parts:
            lines.append(f"{name}: " + ", ".join(parts))
    return lines


#: Warning categories shown one line per message (each names its own asset and dates).
_EACH_MESSAGE = (
    "DataQualityWarning",
    "WindowWarning",
    "CleaningNote",
    "StrategyNote",
    "SymbolNote",
)


def warning_summary(caught: list[warnings.WarningMessage]) -> list[str]:
    """One line per kind of library warning raised during a backtest, with its count and the
    first message (estimators warn at every rebalance, which would flood the terminal); data
    quality, moved windows and cleaning notes one line per message, as they were issued."""
    counts: dict[str, int] = {}
    first: dict[str, str] = {}
    for w in caught:
        if issubclass(w.category, DeprecationWarning):
            continue
        name = w.category.__name__
        key = f"{name}: {w.message}" if name in _EACH_MESSAGE else name
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, str(w.message))
    return [
        first[key]
        if key.split(":", 1)[0] in _EACH_MESSAGE and n == 1
        else f"({key.split(':', 1)[0]}, {n} time(s)); first: {first[key]}"
        for key, n in counts.items()
    ]


def event_records(result: BacktestResult) -> list[dict[str, str]]:
    """Every strategy event (fallbacks, liquidations when data stopped, skipped trades) as
    JSON records ``strategy, timestamp, asset, event, detail``: what the table summarises."""
    out = []
    for name, res in result.strategies.items():
        for row in res.events.itertuples(index=False):
            out.append(
                {
                    "strategy": str(name),
                    "timestamp": pd.Timestamp(row.timestamp).isoformat(),
                    "asset": "" if pd.isna(row.asset) else str(row.asset),
                    "event": str(row.event),
                    "detail": "" if pd.isna(row.detail) else str(row.detail),
                }
            )
    return out
