"""Periodic returns from prices, excess returns, cumulative and average returns.

All functions work on wide frames (rows = UTC timestamps, columns = assets) and return
*periodic* figures (per row: daily for daily data) as fractions (0.01 = 1 %), except where the
name says ``annualised``.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from cryptofolio.errors import EstimationError


class ReturnsKind(StrEnum):
    """How periodic returns are computed from prices."""

    SIMPLE = "simple"  # p_t / p_{t-1} - 1
    LOG = "log"  # ln(p_t / p_{t-1})


def _price_values(prices: pd.DataFrame) -> np.ndarray:
    """The prices as a float array (NaN where missing); raises unless a DataFrame."""
    if not isinstance(prices, pd.DataFrame):
        raise EstimationError(
            f"prices must be a wide DataFrame (rows = timestamps, columns = assets), "
            f"got {type(prices).__name__}"
        )
    return prices.to_numpy(dtype=float, na_value=np.nan)


def check_prices(prices: pd.DataFrame, values: np.ndarray | None = None) -> np.ndarray:
    """The prices as a float array (NaN where missing), after the checks (``values``: the
    array :func:`_price_values` made of ``prices``, when the caller has it)."""
    if values is None:
        values = _price_values(prices)
    bad = np.isfinite(values) & (values <= 0)
    if bad.any():
        rows, cols = np.nonzero(bad)
        asset = prices.columns[cols[0]]
        when = prices.index[rows[0]]
        raise EstimationError(
            f"price of {asset} is {float(values[rows[0], cols[0]])!r} on {when} ({int(bad.sum())} "
            "non-positive price(s) in all); returns need strictly positive prices, so remove or "
            "correct those rows"
        )
    if np.isinf(values).any():
        rows, cols = np.nonzero(np.isinf(values))
        raise EstimationError(
            f"price of {prices.columns[cols[0]]} is infinite on {prices.index[rows[0]]}; "
            "correct the data"
        )
    return values


def price_ratios(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """``values[1:] / values[:-1]`` (a new array) and whether every price in ``values`` is
    known to be positive and finite (``False``: the caller runs the element-wise checks).

    Read from the first and last rows and the smallest ratio, not from every price (a few
    calls instead of a pass per condition): if the first price of a column is positive and
    finite, every ratio is positive (NaN compares false) and the last price is finite, then
    so is every price. By induction on the first
    bad price ``p_t`` after a good ``p_{t-1}``: NaN, zero or a negative price gives a NaN,
    zero or negative ``p_t / p_{t-1}``; ``+inf`` gives ``p_{t+1} / p_t`` zero or NaN, or is
    the last price. A ratio of two valid prices that underflows to zero answers ``False``
    too (the element-wise checks then pass).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = values[1:] / values[:-1]
    if not values.size:
        return ratio, True
    ends = values[:: max(len(values) - 1, 1)]  # the first and last rows (a view)
    # min and max propagate NaN; every comparison with NaN is False
    clean = bool(ends.min() > 0 and ends.max() < np.inf)
    if clean and ratio.size:
        clean = bool(ratio.min() > 0)
    return ratio, clean


def returns_of_ratios(ratio: np.ndarray, kind: ReturnsKind = ReturnsKind.SIMPLE) -> np.ndarray:
    """Periodic returns of the price ratios ``p_t / p_{t-1}``, written over ``ratio``
    (returned): ``ratio - 1`` (simple) or ``ln(ratio)`` (log)."""
    kind = ReturnsKind(kind)
    if kind is ReturnsKind.LOG:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log(ratio, out=ratio)
    # subtracting 1 raises no floating-point flag, NaN and inf included
    return np.subtract(ratio, 1.0, out=ratio)


def returns_from_prices(
    prices: pd.DataFrame, kind: ReturnsKind = ReturnsKind.SIMPLE
) -> pd.DataFrame:
    """Periodic returns from a wide price frame.

    Parameters
    ----------
    prices
        Wide frame of prices (rows = UTC timestamps, columns = assets), strictly positive.
    kind
        ``simple``: ``p_t / p_{t-1} - 1``; ``log``: ``ln(p_t / p_{t-1})``.

    Returns
    -------
    pandas.DataFrame
        One row fewer than ``prices`` (the first row is dropped); a return is NaN wherever
        either of its two prices is NaN. Nothing is filled.

    Raises
    ------
    EstimationError
        On a non-positive or infinite price (naming the asset and the date).
    """
    values = _price_values(prices)
    out = returns_of_price_values(values, prices, kind)
    return pd.DataFrame(out, index=prices.index[1:], columns=prices.columns, copy=False)


def returns_of_price_values(
    values: np.ndarray, prices: pd.DataFrame, kind: ReturnsKind = ReturnsKind.SIMPLE
) -> np.ndarray:
    """The values of :func:`returns_from_prices`: periodic returns ((T - 1) x N, a new array)
    of the float array ``values`` of ``prices`` (the frame names the asset and date of a
    non-positive or infinite price in the error)."""
    ratio, clean = price_ratios(values)
    if not clean:  # a NaN (allowed) or a bad price: the element-wise checks
        check_prices(prices, values)
    return returns_of_ratios(ratio, kind)


def simple_to_log(returns: pd.DataFrame) -> pd.DataFrame:
    """Convert simple periodic returns to log returns: ``ln(1 + r)``."""
    return np.log1p(returns)


def log_to_simple(returns: pd.DataFrame) -> pd.DataFrame:
    """Convert log periodic returns to simple returns: ``exp(r) - 1``."""
    return np.expm1(returns)


def demeaned_returns(returns: pd.DataFrame) -> pd.DataFrame:
    """Excess returns over each asset's own mean (periodic): ``r_t - mean(r)``."""
    return returns - returns.mean()


def periodic_rate(annual_rate: float, periods_per_year: float) -> float:
    """The periodic rate that compounds to ``annual_rate`` over ``periods_per_year`` periods.

    ``(1 + annual_rate) ** (1 / periods_per_year) - 1``; e.g. 4 % a year is 0.01075 % a day
    with 365 periods.
    """
    if annual_rate <= -1.0:
        raise EstimationError(f"annual rate {annual_rate!r} must be above -1 (-100 %)")
    if periods_per_year <= 0:
        raise EstimationError(f"periods_per_year must be positive, got {periods_per_year!r}")
    return float((1.0 + annual_rate) ** (1.0 / periods_per_year) - 1.0)


def excess_returns(
    returns: pd.DataFrame,
    benchmark: float | pd.Series,
    *,
    periods_per_year: float | None = None,
    annual: bool = True,
) -> pd.DataFrame:
    """Periodic returns in excess of a rate or of a benchmark return series.

    Parameters
    ----------
    returns
        Periodic simple returns (rows = timestamps, columns = assets).
    benchmark
        Either a rate (float) or a periodic return series on the same timestamps (e.g. a
        stablecoin's returns, ``returns["USDT"]``). Stablecoins are cash-like assets, not a
        risk-free rate: subtracting one is a modelling choice made explicit here.
    periods_per_year
        Needed for an annual rate: it is turned into the equivalent periodic rate with
        :func:`periodic_rate`.
    annual
        Whether a float ``benchmark`` is an annual rate (default) or already periodic.

    Returns
    -------
    pandas.DataFrame
        ``returns - benchmark``, periodic fractions.

    Raises
    ------
    EstimationError
        If a benchmark series does not cover every timestamp of ``returns`` or has NaN there,
        or if an annual rate comes without ``periods_per_year``.
    """
    if isinstance(benchmark, pd.Series):
        missing = returns.index.difference(benchmark.index)
        if len(missing):
            raise EstimationError(
                f"benchmark series {benchmark.name!r} has no value on {len(missing)} of the "
                f"return dates (first {missing[0]}); align it with the returns first"
            )
        aligned = benchmark.reindex(returns.index)
        if aligned.isna().any():
            first = aligned.index[aligned.isna()][0]
            raise EstimationError(
                f"benchmark series {benchmark.name!r} is NaN on {int(aligned.isna().sum())} "
                f"return date(s) (first {first}); choose a window where it has data"
            )
        return returns.sub(aligned.astype(float), axis=0)
    rate = float(benchmark)
    if annual:
        if periods_per_year is None:
            raise EstimationError(
                "an annual benchmark rate needs periods_per_year (365 daily, 8760 hourly) to "
                "be turned into a periodic rate"
            )
        rate = periodic_rate(rate, periods_per_year)
    return returns - rate


def cumulative_returns(
    returns: pd.DataFrame, kind: ReturnsKind = ReturnsKind.SIMPLE
) -> pd.DataFrame:
    """Cumulative simple return up to each row: ``prod(1 + r) - 1`` (``exp(sum r) - 1`` for log).

    NaN returns propagate (nothing is skipped): a NaN row makes every later value NaN.
    """
    kind = ReturnsKind(kind)
    if kind is ReturnsKind.LOG:
        return np.expm1(returns.cumsum(skipna=False))
    return (1.0 + returns).cumprod(skipna=False) - 1.0


def average_returns(returns: pd.DataFrame) -> pd.Series:
    """Arithmetic mean periodic return of each asset (not annualised; NaN if any NaN)."""
    return returns.mean(skipna=False)


def geometric_average_returns(
    returns: pd.DataFrame, kind: ReturnsKind = ReturnsKind.SIMPLE
) -> pd.Series:
    """Compounded (geometric) mean periodic return: ``prod(1 + r) ** (1/T) - 1``."""
    kind = ReturnsKind(kind)
    log_r = returns if kind is ReturnsKind.LOG else np.log1p(returns)
    return np.expm1(log_r.mean(skipna=False))
