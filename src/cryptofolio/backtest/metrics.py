"""Performance metrics of a backtest. Definitions (``r_t`` periodic simple returns, ``n`` their
number, ``P`` periods per year: 365 for daily data, 8760 hourly; ``V_0`` the initial capital and
``V_t`` the equity after row ``t``):

* total return ``V_n / V_0 - 1``;
* annualised return ``(1 + total)^(P / n) - 1`` (geometric, 365-day year for daily data);
* annualised volatility ``std(r, ddof=1) * sqrt(P)``;
* Sharpe ``(mean(r) * P - rf) / volatility`` (arithmetic mean, ``rf`` annual);
* Sortino ``(mean(r) * P - rf) / downside``, ``downside = sqrt(mean(min(r - rf/P, 0)^2) * P)``;
* maximum drawdown ``min_t (W_t / max_{s<=t} W_s - 1)`` on the wealth path ``W = (V_0, V_1..V_n)``
  (a negative fraction), with the peak, trough and recovery dates;
* Calmar ``annualised return / |max drawdown|``;
* win rate: share of periods with ``r_t > 0``;
* turnover: mean over rebalances of ``sum |trade notional| / value before trading`` (a fully
  invested portfolio bought from cash has turnover 1.0);
* costs: commission + slippage paid, liquidations included (quote currency);
* excess return over a benchmark: annualised return minus the benchmark's.

The functions over series take an equity curve (quote currency, one value per row) or periodic
simple returns; :func:`metrics_table` and :func:`metrics_json` take a whole
:class:`~cryptofolio.backtest.results.BacktestResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from cryptofolio.backtest.results import BacktestResult


@dataclass(frozen=True)
class Drawdown:
    """Maximum drawdown (negative fraction) and its dates; ``recovery`` is ``None`` if the
    wealth never regained the peak."""

    max_drawdown: float
    peak: pd.Timestamp | None
    trough: pd.Timestamp | None
    recovery: pd.Timestamp | None


def total_return(equity: pd.Series, initial: float) -> float:
    """``V_n / V_0 - 1``."""
    return float(equity.iloc[-1] / initial - 1.0)


def annual_return(equity: pd.Series, initial: float, periods_per_year: float) -> float:
    """Geometric annualised return ``(V_n / V_0)^(P / n) - 1``."""
    n = len(equity)
    growth = equity.iloc[-1] / initial
    if n == 0 or growth <= 0:
        return -1.0 if n else float("nan")
    return float(growth ** (periods_per_year / n) - 1.0)


def annual_volatility(returns: pd.Series, periods_per_year: float) -> float:
    """``std(r, ddof=1) * sqrt(P)``."""
    if len(returns) < 2:
        return float("nan")
    return float(np.std(returns.to_numpy(), ddof=1) * np.sqrt(periods_per_year))


def sharpe_ratio(returns: pd.Series, periods_per_year: float, risk_free_rate: float = 0.0) -> float:
    """``(mean(r) * P - rf) / (std(r) * sqrt(P))``; NaN when the volatility is 0."""
    vol = annual_volatility(returns, periods_per_year)
    if not vol or not np.isfinite(vol):
        return float("nan")
    return float((returns.mean() * periods_per_year - risk_free_rate) / vol)


def sortino_ratio(
    returns: pd.Series, periods_per_year: float, risk_free_rate: float = 0.0
) -> float:
    """``(mean(r) * P - rf) / sqrt(mean(min(r - rf/P, 0)^2) * P)``; NaN without downside."""
    r = returns.to_numpy()
    if len(r) == 0:
        return float("nan")
    shortfall = np.minimum(r - risk_free_rate / periods_per_year, 0.0)
    downside = float(np.sqrt(np.mean(shortfall**2) * periods_per_year))
    if downside == 0:
        return float("nan")
    return float((r.mean() * periods_per_year - risk_free_rate) / downside)


def max_drawdown(equity: pd.Series, initial: float | None = None) -> Drawdown:
    """Largest peak-to-trough fall of the wealth path (``initial`` prepended when given)."""
    values = equity.to_numpy(dtype=float)
    times: list[pd.Timestamp | None] = list(equity.index)
    if initial is not None:
        values = np.concatenate([[initial], values])
        times = [None, *times]  # the initial capital sits before the first row
    if len(values) == 0:
        return Drawdown(float("nan"), None, None, None)
    peaks = np.maximum.accumulate(values)
    dd = values / peaks - 1.0
    trough = int(np.argmin(dd))
    if dd[trough] >= 0:
        return Drawdown(0.0, None, None, None)
    peak = int(np.argmax(values[: trough + 1]))
    after = np.flatnonzero(values[trough:] >= values[peak])
    recovery = times[trough + int(after[0])] if len(after) else None
    peak_time = times[peak] if times[peak] is not None else equity.index[0]
    return Drawdown(float(dd[trough]), peak_time, times[trough], recovery)


def drawdown_series(equity: pd.Series, initial: float | None = None) -> pd.Series:
    """``V_t / max_{s<=t} V_s - 1`` at each row (initial capital counted as a prior peak)."""
    values = equity.to_numpy(dtype=float)
    peaks = np.maximum.accumulate(values)
    if initial is not None:
        peaks = np.maximum(peaks, initial)
    return pd.Series(values / peaks - 1.0, index=equity.index, name=equity.name)


def rolling_sharpe(
    returns: pd.Series, periods_per_year: float, window: int = 90, risk_free_rate: float = 0.0
) -> pd.Series:
    """Sharpe over a trailing window of ``window`` periods (annualised)."""
    mean = returns.rolling(window).mean() * periods_per_year - risk_free_rate
    vol = returns.rolling(window).std(ddof=1) * np.sqrt(periods_per_year)
    return (mean / vol.where(vol > 0)).rename(returns.name)


def win_rate(returns: pd.Series) -> float:
    """Share of periods with a strictly positive return."""
    return float((returns > 0).mean()) if len(returns) else float("nan")


def strategy_metrics(
    equity: pd.Series,
    returns: pd.Series,
    initial: float,
    periods_per_year: float,
    *,
    turnover: float = float("nan"),
    costs: float = 0.0,
    risk_free_rate: float = 0.0,
) -> dict[str, object]:
    """Every metric of one equity curve, as a dict (see the module docs)."""
    ann = annual_return(equity, initial, periods_per_year)
    dd = max_drawdown(equity, initial)
    calmar = ann / abs(dd.max_drawdown) if dd.max_drawdown < 0 else float("nan")
    return {
        "total_return": total_return(equity, initial),
        "annual_return": ann,
        "volatility": annual_volatility(returns, periods_per_year),
        "sharpe": sharpe_ratio(returns, periods_per_year, risk_free_rate),
        "sortino": sortino_ratio(returns, periods_per_year, risk_free_rate),
        "max_drawdown": dd.max_drawdown,
        "max_drawdown_peak": dd.peak,
        "max_drawdown_trough": dd.trough,
        "max_drawdown_recovery": dd.recovery,
        "calmar": calmar,
        "win_rate": win_rate(returns),
        "turnover": turnover,
        "costs": costs,
    }


#: the date columns of :func:`metrics_table` (UTC timestamps; NaT where there is none)
DATE_METRICS = ("max_drawdown_peak", "max_drawdown_trough", "max_drawdown_recovery")


def metrics_table(result: BacktestResult, risk_free_rate: float = 0.0) -> pd.DataFrame:
    """One row per strategy; ``excess_vs_<benchmark>`` columns for each benchmark run.

    Every metric column is ``float64`` (fractions, ratios, quote currency as in the module
    docs), the :data:`DATE_METRICS` are ``datetime64`` UTC (``NaT``: no drawdown, or not yet
    recovered) and ``rebalances`` (the rebalances that traded) is ``int64``: no ``object``
    columns, so the frame sorts, plots and compares as numbers in a notebook."""
    rows = {}
    for name, res in result.strategies.items():
        traded = res.rebalances.loc[~res.rebalances["held"], "turnover"]
        rows[name] = strategy_metrics(
            res.equity,
            res.returns,
            res.initial_capital,
            result.periods_per_year,
            turnover=float(res.rebalances["turnover"].mean()) if len(res.rebalances) else 0.0,
            costs=res.total_costs,
            risk_free_rate=risk_free_rate,
        )
        rows[name]["rebalances"] = len(traded)
    table = pd.DataFrame.from_dict(rows, orient="index")
    for col in table.columns:
        if col in DATE_METRICS:
            table[col] = pd.to_datetime(table[col], utc=True)
        elif col == "rebalances":
            table[col] = table[col].astype("int64")
        else:
            table[col] = table[col].astype("float64")
    for bench in result.benchmarks:
        table[f"excess_vs_{bench}"] = table["annual_return"] - table.loc[bench, "annual_return"]
    return table


#: the metrics of the ``--format json`` document, in its order
JSON_METRICS = (
    "annual_return",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "win_rate",
    "turnover",
    "costs",
    "total_return",
)


def metrics_json(result: BacktestResult, risk_free_rate: float = 0.0) -> dict:
    """The ``backtest --format json`` document: ``strategies`` (name -> the
    :data:`JSON_METRICS`, ``None`` where not finite), ``start``, ``end`` (ISO timestamps),
    ``rebalance`` (the schedule's text) and ``lookback`` (rows)."""
    table = metrics_table(result, risk_free_rate=risk_free_rate)
    strategies = {
        name: {k: _json_float(table.loc[name, k]) for k in JSON_METRICS} for name in table.index
    }
    return {
        "strategies": strategies,
        "start": result.start.isoformat(),
        "end": result.end.isoformat(),
        "rebalance": str(result.config.schedule),
        "lookback": int(result.config.lookback),
    }


def _json_float(value: object) -> float | None:
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if pd.notna(f) and abs(f) != float("inf") else None
