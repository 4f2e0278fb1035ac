"""Return analytics of an equity curve, as quantstats users know them: daily returns, monthly and
yearly returns, the worst drawdown periods, rolling volatility and rolling beta.

Conventions (the same as :mod:`cryptofolio.backtest.metrics`): returns are simple periodic
returns as fractions (0.05 is +5 %); calendar periods compound them, ``prod(1 + r) - 1``;
timestamps are UTC and calendar days, months and years are UTC ones; annualisation uses
``periods_per_year`` (365 for daily crypto data, 24 * 365 hourly).

Each function takes a labelled :class:`pandas.Series` of returns (or an equity curve) with a
:class:`~pandas.DatetimeIndex` and returns labelled pandas objects of ``float`` dtype.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cryptofolio.errors import BacktestError

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: columns of :func:`drawdown_periods`
DRAWDOWN_COLUMNS = ("peak", "trough", "recovery", "drawdown", "days", "recovered")


def _datetime_index(series: pd.Series, what: str) -> pd.DatetimeIndex:
    if not isinstance(series.index, pd.DatetimeIndex):
        raise BacktestError(
            f"{what} needs a Series with a DatetimeIndex, got a {type(series.index).__name__}"
        )
    return series.index


def _compound(returns: pd.Series | pd.DataFrame, keys) -> pd.Series | pd.DataFrame:  # type: ignore[no-untyped-def]
    # min_count=1: a period whose rows are all NaN stays NaN (not a 0 % return)
    return (1.0 + returns).groupby(keys).prod(min_count=1) - 1.0


def daily_returns(returns: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Periodic returns compounded to calendar days (UTC), indexed by the day.

    The index is tz-naive midnight dates named ``date`` (the UTC calendar day), which is what
    quantstats and empyrical expect; daily input keeps its values. A day without rows is absent,
    not zero (nothing is filled).
    """
    index = _datetime_index(returns, "daily_returns")  # type: ignore[arg-type]
    days = index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index
    out = _compound(returns.astype(float), days.floor("D"))
    out.index = pd.DatetimeIndex(out.index, name="date")
    return out


def monthly_returns(returns: pd.Series) -> pd.DataFrame:
    """Compounded returns per calendar month: one row per year, columns ``Jan`` .. ``Dec`` and
    ``year`` (the compounded return of the year's rows); NaN where a month has no rows."""
    index = _datetime_index(returns, "monthly_returns")
    r = returns.astype(float)
    by_month = _compound(r, [index.year, index.month])
    table = by_month.unstack().reindex(columns=range(1, 13))
    table.columns = list(MONTHS)
    table["year"] = yearly_returns(returns)
    table.index.name = "year"
    return table.astype(float)


def yearly_returns(returns: pd.Series) -> pd.Series:
    """Compounded return of each calendar year (index: the year as an int)."""
    index = _datetime_index(returns, "yearly_returns")
    out = _compound(returns.astype(float), index.year)
    out.index.name = "year"
    return out.astype(float).rename(returns.name)


def drawdown_periods(
    equity: pd.Series, initial: float | None = None, top: int = 10
) -> pd.DataFrame:
    """The ``top`` worst drawdown periods of an equity curve, worst first.

    A period runs from a running peak of the wealth path (``initial`` counted as the first
    peak when given) to the first row back at or above that peak.

    Returns
    -------
    DataFrame
        One row per period: ``peak`` (last row at the peak; NaT for the initial capital),
        ``trough`` (the lowest row), ``recovery`` (first row back at the peak; NaT if not yet),
        ``drawdown`` (trough / peak - 1, a negative fraction), ``days`` (calendar days from
        peak, or the first row, to recovery, or the last row; float), ``recovered`` (bool).
    """
    _datetime_index(equity, "drawdown_periods")
    values = equity.to_numpy(dtype=float)
    times = list(equity.index)
    if initial is not None:
        values = np.concatenate([[float(initial)], values])
        times = [pd.NaT, *times]
    peaks = np.maximum.accumulate(values) if len(values) else values
    under = values < peaks
    rows = []
    k = 0
    while k < len(values):
        if not under[k]:
            k += 1
            continue
        start = k
        while k < len(values) and under[k]:
            k += 1
        peak = start - 1  # under[0] is False: the first value is its own peak
        trough = start + int(np.argmin(values[start:k]))
        recovered = k < len(values)
        first = times[peak] if times[peak] is not pd.NaT else times[start]
        last = times[k] if recovered else times[-1]
        rows.append(
            {
                "peak": times[peak],
                "trough": times[trough],
                "recovery": times[k] if recovered else pd.NaT,
                "drawdown": values[trough] / values[peak] - 1.0,
                "days": float((last - first).days),
                "recovered": recovered,
            }
        )
    frame = pd.DataFrame(rows, columns=list(DRAWDOWN_COLUMNS))
    if frame.empty:
        return frame.astype({"drawdown": float, "days": float, "recovered": bool})
    frame = frame.sort_values("drawdown", kind="stable").head(top).reset_index(drop=True)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="rank")
    return frame


def rolling_volatility(returns: pd.Series, periods_per_year: float, window: int) -> pd.Series:
    """Annualised volatility over a trailing window: ``std(r, ddof=1) * sqrt(P)``; NaN until
    ``window`` rows are seen."""
    if window < 2:
        raise BacktestError(f"the rolling window must be at least 2 rows, got {window}")
    return returns.astype(float).rolling(window).std(ddof=1) * np.sqrt(periods_per_year)


def rolling_beta(returns: pd.Series, benchmark: pd.Series, window: int) -> pd.Series:
    """Beta to ``benchmark`` over a trailing window: ``cov(r, b) / var(b)`` (both ddof=1), on the
    rows both have; NaN until ``window`` common rows are seen or where ``var(b)`` is 0."""
    if window < 2:
        raise BacktestError(f"the rolling window must be at least 2 rows, got {window}")
    both = pd.concat([returns.astype(float), benchmark.astype(float)], axis=1, join="inner")
    both.columns = ["r", "b"]
    cov = both["r"].rolling(window).cov(both["b"])
    var = both["b"].rolling(window).var()
    return (cov / var.where(var > 0)).rename(returns.name)
