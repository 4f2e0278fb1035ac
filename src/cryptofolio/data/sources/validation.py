"""Candles are checked at the door: every source's answer is validated before it is stored.

Two kinds of fault, two answers:

Malformed pages (structure)
    A row that is not a list (``None``, a dict), lacks fields, or holds a field that is not a
    number (a string timestamp such as ``"2021-01-01"``, ``"abc"`` as a price), or an answer with
    no list of candles at all. Such a page may be a truncated or garbled response, so it is
    *retried* (:class:`MalformedPageError` is a transient error for
    :func:`~cryptofolio.data.sources.retry.call_with_retry`); when every attempt is malformed the
    fetch stops with a :class:`RejectedCandlesError` naming the source, market and row.
Invalid candles (values)
    A candle that parses but cannot be a price: a price that is not finite or not positive,
    ``low > min(open, close)`` or ``high < max(open, close)``, a negative or infinite volume
    (NaN volume means unknown and is kept; checked only when the prices are valid, since some
    sources derive it from the close), an open time off the timeframe's grid. The exchange
    would send the same again, so such a page is *refused at once* with a
    :class:`RejectedCandlesError`.

Either way nothing of the page is stored, and :func:`record_rejected` appends the rejected rows to
``<dataset>/rejected.csv`` (next to ``conflicts.csv``) so that they can be inspected.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cryptofolio.atomic_files import atomic_write_bytes
from cryptofolio.data.sources.base import timeframe_seconds
from cryptofolio.data.sources.retry import TransientSourceError
from cryptofolio.errors import SourceError

#: Columns of ``rejected.csv`` (and of :attr:`RejectedCandlesError.rejected`).
REJECTED_COLUMNS: tuple[str, ...] = ("timestamp", "symbol", "market", "problem", "candle")
REJECTED_FILE = "rejected.csv"
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
_WEEK_OFFSET_S = 4 * 86400  # 1970-01-01 was a Thursday; weekly candles open on Mondays


class RejectedCandlesError(SourceError):
    """A page of candles was refused; :attr:`rejected` lists its bad rows
    (columns :data:`REJECTED_COLUMNS`)."""

    def __init__(self, message: str, rejected: pd.DataFrame) -> None:
        super().__init__(message)
        self.rejected = rejected


class MalformedPageError(TransientSourceError):
    """A page whose structure is wrong (retried; see the module docstring)."""

    def __init__(self, problem: str, *, row: int | None = None, candle: Any = None) -> None:
        where = f"row {row + 1}: " if row is not None else ""
        super().__init__(f"{where}{problem}")
        self.row = row
        self.candle = candle

    def exhausted(self, what: str, attempts: int) -> SourceError:
        """The error raised when every attempt gave a malformed page."""
        rejected = pd.DataFrame(
            [[pd.NaT, "", what, str(self), _short_repr(self.candle)]],
            columns=list(REJECTED_COLUMNS),
        )
        return RejectedCandlesError(
            f"{what}: malformed answer {attempts} time(s) in a row ({self}); nothing of it was "
            "stored; the source may have changed its format or be failing: try again later",
            rejected,
        )


def _short_repr(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number(value: Any) -> float | None:
    """``value`` as a float if it is a number or a numeric string, else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def parse_rows(
    rows: Any, *, time_unit_ms: int = 1, volume_required: bool = False
) -> list[list[float]]:
    """Check the structure of candle rows and return them as ``[open_ms, o, h, l, c, volume]``.

    Parameters
    ----------
    rows
        A sequence of ``[open_time, open, high, low, close, volume, ...]`` rows (extra fields are
        ignored).
    time_unit_ms
        Milliseconds per unit of the open time (1 for ms, 1000 for seconds).
    volume_required
        Whether a missing or ``None`` volume is malformed; otherwise it becomes NaN (unknown).

    Raises
    ------
    MalformedPageError
        Naming the first bad row: not a list, too short, a field that is no number.
    """
    if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Sequence):
        raise MalformedPageError(f"expected a list of candles, got {type(rows).__name__}")
    out = []
    for i, row in enumerate(rows):
        if isinstance(row, str | bytes | Mapping) or not isinstance(row, Sequence):
            raise MalformedPageError(
                f"candle is a {type(row).__name__}, not a list", row=i, candle=row
            )
        if len(row) < (6 if volume_required else 5):
            raise MalformedPageError(f"candle has {len(row)} field(s)", row=i, candle=row)
        stamp = _number(row[0])
        if stamp is None or not math.isfinite(stamp) or stamp != int(stamp):
            raise MalformedPageError(
                f"open time {row[0]!r} is not a whole number", row=i, candle=row
            )
        values = [_number(v) for v in row[1:5]]
        for name, raw, value in zip(PRICE_COLUMNS, row[1:5], values, strict=True):
            if value is None:
                raise MalformedPageError(f"{name} {raw!r} is not a number", row=i, candle=row)
        raw_volume = row[5] if len(row) > 5 else None
        volume = _number(raw_volume)
        if volume is None and (raw_volume is not None or volume_required):
            raise MalformedPageError(f"volume {raw_volume!r} is not a number", row=i, candle=row)
        out.append([int(stamp) * time_unit_ms, *values, math.nan if volume is None else volume])
    return out


def mapping_rows(rows: Any, keys: Sequence[str], *, time_unit_ms: int = 1) -> list[list[float]]:
    """:func:`parse_rows` for candles given as mappings: ``keys`` name the open time, open,
    high, low, close and volume fields (``("time", "open", ..., "volumeto")``)."""
    if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Sequence):
        raise MalformedPageError(f"expected a list of candles, got {type(rows).__name__}")
    listed = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise MalformedPageError(
                f"candle is a {type(row).__name__}, not an object", row=i, candle=row
            )
        missing = [k for k in keys[:5] if k not in row]
        if missing:
            raise MalformedPageError(f"candle lacks {', '.join(missing)}", row=i, candle=row)
        listed.append([row.get(k) for k in keys])
    return parse_rows(listed, time_unit_ms=time_unit_ms)


def find_rows(body: Any) -> list[Any] | None:
    """The list of candle rows inside a decoded JSON answer: the longest list in it (the answer
    itself for Binance, ``result.list`` for Bybit), or ``None`` when it holds no list."""
    if isinstance(body, list):
        return body
    if not isinstance(body, Mapping):
        return None
    found = [rows for rows in (find_rows(v) for v in body.values()) if rows is not None]
    return max(found, key=len) if found else None


def grid_problem(stamp: pd.Timestamp, timeframe: str) -> str | None:
    """Why ``stamp`` is not a candle open time of ``timeframe`` (``None`` when it is).

    Timeframes up to a day open on the epoch-aligned grid (``1h`` on the hour, ``4h`` at 0, 4,
    8, ... UTC); ``1w`` on Mondays at 00:00 UTC; ``1M`` on the first of the month; longer ones at
    00:00 UTC.
    """
    step = timeframe_seconds(timeframe)
    seconds = stamp.value / 1e9
    if step <= 86400:
        ok = seconds % step == 0
    elif timeframe.endswith("w") and step == 7 * 86400:
        ok = (seconds - _WEEK_OFFSET_S) % step == 0
    elif timeframe.endswith("M"):
        ok = stamp == stamp.normalize() and stamp.day == 1
    else:
        ok = stamp == stamp.normalize()
    return None if ok else f"open time {stamp} is not on the {timeframe} grid"


def _value_problems(row: pd.Series) -> list[str]:
    problems = []
    prices = {c: float(row[c]) for c in PRICE_COLUMNS}
    for name, value in prices.items():
        if not math.isfinite(value) or value <= 0:
            problems.append(f"{name} {value!r} is not a positive finite price")
    if not problems:
        o, h, low, c = (prices[k] for k in PRICE_COLUMNS)
        if low > min(o, c):
            problems.append(f"low {low!r} is above min(open, close) = {min(o, c)!r}")
        if h < max(o, c):
            problems.append(f"high {h!r} is below max(open, close) = {max(o, c)!r}")
    volume = float(row["volume"])
    if not problems and not math.isnan(volume) and (not math.isfinite(volume) or volume < 0):
        problems.append(f"volume {volume!r} is negative or infinite")
    return problems


def invalid_candles(frame: pd.DataFrame, *, timeframe: str, market: str) -> pd.DataFrame:
    """The candles of a tidy long frame that cannot be prices, one row each with its problems
    (columns :data:`REJECTED_COLUMNS`; empty when every candle is valid)."""
    prices = frame[list(PRICE_COLUMNS)].to_numpy(dtype="float64")
    volume = frame["volume"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(prices).all(axis=1) & (prices > 0).all(axis=1)
        ok &= prices[:, 2] <= np.minimum(prices[:, 0], prices[:, 3])
        ok &= prices[:, 1] >= np.maximum(prices[:, 0], prices[:, 3])
        ok &= np.isnan(volume) | (np.isfinite(volume) & (volume >= 0))
    records = []
    for i, (_, row) in enumerate(frame.iterrows()):
        problems = [] if ok[i] else _value_problems(row)
        off_grid = grid_problem(row["timestamp"], timeframe)
        problems += [off_grid] if off_grid else []
        if problems:
            candle = {c: float(row[c]) for c in (*PRICE_COLUMNS, "volume")}
            records.append(
                [row["timestamp"], row["symbol"], market, "; ".join(problems), repr(candle)]
            )
    return pd.DataFrame(records, columns=list(REJECTED_COLUMNS))


def check_candles(frame: pd.DataFrame, *, source: str, market: str, timeframe: str) -> pd.DataFrame:
    """Return ``frame`` if every candle is valid, else refuse it.

    Raises
    ------
    RejectedCandlesError
        Naming the source, the market, the first bad candle and its problem; carries every
        rejected row.
    """
    rejected = invalid_candles(frame, timeframe=timeframe, market=market)
    if rejected.empty:
        return frame
    first = rejected.iloc[0]
    more = f" (and {len(rejected) - 1} more)" if len(rejected) > 1 else ""
    raise RejectedCandlesError(
        f"{source} {market} {timeframe}: invalid candle at {first['timestamp']}: "
        f"{first['problem']}{more}; nothing of the range was stored; the exchange sent "
        "bad data: try a later --start, another source, or report it to the exchange",
        rejected,
    )


def record_rejected(path: Path, rejected: pd.DataFrame) -> Path:
    """Append ``rejected`` (with a ``recorded_at`` time) to the CSV log at ``path``, atomically."""
    log = rejected.assign(recorded_at=pd.Timestamp.now(tz="UTC")).astype(str)
    if path.exists():
        log = pd.concat([pd.read_csv(path, dtype=str, keep_default_na=False), log])
    atomic_write_bytes(path, lambda fh: fh.write(log.to_csv(index=False).encode()))
    return path
