"""Which hashing algorithm a proof-of-work coin uses on a given day, and which chain (if any)
merge-mines it: a table with one record per coin, answered point in time.

A record says the coin has used ``algorithm`` since ``since`` (inclusive) and
``previous_algorithm`` before (``None``: the coin did not exist, or the table does not know);
``merged_mined_with`` names the parent chain whose miners also mine this coin, from
``merged_since`` on (inclusive; ``None``: from ``since``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cryptofolio.errors import SecurityError

ALGORITHM_COLUMNS = ("symbol", "algorithm", "since")
OPTIONAL_COLUMNS = ("previous_algorithm", "merged_mined_with", "merged_since", "notes")


def _day(value: object, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SecurityError(
            f"cannot read {what} {value!r} as a date; use e.g. 2018-07-03"
        ) from None
    if ts is pd.NaT:
        raise SecurityError(f"{what} is missing; give a date like 2018-07-03")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.normalize()


def _naive(ts: pd.Timestamp) -> np.datetime64:
    return ts.tz_convert("UTC").tz_localize(None).to_datetime64()


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


@dataclass(frozen=True)
class AlgorithmRecord:
    """One coin's hashing algorithm history (dates are UTC days, inclusive)."""

    symbol: str
    algorithm: str
    since: pd.Timestamp
    previous_algorithm: str | None = None
    merged_mined_with: str | None = None
    merged_since: pd.Timestamp | None = None
    notes: str = ""

    def algorithm_at(self, day: pd.Timestamp) -> str | None:
        """The algorithm in force on ``day`` (``None``: before ``since`` with no previous one)."""
        return self.algorithm if day >= self.since else self.previous_algorithm

    def parent_at(self, day: pd.Timestamp) -> str | None:
        """The merge-mining parent chain on ``day``, or ``None``."""
        if self.merged_mined_with is None:
            return None
        start = self.merged_since if self.merged_since is not None else self.since
        return self.merged_mined_with if day >= start else None


@dataclass(frozen=True)
class AlgorithmTable:
    """Algorithm records by symbol (build with :meth:`from_frame` or :meth:`from_records`)."""

    records: Mapping[str, AlgorithmRecord]

    @classmethod
    def from_records(cls, rows: Iterable[Mapping[str, object]]) -> AlgorithmTable:
        """Build from mappings with the columns of ``pow_algorithms.csv`` (``symbol``,
        ``algorithm``, ``since``; optional ``previous_algorithm``, ``merged_mined_with``,
        ``merged_since``, ``notes``)."""
        out: dict[str, AlgorithmRecord] = {}
        for row in rows:
            missing = [c for c in ALGORITHM_COLUMNS if _text(row.get(c)) is None]
            if missing:
                raise SecurityError(
                    f"algorithm table row {dict(row)!r} lacks {', '.join(missing)}; every row "
                    "needs symbol, algorithm and since (the date it took effect)"
                )
            symbol = str(row["symbol"]).strip().upper()
            if symbol in out:
                raise SecurityError(f"algorithm table lists {symbol} twice; keep one row per coin")
            merged_since = _text(row.get("merged_since"))
            out[symbol] = AlgorithmRecord(
                symbol=symbol,
                algorithm=str(_text(row["algorithm"])),
                since=_day(row["since"], f"{symbol}'s since"),
                previous_algorithm=_text(row.get("previous_algorithm")),
                merged_mined_with=(_text(row.get("merged_mined_with")) or "").upper() or None,
                merged_since=_day(merged_since, f"{symbol}'s merged_since")
                if merged_since
                else None,
                notes=_text(row.get("notes")) or "",
            )
        table = cls(out)
        table._check_parents()
        return table

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> AlgorithmTable:
        """Build from a frame with the columns of ``pow_algorithms.csv``."""
        missing = [c for c in ALGORITHM_COLUMNS if c not in frame.columns]
        if missing:
            raise SecurityError(
                f"algorithm table lacks column(s) {', '.join(missing)}; expected "
                f"{', '.join(ALGORITHM_COLUMNS + OPTIONAL_COLUMNS)}"
            )
        return cls.from_records(frame.to_dict("records"))

    def _check_parents(self) -> None:
        for rec in self.records.values():
            parent = rec.merged_mined_with
            if parent is None:
                continue
            if parent not in self.records:
                raise SecurityError(
                    f"{rec.symbol} is merge-mined with {parent}, which the algorithm table "
                    f"does not list; add a row for {parent}"
                )
            if self.records[parent].algorithm != rec.algorithm:
                raise SecurityError(
                    f"{rec.symbol} ({rec.algorithm}) is merge-mined with {parent} "
                    f"({self.records[parent].algorithm}): merged mining needs one algorithm"
                )

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(sorted(self.records))

    def record(self, symbol: str) -> AlgorithmRecord:
        """The record of ``symbol``; :class:`~cryptofolio.errors.SecurityError` if absent."""
        try:
            return self.records[symbol]
        except KeyError:
            raise SecurityError(
                f"{symbol} is not in the proof-of-work algorithm table (known: "
                f"{', '.join(self.symbols)}); it is proof of stake or not covered"
            ) from None

    def algorithm_at(self, symbol: str, day: pd.Timestamp) -> str | None:
        """The algorithm of ``symbol`` on ``day`` (UTC), or ``None`` when unknown then."""
        return self.record(symbol).algorithm_at(_day(day, "day"))

    def parent_at(self, symbol: str, day: pd.Timestamp) -> str | None:
        """The merge-mining parent of ``symbol`` on ``day``, or ``None``."""
        return self.record(symbol).parent_at(_day(day, "day"))

    def label_rows(self, symbols: pd.Series, days: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Algorithm and merge-mining parent of each (symbol, day) row, as object arrays
        (``None`` where unknown / not merge-mined); every symbol must be in the table."""
        algo = np.empty(len(symbols), dtype=object)
        parent = np.empty(len(symbols), dtype=object)
        sym = symbols.to_numpy()
        day = pd.DatetimeIndex(days).tz_convert("UTC").tz_localize(None).to_numpy()
        for s in pd.unique(sym):
            rec = self.record(str(s))
            rows = sym == s
            d = day[rows]
            since = _naive(rec.since)
            algo[rows] = np.where(d >= since, rec.algorithm, rec.previous_algorithm)
            if rec.merged_mined_with is not None:
                start = rec.merged_since if rec.merged_since is not None else rec.since
                parent[rows] = np.where(d >= _naive(start), rec.merged_mined_with, None)
            else:
                parent[rows] = None
        return algo, parent
