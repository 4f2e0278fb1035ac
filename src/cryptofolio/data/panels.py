"""Wide, aligned panels (timestamp x symbol) from a tidy long frame."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cryptofolio.data.frame import to_utc
from cryptofolio.data.spellings import asset_spellings
from cryptofolio.errors import DataError


@dataclass(frozen=True)
class Panels:
    """Aligned wide frames, index = UTC timestamps, columns = asset symbols.

    The union of all timestamps is kept: an asset that has not started yet (or has stopped)
    shows NaN there. Nothing is filled, so the panel stays as ragged as the data.
    """

    close: pd.DataFrame
    volume: pd.DataFrame
    market_cap: pd.DataFrame
    open: pd.DataFrame
    high: pd.DataFrame
    low: pd.DataFrame

    @property
    def symbols(self) -> list[str]:
        return list(self.close.columns)


def to_panels(long: pd.DataFrame) -> Panels:
    """Pivot a long frame (see :func:`cryptofolio.data.load_dataset`) into :class:`Panels`.

    Raises
    ------
    DataError
        If a (timestamp, symbol) pair appears more than once: say which, so the caller can
        resolve it explicitly (see :mod:`cryptofolio.data.cleaning`).
    """
    dup = long.duplicated(["timestamp", "symbol"], keep=False)
    if dup.any():
        first = long.loc[dup, ["symbol", "timestamp"]].iloc[0]
        raise DataError(
            f"{int(dup.sum())} duplicate (timestamp, symbol) rows, e.g. {first['symbol']} at "
            f"{first['timestamp']}; resolve them with a cleaning policy before pivoting"
        )
    frames = {}
    for col in ("close", "volume", "market_cap", "open", "high", "low"):
        wide = long.pivot(index="timestamp", columns="symbol", values=col)
        wide.columns.name = None
        wide.index.name = "timestamp"
        frames[col] = wide.sort_index()
    return Panels(**frames)


def wide_panels(close: pd.DataFrame, market_cap: pd.DataFrame | None = None) -> Panels:
    """:class:`Panels` from a user's own wide frame of closes (rows = dates, columns = assets),
    without the long frame: what :func:`cryptofolio.backtest.run_backtest` does with a frame.

    Naive timestamps are read as UTC; the columns are read as assets
    (:func:`~cryptofolio.data.spellings.asset_spellings`: ``BTC-USD`` is ``BTC``, with a note);
    ``market_cap`` (the same layout, optional) feeds the market-cap strategy. Nothing is
    filled: volume, open, high and low are unknown (NaN).

    Raises
    ------
    DataError
        Dates that do not parse, repeated or unsorted dates, values that are not numbers.
    """
    if not isinstance(close, pd.DataFrame):
        raise DataError(f"expected a wide DataFrame of closes, got {type(close).__name__}")
    index = to_utc(close.index, what="the price frame's index")
    if index.has_duplicates or not index.is_monotonic_increasing:
        raise DataError("the price frame's dates must be unique and increasing; sort them")
    names = asset_spellings([str(c) for c in close.columns], source="the price frame")
    frames = {}
    for field, frame in (("close", close), ("market_cap", market_cap)):
        if frame is None:
            frame = pd.DataFrame(float("nan"), index=close.index, columns=close.columns)
        try:
            values = frame.reindex(index=close.index, columns=close.columns).astype(float)
        except (TypeError, ValueError) as exc:
            raise DataError(f"the price frame's {field} values are not all numbers: {exc}") from exc
        values.index = pd.DatetimeIndex(index, name="timestamp")
        values.columns = [names[str(c)] for c in close.columns]
        frames[field] = values
    empty = frames["close"] * float("nan")
    return Panels(
        close=frames["close"],
        market_cap=frames["market_cap"],
        volume=empty,
        open=empty,
        high=empty,
        low=empty,
    )
