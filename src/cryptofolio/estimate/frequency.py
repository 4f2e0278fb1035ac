"""Sampling frequency of a time index and the matching annualisation factor.

Crypto trades every day of the year, so a year is 365 daily periods or 24*365 = 8760 hourly
periods (not 252 trading days: pass ``periods_per_year=252`` explicitly for equity-like data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cryptofolio.errors import EstimationError

DAYS_PER_YEAR = 365.0
HOURS_PER_YEAR = 24.0 * 365.0
SECONDS_PER_YEAR = DAYS_PER_YEAR * 86_400.0

# Spacings recognised exactly (seconds -> periods per year).
_KNOWN_SPACINGS: dict[float, float] = {
    60.0: SECONDS_PER_YEAR / 60.0,  # minute bars
    300.0: SECONDS_PER_YEAR / 300.0,
    900.0: SECONDS_PER_YEAR / 900.0,
    3_600.0: HOURS_PER_YEAR,  # hourly
    4 * 3_600.0: HOURS_PER_YEAR / 4.0,
    86_400.0: DAYS_PER_YEAR,  # daily
    7 * 86_400.0: DAYS_PER_YEAR / 7.0,  # weekly
}


def infer_periods_per_year(index: pd.DatetimeIndex) -> float:
    """Annualisation factor implied by the median spacing of ``index``.

    Parameters
    ----------
    index
        Timestamps of the observations (prices or returns), sorted ascending.

    Returns
    -------
    float
        365 for daily data, 8760 (24*365) for hourly data, 52.14 for weekly data; for any other
        regular spacing ``365 days / spacing``.

    Raises
    ------
    EstimationError
        If ``index`` is not a DatetimeIndex, has fewer than two timestamps, is not increasing,
        or is irregular with a median spacing that is no standard period (naming the rows).
    """
    if not isinstance(index, pd.DatetimeIndex):
        raise EstimationError(
            f"cannot infer the sampling frequency from a {type(index).__name__}; use a "
            "DatetimeIndex of UTC timestamps or pass periods_per_year explicitly"
        )
    if len(index) < 2:
        raise EstimationError(
            f"cannot infer the sampling frequency from {len(index)} timestamp(s); need at least 2 "
            "or pass periods_per_year explicitly"
        )
    spacing = regular_spacing_of_ticks(index.asi8, getattr(index, "unit", "ns"))
    if spacing is not None:  # the usual case: evenly spaced, increasing, no NaT
        return periods_of_spacing(spacing)
    steps = _steps_in_seconds(index)
    if (steps <= 0).any():
        raise EstimationError(
            "timestamps are not strictly increasing; sort the data and remove duplicate dates "
            "before estimating"
        )
    if not len(steps):
        spacing = float("nan")
    elif (steps == steps[0]).all():  # regular spacing: no sort
        spacing = float(steps[0])
    else:
        spacing = float(np.median(steps))
        if not _is_known(spacing):  # irregular and no standard period: never guess one
            odd = index[1:][steps != spacing][:5]
            raise EstimationError(
                f"irregular timestamps (median spacing {pd.Timedelta(seconds=spacing)}, no "
                "standard period): e.g. "
                + ", ".join(t.isoformat() for t in odd)
                + "; give every row its period's start in UTC, or pass periods_per_year "
                "(--periods-per-year) explicitly"
            )
    return periods_of_spacing(spacing)


def _is_known(spacing: float) -> bool:
    return any(abs(spacing - known) <= 0.01 * known for known in _KNOWN_SPACINGS)


def periods_of_spacing(spacing: float) -> float:
    """Periods per year of a spacing in seconds (a recognised one exactly)."""
    for known, periods in _KNOWN_SPACINGS.items():
        if abs(spacing - known) <= 0.01 * known:
            return periods
    return SECONDS_PER_YEAR / spacing


_UNIT_PER_SECOND = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}
_NAT = np.iinfo(np.int64).min  # NaT in the integer view of a DatetimeIndex


def regular_spacing_of_ticks(ticks: np.ndarray, unit: str) -> float | None:
    """The spacing in seconds of integer timestamps ``ticks`` (a DatetimeIndex's ``asi8``,
    in its ``unit``) without NaT whose consecutive values are all the same positive step
    apart; ``None`` otherwise (then the general path decides).

    Read from the integer steps (no float array, no sort): the same number as
    ``_steps_in_seconds(index)[0]``, which the general path returns for such an index.
    """
    per_second = _UNIT_PER_SECOND.get(unit)
    if per_second is None:
        return None
    if len(ticks) < 2:
        return None
    steps = ticks[1:] - ticks[:-1]
    first = steps[0]
    if first <= 0 or not (steps == first).all() or ticks.min() == _NAT:
        return None
    return float(first) / per_second


def _steps_in_seconds(index: pd.DatetimeIndex) -> np.ndarray:
    """Spacings between consecutive timestamps, in seconds (pairs with a NaT are left out)."""
    unit = getattr(index, "unit", "ns")
    if index.hasnans or unit not in _UNIT_PER_SECOND:
        return pd.Series(index).diff().dropna().dt.total_seconds().to_numpy()
    return np.diff(index.asi8).astype(float) / _UNIT_PER_SECOND[unit]
