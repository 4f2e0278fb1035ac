"""What every market-data source provides, and the time helpers they share.

A source fetches the candles of one asset for one timeframe over an inclusive UTC range of
*candle open times* and returns them as the tidy long frame of :mod:`cryptofolio.data.frame`:
``timestamp`` (candle open, UTC), ``symbol`` (the asset, e.g. ``BTC``), ``open, high, low, close``
(in the quote currency), ``volume`` (in the quote currency), ``market_cap`` (NaN: no source here
knows it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import pandas as pd

from cryptofolio.data.frame import LONG_COLUMNS, standardize_long
from cryptofolio.errors import DataError

#: Called after each page with the number of candles the page brought.
PageCallback = Callable[[int], None]

_UNIT_SECONDS = {
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "M": 30 * 86400,
    "y": 365 * 86400,
}


def timeframe_seconds(timeframe: str) -> int:
    """Length of a ccxt-style timeframe (``1m``, ``15m``, ``1h``, ``4h``, ``1d``, ``1w``, ``1M``) in seconds.

    ``1M`` counts 30 days and ``1y`` 365 days (used only to size pages and ranges).
    """
    text = str(timeframe).strip()
    unit = text[-1:] if text else ""
    amount = text[:-1]
    if unit not in _UNIT_SECONDS or not amount.isdigit() or int(amount) <= 0:
        raise DataError(
            f"timeframe {timeframe!r} is not valid; use an amount and a unit such as "
            "1m, 5m, 1h, 4h, 1d or 1w"
        )
    return int(amount) * _UNIT_SECONDS[unit]


def timeframe_delta(timeframe: str) -> pd.Timedelta:
    """The timeframe as a :class:`pandas.Timedelta`."""
    return pd.Timedelta(seconds=timeframe_seconds(timeframe))


def utc_timestamp(value: str | pd.Timestamp | None, *, what: str) -> pd.Timestamp | None:
    """Parse a date or date-time as a UTC timestamp (naive values are UTC); ``None`` stays ``None``."""
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise DataError(f"cannot read {what} {value!r} as a date; use e.g. 2021-01-01") from exc
    if pd.isna(ts):
        raise DataError(f"cannot read {what} {value!r} as a date; use e.g. 2021-01-01")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def last_closed_open(timeframe: str, now: pd.Timestamp | None = None) -> pd.Timestamp:
    """Open time of the most recent *closed* candle on the epoch-aligned grid of ``timeframe``.

    Candles still forming change until they close; the store only keeps closed ones, so that a
    later fetch does not see them as conflicting edits.
    """
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    step = timeframe_seconds(timeframe)
    seconds = int(now.timestamp())
    return pd.Timestamp((seconds // step - 1) * step, unit="s", tz="UTC")


@dataclass(frozen=True)
class FetchRange:
    """An inclusive range ``[start, end]`` of candle open times (UTC)."""

    start: pd.Timestamp
    end: pd.Timestamp

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise DataError(
                f"the range starts ({self.start}) after it ends ({self.end}); "
                "check --start/--end (the newest candle still forming is never fetched)"
            )


@runtime_checkable
class MarketDataSource(Protocol):
    """A remote source of OHLCV candles.

    Attributes
    ----------
    name
        Prefix of the datasets it fills (``binance`` -> dataset ``binance-1d``).
    quote
        Default quote currency for symbols given as assets (``USDT``, ``USD``).
    """

    name: str
    quote: str

    def market_for(self, symbol: str) -> str:
        """The source's market or ticker for ``symbol`` (``BTC`` -> ``BTC/USDT`` or ``BTC-USD``)."""
        ...

    def asset_for(self, symbol: str) -> str:
        """The asset ``symbol`` stands for (``BTC/USDT`` -> ``BTC``), without any request."""
        ...

    def quote_for(self, symbol: str) -> str:
        """The quote currency ``symbol`` is priced in (``BTC`` -> the default quote)."""
        ...

    def estimate_pages(self, timeframe: str, span: FetchRange) -> int:
        """How many requests ``fetch_ohlcv`` will roughly need (for progress bars)."""
        ...

    def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str,
        span: FetchRange,
        *,
        on_page: PageCallback | None = None,
    ) -> pd.DataFrame:
        """Candles of ``symbol`` opening within ``span``, as the tidy long frame."""
        ...


def candles_frame(
    rows: list[list[float]] | pd.DataFrame,
    *,
    asset: str,
    source: str,
) -> pd.DataFrame:
    """Build the tidy long frame from ``[open_ms, open, high, low, close, quote_volume]`` rows."""
    frame = (
        rows.copy()
        if isinstance(rows, pd.DataFrame)
        else pd.DataFrame(rows, columns=["timestamp", "open", "high", "low", "close", "volume"])
    )
    if not isinstance(rows, pd.DataFrame):
        frame["timestamp"] = pd.to_datetime(frame["timestamp"].astype("int64"), unit="ms", utc=True)
    frame["symbol"] = asset
    frame["market_cap"] = float("nan")
    return standardize_long(frame[[c for c in LONG_COLUMNS if c in frame.columns]], source=source)


def within(frame: pd.DataFrame, span: FetchRange) -> pd.DataFrame:
    """Rows of ``frame`` whose timestamp lies in ``span`` (inclusive)."""
    mask = (frame["timestamp"] >= span.start) & (frame["timestamp"] <= span.end)
    return frame.loc[mask].reset_index(drop=True)
