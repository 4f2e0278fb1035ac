"""The quality pass at use: the checks of ``cryptofolio data quality``, made on the prices a
stage is about to use (the requested assets, inside the requested window).

Every stage that turns prices into returns (optimize, frontier, backtest, allocate, rebalance,
sweep) calls :func:`check_prices_at_use` on its wide close frame first:

refused (:class:`~cryptofolio.errors.DataError`, naming the rows)
    * timestamps off the period grid (mixed UTC offsets, snapshots at other times);
    * holes of the grid that every asset shares (a hole is a hole, shared or not: the move
      across it would count as one period's return);
    * implausible prices: infinite, non-positive, or above :attr:`UseChecks.max_price`
      (a price of 1e300 names the asset, the date and the value).
warned about (:class:`DataQualityWarning`, the words of :meth:`QualityReport.findings`)
    * runs of identical closes at least :attr:`UseChecks.stale_min_rows` long (stale data),
      stablecoins (near-constant series) left out;
    * one-period moves beyond the jump threshold;
    * pre-listing junk inside the window (``--clean standard`` drops it).

Nothing is filled, dropped or clipped here: the caller gets the same frame or an error.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from cryptofolio.data.frame import FREQUENCIES
from cryptofolio.data.panels import Panels
from cryptofolio.data.quality import Check, QualityReport, QualityThresholds, quality_report
from cryptofolio.errors import DataError
from cryptofolio.user_warnings import user_stacklevel

#: The quality findings warned about at use (the others are refused below or do not concern
#: the closes a stage uses).
WARNED_CHECKS: frozenset[Check] = frozenset({Check.STALE, Check.JUMPS, Check.LISTING_JUNK})


class DataQualityWarning(UserWarning):
    """A quality finding inside the data a stage uses (stale run, jump, listing junk)."""


@dataclass(frozen=True)
class UseChecks:
    """What the quality pass at use refuses and warns about.

    Attributes
    ----------
    max_price
        Closes above this (quote currency, e.g. USD) are implausible and refused.
    stale_min_rows
        Runs of identical closes with at least this many rows are warned about.
    warn
        The quality checks whose findings become :class:`DataQualityWarning` (a subset of
        :data:`WARNED_CHECKS`).
    refuse
        The quality checks whose findings are refused instead of warned about.
    thresholds
        Thresholds of the heuristic checks (jumps, listing junk), as in ``data quality``.
    """

    max_price: float = 1e12
    stale_min_rows: int = 5
    warn: frozenset[Check] = WARNED_CHECKS
    refuse: frozenset[Check] = frozenset()
    thresholds: QualityThresholds = field(default_factory=QualityThresholds)

    def strict(self) -> UseChecks:
        """The same checks with every warned finding refused."""
        return replace(self, refuse=self.refuse | self.warn, warn=frozenset())


def _fmt(ts: pd.Timestamp, daily: bool) -> str:
    ts = pd.Timestamp(ts)
    if daily and ts == ts.normalize():
        return ts.strftime("%Y-%m-%d")
    return ts.strftime("%Y-%m-%d %H:%M UTC")


def _shown(items: list[str], limit: int = 5) -> str:
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" ... ({len(items)} in all)" if more > 0 else "")


def grid_step(index: pd.DatetimeIndex) -> pd.Timedelta | None:
    """The period length of ``index``: the known period length
    (:data:`cryptofolio.data.frame.FREQUENCIES`) within 10 % of its median spacing, else
    None (no grid to check against)."""
    if len(index) < 3:
        return None
    median = float(np.median(np.diff(index.asi8)))
    for step in FREQUENCIES.values():
        if abs(median - step.value) <= 0.1 * step.value:
            return step
    return None


def check_time_grid(
    index: pd.DatetimeIndex, *, what: str = "the prices", holes: str = "refuse"
) -> pd.DatetimeIndex:
    """Refuse timestamps off the period grid and holes of the grid (periods absent from every
    asset): the message names the rows or the dates. With ``holes="return"`` the holes are
    returned instead of refused (for :func:`insert_missing_periods`).

    Raises
    ------
    DataError
        Unsorted or repeated timestamps, timestamps off the grid of the modal spacing, or
        missing periods.
    """
    none = pd.DatetimeIndex([], tz="UTC")
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return none
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise DataError(f"timestamps of {what} must be unique and increasing; sort them")
    step = grid_step(index)
    if step is None:
        steps = np.diff(index.asi8)
        if (steps != steps[0]).any():
            rows = [_fmt(t, False) for t in index[1:][steps != np.median(steps)]]
            raise DataError(
                f"irregular spacing in {what}: the timestamps follow no period (median step "
                f"{pd.Timedelta(int(np.median(steps)), unit='ns')}); irregular rows: "
                f"{_shown(rows)}; give every row the period's start in UTC"
            )
        return none
    daily = step >= pd.Timedelta("1D")
    unit, grid_name = {
        pd.Timedelta("1D"): ("day", "daily"),
        pd.Timedelta("1h"): ("hour", "hourly"),
    }.get(step, (f"{step} period", str(step)))
    offset = index.asi8 % step.value
    values, counts = np.unique(offset, return_counts=True)
    off = index[offset != values[np.argmax(counts)]]
    if len(off):
        rows = [_fmt(t, False) for t in off]
        raise DataError(
            f"irregular spacing in {what}: {len(off)} timestamp(s) off the {grid_name} grid "
            f"(mixed UTC offsets or snapshots at other times): {_shown(rows)}; give every row "
            "the period's start in UTC (nothing is snapped or resampled silently)"
        )
    grid = pd.date_range(index[0], index[-1], freq=step)
    missing = grid.difference(index)
    if len(missing) and holes == "return":
        return missing
    if len(missing):
        runs = _date_runs(missing, step, daily)
        raise DataError(
            f"{len(missing)} {unit}(s) missing from every asset in {what}: {_shown(runs)}; "
            "a hole is a hole, shared or not (the move across it is not one period's return); "
            "nothing is filled: choose --start/--end around it, or fill it explicitly"
        )
    return none


def insert_missing_periods(panels: Panels, *, what: str = "the prices") -> Panels:
    """``panels`` with the periods that every asset misses inserted as rows without prices
    (NaN: nothing is filled), so that a shared hole is treated like one asset's hole (an
    asset is not eligible again until it has a clean lookback; a held asset is sold at its
    last price); a :class:`DataQualityWarning` names the dates. Timestamps off the grid are
    refused (:func:`check_time_grid`)."""
    index = pd.DatetimeIndex(panels.close.index)
    missing = check_time_grid(index, what=what, holes="return")
    if not len(missing):
        return panels
    step = grid_step(index)
    daily = step is not None and step >= pd.Timedelta("1D")
    unit = (
        "day"
        if step == pd.Timedelta("1D")
        else ("hour" if step == pd.Timedelta("1h") else "period")
    )
    warnings.warn(
        f"{what}: {len(missing)} {unit}(s) missing from every asset: "
        f"{_shown(_date_runs(missing, step, daily))}; inserted as rows without prices "
        "(nothing filled): each asset there is treated as having a hole (not eligible again "
        "until it has a full clean lookback; held assets are sold at their last price)",
        DataQualityWarning,
        stacklevel=user_stacklevel(),
    )
    full = index.union(missing)
    frames = {
        name: getattr(panels, name).reindex(full)
        for name in ("close", "volume", "market_cap", "open", "high", "low")
    }
    for frame in frames.values():
        frame.index.name = "timestamp"
    return Panels(**frames)


def _date_runs(missing: pd.DatetimeIndex, step: pd.Timedelta, daily: bool) -> list[str]:
    ticks = missing.asi8
    breaks = np.nonzero(np.diff(ticks) != step.value)[0] + 1
    out = []
    for run in np.split(np.arange(len(missing)), breaks):
        first, last = missing[run[0]], missing[run[-1]]
        out.append(
            _fmt(first, daily)
            if len(run) == 1
            else f"{_fmt(first, daily)} to {_fmt(last, daily)} ({len(run)})"
        )
    return out


def check_price_values(close: pd.DataFrame, *, max_price: float = 1e12) -> None:
    """Refuse implausible closes: infinite, non-positive, or above ``max_price``; the message
    names the asset, the date and the value. NaN (no data) is left to the window checks."""
    values = close.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = np.isinf(values) | (values <= 0) | (values > max_price)
    if not bad.any():
        return
    daily = grid_step(close.index) is not None and grid_step(close.index) >= pd.Timedelta("1D")
    parts = []
    for j in np.nonzero(bad.any(axis=0))[0]:
        rows = np.nonzero(bad[:, j])[0]
        shown = [f"{values[i, j]:.6g} on {_fmt(close.index[i], daily)}" for i in rows[:3]]
        more = f" ({len(rows)} in all)" if len(rows) > 3 else ""
        parts.append(f"{close.columns[j]} {', '.join(shown)}{more}")
    raise DataError(
        f"implausible prices (infinite, <= 0 or above {max_price:.0e}): "
        + "; ".join(parts)
        + "; correct or remove these rows (nothing is clipped)"
    )


def quality_findings(
    close: pd.DataFrame, checks: UseChecks, liquidity: Panels | None = None
) -> list[tuple[Check, str]]:
    """The findings of ``data quality`` on the closes of ``close`` (wide, ragged), for the
    checks in ``checks.warn | checks.refuse``, in the words of
    :meth:`~cryptofolio.data.quality.QualityReport.findings` (stale runs shorter than
    ``stale_min_rows`` and near-constant series' runs left out). ``liquidity``: panels whose
    volume and market cap (on the same rows and assets) the listing-junk check reads."""
    wanted = checks.warn | checks.refuse
    if not wanted or close.empty:
        return []
    long = _long(close, "close")
    if liquidity is not None:
        for name in ("volume", "market_cap"):
            wide = getattr(liquidity, name).reindex(index=close.index, columns=close.columns)
            values = _long(wide, name)
            long = long.merge(values, on=["timestamp", "symbol"], how="left")
    if long.empty or long["symbol"].nunique() == 0:
        return []
    step = grid_step(pd.DatetimeIndex(close.index))
    label = next((k for k, v in FREQUENCIES.items() if v == step), None)
    try:
        with np.errstate(all="ignore"):
            report = quality_report(long, label, thresholds=checks.thresholds)
    except DataError:  # too few rows to tell a frequency: nothing to warn about
        return []
    table = report.table.copy()
    quiet = (table["longest_stale_run"] < checks.stale_min_rows) | table["near_constant"]
    table.loc[quiet, "stale_runs"] = 0
    filtered = QualityReport(
        frequency=report.frequency,
        table=table,
        gaps=report.gaps,
        jumps=report.jumps,
        thresholds=report.thresholds,
    )
    return [(f.check, f.message) for f in filtered.findings() if f.check in wanted]


def _long(wide: pd.DataFrame, name: str) -> pd.DataFrame:
    """A wide frame as ``timestamp, symbol, name`` rows (NaN cells left out)."""
    stacked = wide.rename_axis(index="timestamp", columns="symbol").stack()
    return stacked.rename(name).reset_index()


def check_prices_at_use(
    close: pd.DataFrame,
    *,
    checks: UseChecks | None = None,
    what: str = "the prices",
    skip: Collection[str] = (),
    liquidity: Panels | None = None,
) -> list[str]:
    """The quality pass at use on a wide close frame (index UTC timestamps, one column per
    asset, NaN where an asset has no data).

    Parameters
    ----------
    close
        The closes the stage will use (requested assets, requested window).
    checks
        What to refuse and warn about (default :class:`UseChecks`).
    what
        How the messages name the data ("the optimisation window", ...).
    skip
        ``"grid"`` skips the time-grid check (a caller that checked it already).
    liquidity
        Panels with the volume and market cap of the same assets (the listing-junk check
        needs them; without them it finds nothing).

    Returns
    -------
    list of str
        The findings warned about (each also issued as a :class:`DataQualityWarning`).

    Raises
    ------
    DataError
        Irregular timestamps, holes every asset shares, implausible prices, and the findings
        of ``checks.refuse``.
    """
    checks = checks or UseChecks()
    if "grid" not in skip:
        check_time_grid(pd.DatetimeIndex(close.index), what=what)
    check_price_values(close, max_price=checks.max_price)
    found = quality_findings(close, checks, liquidity)
    refused = [text for check, text in found if check in checks.refuse]
    if refused:
        raise DataError(
            f"data-quality findings in {what}: "
            + "; ".join(refused)
            + "; clean them (--clean standard drops listing junk) or choose another window"
        )
    texts = [f"{what}: {text}" for check, text in found if check in checks.warn]
    for text in texts:
        warnings.warn(text, DataQualityWarning, stacklevel=user_stacklevel())
    return texts
