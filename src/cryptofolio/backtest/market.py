"""The market a backtest runs on: the ragged panels as arrays, the eligibility of every asset on
every row, the decision windows and the history a strategy may see (rows strictly before the
decision)."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd

from cryptofolio.backtest.config import BacktestConfig, WindowKind
from cryptofolio.data import Panels
from cryptofolio.data.at_use import check_prices_at_use
from cryptofolio.errors import BacktestError
from cryptofolio.estimate.windows import WindowWarning
from cryptofolio.user_warnings import user_stacklevel


class Market:
    """Numpy views of the panels and the eligibility of every asset at every row."""

    def __init__(self, panels: Panels, config: BacktestConfig) -> None:
        close = panels.close
        if close.empty:
            raise BacktestError("no price data to backtest")
        if not close.index.is_monotonic_increasing or close.index.has_duplicates:
            raise BacktestError("price timestamps must be unique and increasing")
        self.panels = panels
        self.index = close.index
        self.assets = list(close.columns)
        self.asset_index = pd.Index(self.assets)
        # label subsets by the bytes of their positions (see labels() and names())
        self._indexes: dict[bytes, pd.Index] = {}
        self._names: dict[bytes, tuple[str, ...]] = {}
        self.close = close.to_numpy(dtype=float)
        # the closes asset by asset (assets x rows, C-contiguous; a view when pandas already
        # stores them so): a price window is one contiguous run of each eligible asset's row
        self.close_by_asset = np.asfortranarray(self.close).T
        self.valid = np.isfinite(self.close) & (self.close > 0)
        self.all_valid = self.valid.all(axis=1)
        self.price = np.where(self.valid, self.close, 0.0)
        self.volume = panels.volume.reindex(index=close.index, columns=close.columns).to_numpy(
            dtype=float
        )
        valid_int = self.valid.astype(np.int64)
        count = np.cumsum(valid_int, axis=0)
        reset = np.maximum.accumulate(np.where(self.valid, 0, count), axis=0)
        run = count - reset  # consecutive valid rows ending at each row
        self.hist_run = np.vstack([np.zeros((1, run.shape[1]), dtype=run.dtype), run[:-1]])
        self.eligible = (self.hist_run >= config.lookback) & self.valid
        self.lookback = config.lookback
        self.window = config.window

        lo, hi = self._rows_between(config)
        self.first = self._first_decision(lo, hi, run, config.lookback)
        self.last = hi  # exclusive
        used = close.iloc[max(0, self.first - config.lookback) : hi]
        check_prices_at_use(
            used,
            what=f"the backtest data {_day(used.index[0])} to {_day(used.index[-1])}",
            skip=("grid",),  # run_backtest inserted the shared holes (insert_missing_periods)
            liquidity=panels,
        )
        if config.start is not None and self.first > lo:
            self._warn_start_moved(lo, run)
        self.sim_index = self.index[self.first : self.last]

    def _rows_between(self, config: BacktestConfig) -> tuple[int, int]:
        """The rows ``[lo, hi)`` between --start and --end (the whole index without them)."""
        lo = 0
        if config.start is not None:
            lo = int(self.index.searchsorted(_utc(config.start), side="left"))
        hi = len(self.index)
        if config.end is not None:
            hi = int(self.index.searchsorted(_utc(config.end), side="right"))
        if lo >= hi:
            raise BacktestError(
                f"no rows between start {config.start} and end {config.end}; the data covers "
                f"{self.index[0]} to {self.index[-1]}"
            )
        return lo, hi

    def _first_decision(self, lo: int, hi: int, run: np.ndarray, lookback: int) -> int:
        """The first row in ``[lo, hi)`` where some asset has ``lookback`` clean rows before it."""
        any_eligible = self.eligible[lo:hi].any(axis=1)
        if not any_eligible.any():
            longest = int(run[:hi].max()) if run.size else 0
            best = self.assets[int(np.argmax(run[:hi].max(axis=0)))]
            raise BacktestError(
                f"lookback of {lookback} rows is longer than the data allows: no asset "
                f"has {lookback} clean rows before any decision date up to "
                f"{self.index[hi - 1]} (longest clean run: {longest} rows, {best}); shorten "
                "--lookback or load more history"
            )
        return lo + int(np.argmax(any_eligible))

    def _warn_start_moved(self, lo: int, run: np.ndarray) -> None:
        """--start asked for row ``lo`` but no asset had a full lookback there: say where the
        backtest starts instead, which asset comes first, and what to change."""
        j = int(np.argmax(self.eligible[self.first]))
        warnings.warn(
            f"the backtest starts {_day(self.index[self.first])}, not at --start "
            f"{_day(self.index[lo])}: no asset has --lookback {self.lookback} clean rows of "
            f"history before {_day(self.index[lo])} (the longest there: "
            f"{int(run[lo - 1].max()) if lo > 0 else 0} rows; {self.assets[j]} is first to "
            f"have them); shorten --lookback or move --start",
            WindowWarning,
            stacklevel=user_stacklevel(),
        )

    def history(self, i: int) -> Panels:
        return HistoryView(self.panels, i)

    def price_window(self, i: int, length: int, eligible_idx: np.ndarray) -> pd.DataFrame:
        """Closes of the eligible assets over the ``length`` rows before row ``i`` (a copy):
        the same frame as ``history(i).close.tail(length)[eligible]``."""
        values = self.close_by_asset[eligible_idx, i - length : i]
        # (the frame takes the fresh array as its data, asset by asset as a copied frame is
        # laid out: the estimators' sums, hence their last bits, depend on the layout)
        return pd.DataFrame(
            values.T,
            index=self.index[i - length : i],
            columns=self.labels(eligible_idx),
            copy=False,
        )

    def labels(self, positions: np.ndarray) -> pd.Index:
        """The asset labels at ``positions`` as an Index, the same object while the positions
        repeat (the eligible and held sets change rarely; an Index keeps its hash table)."""
        key = positions.tobytes()
        found = self._indexes.get(key)
        if found is None:
            if len(self._indexes) >= 64:
                self._indexes.clear()
            found = self._indexes[key] = self.asset_index.take(positions)
        return found

    def names(self, positions: np.ndarray) -> tuple[str, ...]:
        """The asset labels at ``positions`` as a tuple (cached like :meth:`labels`)."""
        key = positions.tobytes()
        found = self._names.get(key)
        if found is None:
            if len(self._names) >= 64:
                self._names.clear()
            assets = self.assets
            found = self._names[key] = tuple([assets[j] for j in positions.tolist()])
        return found

    def positions(self, labels: pd.Index) -> np.ndarray:
        """Positions of ``labels`` in the asset index (-1 for unknown labels)."""
        for key, cached in self._indexes.items():
            if cached is labels:
                return np.frombuffer(key, dtype=np.intp)
        return self.asset_index.get_indexer(labels)

    def window_length(self, i: int, eligible_idx: np.ndarray) -> int:
        if self.window is WindowKind.ROLLING or len(eligible_idx) == 0:
            return self.lookback
        return int(self.hist_run[i, eligible_idx].min())

    def universe_events(self) -> pd.DataFrame:
        """Entries (an asset gets a full clean lookback) and data stops over the simulated
        rows, in row order (entries before stops on a row, assets in column order)."""
        first, last = self.first, self.last
        elig = self.eligible[first:last]
        before = np.zeros_like(elig)
        before[1:] = elig[:-1]
        found = [(r + first, 0, j) for r, j in np.argwhere(elig & ~before).tolist()]
        lo = max(first, 1)
        stops = np.argwhere(self.valid[lo - 1 : last - 1] & ~self.valid[lo:last])
        found += [(r + lo, 1, j) for r, j in stops.tolist()]
        found.sort()
        rows = []
        for i, kind, j in found:
            if kind == 0:
                rows.append((self.index[i], self.assets[j], "entry", "full clean lookback"))
            else:
                rows.append(
                    (
                        self.index[i],
                        self.assets[j],
                        "data-stopped",
                        f"last close {self.close[i - 1, j]:.6g} at {self.index[i - 1]}",
                    )
                )
        return pd.DataFrame(rows, columns=["timestamp", "asset", "event", "detail"])


class HistoryView(Panels):
    """The rows of ``source`` strictly before row ``stop``, sliced only when a frame is read
    (most strategies read the close prices only, through the context's window)."""

    def __init__(self, source: Panels, stop: int) -> None:
        object.__setattr__(self, "_source", source)
        object.__setattr__(self, "_stop", stop)

    def _rows(self, name: str) -> pd.DataFrame:
        return getattr(self._source, name).iloc[: self._stop]

    close = functools.cached_property(lambda self: self._rows("close"))
    volume = functools.cached_property(lambda self: self._rows("volume"))
    market_cap = functools.cached_property(lambda self: self._rows("market_cap"))
    open = functools.cached_property(lambda self: self._rows("open"))
    high = functools.cached_property(lambda self: self._rows("high"))
    low = functools.cached_property(lambda self: self._rows("low"))


def has_duplicates(labels: pd.Index, positions: np.ndarray, n_assets: int) -> bool:
    """Whether ``labels`` repeat, given their ``positions`` in the (unique) asset index (-1 for
    unknown labels): counts positions instead of hashing the labels again."""
    known = positions >= 0
    if np.bincount(positions[known], minlength=n_assets).max(initial=0) > 1:
        return True
    return bool((~known).sum() > 1 and labels[~known].has_duplicates)


def _day(ts: pd.Timestamp) -> str:
    ts = pd.Timestamp(ts)
    return str(ts.date()) if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M UTC")


def _utc(value: str | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
