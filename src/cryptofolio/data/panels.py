"""Wide, aligned panels (timestamp x symbol) from a tidy long frame."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

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
