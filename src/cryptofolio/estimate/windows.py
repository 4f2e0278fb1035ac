"""Estimation windows on ragged price panels, and checks on a returns window.

A real crypto universe is ragged: coins list and delist on different dates and some series
stop early. :func:`common_window` finds the period where every requested asset has data and
never fills anything; when that period is empty or too short, the error names the limiting
asset(s) and their first/last dates.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cryptofolio.data.at_use import UseChecks, check_prices_at_use
from cryptofolio.data.panels import Panels, to_panels
from cryptofolio.data.symbols import to_asset
from cryptofolio.errors import DataError, EstimationError, UnknownSymbolError
from cryptofolio.user_warnings import user_stacklevel

_all = np.logical_and.reduce  # (ndarray.all without numpy's Python-level wrapper)

DEFAULT_MIN_OBSERVATIONS = 30


class WindowWarning(UserWarning):
    """The window used is narrower than the one requested (an asset starts after --start or
    stops before --end); the message names the asset, the dates and the option to change."""


@dataclass(frozen=True)
class Window:
    """A price window where every asset has a price on every row.

    ``prices`` has ``n_observations + 1`` rows (one price before the first return);
    ``start``/``end`` are its first and last timestamps (UTC).
    """

    prices: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def assets(self) -> list[str]:
        return list(self.prices.columns)

    @property
    def n_observations(self) -> int:
        """Number of periodic returns in the window (rows of prices minus one)."""
        return max(len(self.prices) - 1, 0)


def _fmt(ts: pd.Timestamp | None) -> str:
    if ts is None or pd.isna(ts):
        return "never"
    ts = pd.Timestamp(ts)
    if ts == ts.normalize():
        return str(ts.date())
    return ts.strftime("%Y-%m-%d %H:%M UTC")


def _to_utc(value: str | pd.Timestamp | None) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise DataError(f"cannot read the date {value!r}; use YYYY-MM-DD") from exc
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _span(series: pd.Series) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    return series.first_valid_index(), series.last_valid_index()


def common_window(
    close: pd.DataFrame,
    assets: Sequence[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    *,
    min_observations: int = DEFAULT_MIN_OBSERVATIONS,
    checks: UseChecks | None = None,
    liquidity: Panels | None = None,
) -> Window:
    """The window of ``close`` where every requested asset has a price on every row.

    Parameters
    ----------
    close
        Wide close-price frame, possibly ragged (NaN where an asset has no data), as made by
        :func:`cryptofolio.data.to_panels`.
    assets
        Assets to keep (``BTC`` or markets such as ``BTC/USDT``); default every column.
    start, end
        Optional inclusive UTC bounds requested by the user.
    min_observations
        Fewest periodic returns (rows - 1) the window must hold.
    checks
        The quality pass at use run on the window
        (:func:`cryptofolio.data.at_use.check_prices_at_use`; default :class:`UseChecks`).
    liquidity
        Panels with the assets' volume and market cap, for the quality pass's listing-junk
        check (:func:`market_window` passes them).

    Returns
    -------
    Window
        From the latest first date to the earliest last date of the requested assets (within
        ``[start, end]``). Nothing is filled or dropped.

    Raises
    ------
    UnknownSymbolError
        If a requested asset is not a column of ``close``.
    DataError
        If the common window is empty or shorter than ``min_observations`` (the message names
        the asset(s) that start last / stop first and their dates), if an asset has a gap
        (missing prices) inside it (the message names the asset, the missing dates, and a
        start date after the last gap), or if the quality pass at use refuses the window
        (holes every asset shares, irregular timestamps, implausible prices).

    Warns
    -----
    WindowWarning
        When an asset starts after ``start`` or stops before ``end`` and so moves the window.
    DataQualityWarning
        For the quality findings inside the window (stale runs, jumps, listing junk).
    """
    wanted = _requested_assets(close, assets)
    t0, t1 = _to_utc(start), _to_utc(end)
    if t0 is not None and t1 is not None and t0 > t1:
        raise DataError(f"start {_fmt(t0)} is after end {_fmt(t1)}")
    frame = close.loc[:, wanted].sort_index()
    if t0 is not None:
        frame = frame.loc[frame.index >= t0]
    if t1 is not None:
        frame = frame.loc[frame.index <= t1]
    spans = _overlap_spans(frame, close, t0, t1)
    first = max(f for f, _ in spans.values())
    last = min(last for _, last in spans.values())
    if first > last:
        raise DataError(
            f"no period where all of {', '.join(wanted)} have data: {_limits(spans)}; "
            "drop the limiting asset(s) or change --start/--end"
        )
    window = frame.loc[(frame.index >= first) & (frame.index <= last)]
    _raise_on_gaps(window)
    n_obs = len(window) - 1
    if n_obs >= min_observations:
        _warn_moved(spans, frame.index, t0, t1)
        check_prices_at_use(
            window,
            checks=checks,
            what=f"the window {_fmt(first)} to {_fmt(last)}",
            liquidity=liquidity,
        )
    if n_obs < min_observations:
        raise DataError(
            f"only {max(n_obs, 0)} return(s) where all of {', '.join(wanted)} have data "
            f"({_fmt(first)} to {_fmt(last)}), fewer than the {min_observations} needed; "
            f"limited by: {_limits(spans)}; drop the limiting asset(s) or widen --start/--end"
        )
    return Window(prices=window.astype(float), start=window.index[0], end=window.index[-1])


def market_window(
    market_data: pd.DataFrame,
    assets: Sequence[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    *,
    min_observations: int = DEFAULT_MIN_OBSERVATIONS,
) -> Window:
    """:func:`common_window` of the close prices in a long market-data frame (the frame
    :func:`cryptofolio.data.load_market_data` returns); same errors."""
    panels = to_panels(market_data)
    return common_window(
        panels.close, assets, start, end, min_observations=min_observations, liquidity=panels
    )


def _requested_assets(close: pd.DataFrame, assets: Sequence[str] | None) -> list[str]:
    """The requested assets as column names of ``close`` (default every column), in order,
    without repeats; raises on an unknown asset or none."""
    if assets is None:
        wanted = [str(c) for c in close.columns]
    else:
        wanted = list(dict.fromkeys(to_asset(a) for a in assets))
        unknown = [a for a in wanted if a not in close.columns]
        if unknown:
            raise UnknownSymbolError(
                f"no price data for {', '.join(unknown)}; available: "
                f"{', '.join(map(str, close.columns))}"
            )
    if not wanted:
        raise DataError("no assets requested; pass --assets such as BTC,ETH")
    return wanted


def _overlap_spans(
    frame: pd.DataFrame,
    close: pd.DataFrame,
    t0: pd.Timestamp | None,
    t1: pd.Timestamp | None,
) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    """First and last priced timestamp of each asset of ``frame`` (already cut to the requested
    dates ``t0``..``t1``); raises naming the assets with no price there and their whole span
    in ``close``."""
    spans = {a: _span(frame[a]) for a in frame.columns}
    absent = [a for a, (f, _) in spans.items() if f is None]
    if absent:
        requested = (
            f"{_fmt(t0) if t0 is not None else 'the beginning'} to "
            f"{_fmt(t1) if t1 is not None else 'the end'}"
        )
        full = {a: _span(close[a]) for a in absent}
        detail = "; ".join(
            f"{a} has data {_fmt(f)} to {_fmt(last)}" for a, (f, last) in full.items()
        )
        raise DataError(f"no data for {', '.join(absent)} from {requested} ({detail})")
    return spans


def _limits(spans: dict[str, tuple[pd.Timestamp, pd.Timestamp]]) -> str:
    """The assets that start last and those that stop first, with their dates."""
    first = max(f for f, _ in spans.values())
    last = min(last for _, last in spans.values())
    parts = [f"{a} starts {_fmt(f)}" for a, (f, _) in spans.items() if f == first]
    parts += [f"{a} ends {_fmt(last_)}" for a, (_, last_) in spans.items() if last_ == last]
    return "; ".join(dict.fromkeys(parts))


def _raise_on_gaps(window: pd.DataFrame) -> None:
    """Raise naming each asset's missing dates inside ``window`` and a start after the last
    gap; nothing is filled."""
    missing = window.isna()
    if not missing.to_numpy().any():
        return
    gaps = []
    for a in window.columns:
        dates = window.index[missing[a].to_numpy()]
        if len(dates):
            shown = ", ".join(_fmt(d) for d in dates[:5]) + (
                f" ... ({len(dates)} in all)" if len(dates) > 5 else ""
            )
            gaps.append(f"{a} has no price on {shown}")
    last_gap = window.index[missing.any(axis=1).to_numpy()][-1]
    after = window.index[window.index > last_gap]
    hint = (
        f"start after the last gap (--start {_fmt(after[0])})"
        if len(after)
        else "choose another period"
    )
    raise DataError(
        f"gaps inside the common window {_fmt(window.index[0])} to {_fmt(window.index[-1])}: "
        f"{'; '.join(gaps)}; nothing is filled: {hint} or drop the asset"
    )


def _warn_moved(
    spans: dict[str, tuple[pd.Timestamp, pd.Timestamp]],
    rows: pd.DatetimeIndex,
    t0: pd.Timestamp | None,
    t1: pd.Timestamp | None,
) -> None:
    """Warn when an asset's data starts after the requested start, or stops before the
    requested end, and so moves the common window (named asset, dates, option to change)."""
    if not len(rows):
        return
    first_row, last_row = rows[0], rows[-1]  # the requested range within the data
    start = max(f for f, _ in spans.values())
    stop = min(last for _, last in spans.values())
    late = {a: f for a, (f, _) in spans.items() if f == start and f > first_row}
    early = {a: last for a, (_, last) in spans.items() if last == stop and last < last_row}
    if t0 is not None and late:
        parts = ", ".join(f"{a} starts {_fmt(f)}" for a, f in late.items())
        warnings.warn(
            f"the window starts {_fmt(max(late.values()))}, not at --start {_fmt(t0)}: "
            f"{parts}; drop the asset(s) from --assets or move --start",
            WindowWarning,
            stacklevel=user_stacklevel(),
        )
    if early:
        parts = ", ".join(f"{a} stops {_fmt(last)}" for a, last in early.items())
        asked = f"--end {_fmt(t1)}" if t1 is not None else f"the data's last date {_fmt(last_row)}"
        warnings.warn(
            f"the window ends {_fmt(min(early.values()))}, before {asked}: {parts}; drop the "
            "asset(s) from --assets or set --end",
            WindowWarning,
            stacklevel=user_stacklevel(),
        )


def check_returns_window(returns: pd.DataFrame, *, min_observations: int = 2) -> None:
    """Raise a clear :class:`EstimationError` unless ``returns`` is a usable estimation window.

    Usable: a DataFrame with at least one asset, at least ``min_observations`` rows, no NaN
    and no infinite value (the message names the asset and the dates), unique sorted index.
    """
    _check_returns_frame(returns, min_observations)
    _raise_on_non_finite(returns, _float_values(returns))


def returns_values_and_means(
    returns: pd.DataFrame, *, min_observations: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """The checks of :func:`check_returns_window`, and the returns as a float array with its
    column means (periodic, fractions): what the covariance estimators start from.

    The finiteness check is read from the means (a NaN or infinite return makes its column's
    mean non-finite), so a clean window costs one pass over the data instead of two; only a
    non-finite mean triggers the element-wise search that names the asset and dates.
    """
    _check_is_frame(returns)
    values = _float_values(returns)
    _check_frame_shape(returns, values.shape, min_observations)
    means = column_means(values)
    if not _all(np.isfinite(means)):
        # raises unless the sum merely overflowed (finite values near 1e308: not returns)
        _raise_on_non_finite(returns, values)
    return values, means


def column_means(values: np.ndarray) -> np.ndarray:
    """Column means of a 2-D float array (rows = periods), in its units: ``values.mean(axis=0)``
    to the bit (the same sum, divided by the row count), without numpy's Python-level wrapper
    around it. Every estimator that starts from the means of a returns array takes them from
    here, so the same array gives the same means everywhere."""
    sums = np.add.reduce(values, axis=0)
    sums /= values.shape[0]
    return sums


def _float_values(returns: pd.DataFrame) -> np.ndarray:
    """The frame's values as floats, NaN where missing: for float64 columns their block
    itself (read only; NaN is already NaN), other dtypes and pandas' missing values
    converted."""
    values = returns.to_numpy()
    if values.dtype != np.float64:
        values = returns.to_numpy(dtype=float, na_value=np.nan)
    return values


def _check_returns_frame(returns: pd.DataFrame, min_observations: int) -> None:
    _check_is_frame(returns)
    _check_frame_shape(returns, returns.shape, min_observations)


def _check_is_frame(returns: pd.DataFrame) -> None:
    if not isinstance(returns, pd.DataFrame):
        raise EstimationError(
            f"returns must be a DataFrame (rows = timestamps, columns = assets), got "
            f"{type(returns).__name__}"
        )


def _check_frame_shape(
    returns: pd.DataFrame, shape: tuple[int, ...], min_observations: int
) -> None:
    """``shape``: the frame's own, or that of its values (the same, read without pandas)."""
    rows, cols = shape
    if cols == 0:
        raise EstimationError("returns have no asset columns")
    if rows < min_observations:
        raise EstimationError(
            f"only {rows} return observation(s) for {', '.join(map(str, returns.columns))}; "
            f"need at least {min_observations}: widen the window"
        )
    if not returns.columns.is_unique:  # cached on the Index
        dup = returns.columns[returns.columns.duplicated()][0]
        raise EstimationError(f"asset {dup} appears twice in the returns columns")


def _raise_on_non_finite(returns: pd.DataFrame, values: np.ndarray) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        parts = []
        for j in np.nonzero(bad.any(axis=0))[0]:
            dates = returns.index[bad[:, j]]
            shown = ", ".join(_fmt(d) if isinstance(d, pd.Timestamp) else str(d) for d in dates[:3])
            more = f" ... ({len(dates)} in all)" if len(dates) > 3 else ""
            parts.append(f"{returns.columns[j]} on {shown}{more}")
        raise EstimationError(
            "missing (NaN) or infinite returns inside the estimation window: "
            + "; ".join(parts)
            + "; choose a window where every asset has data (see common_window); nothing is filled"
        )
