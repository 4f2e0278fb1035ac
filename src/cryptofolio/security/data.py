"""The proof-of-work network data the screen reads: daily rows per coin (hash rate, miner
revenue, market cap) and the algorithm table, bundled or built from the caller's frames.

>>> from cryptofolio.security import load_pow_data
>>> data = load_pow_data()
>>> data.first_day, data.last_day  # doctest: +SKIP
(Timestamp('2009-01-09 00:00:00+0000', tz='UTC'), Timestamp('2020-07-27 00:00:00+0000', tz='UTC'))
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from cryptofolio.data.datasets import BundledDataset
from cryptofolio.errors import SecurityError
from cryptofolio.security.algorithms import AlgorithmTable

DAILY_COLUMNS = ("date", "symbol", "hash_rate", "issuance_usd", "fees_usd", "market_cap_usd")

BUNDLED_POW = BundledDataset(
    name="coinmetrics-pow-daily",
    filename="coinmetrics-pow-daily.parquet",
    frequency="1d",
    description=(
        "Coin Metrics daily proof-of-work figures of 12 coins (BTC LTC DOGE DASH VTC XMR ETH ETC "
        "ZEC BCH BTG BSV) to 2020-07-27: hash rate (unit varies by algorithm), issuance and fees "
        "(USD, miner revenue), market cap (price x current supply, USD); CC BY-NC 4.0."
    ),
    attribution="Network data: Coin Metrics Community (coinmetrics.io)",
)
ALGORITHMS_FILE = "pow-algorithms.json"
PROVENANCE_FILE = "coinmetrics-pow-daily.json"


@dataclass(frozen=True)
class PowData:
    """Daily proof-of-work rows and the algorithm table (see :func:`pow_data`).

    Attributes
    ----------
    daily
        One row per (UTC day, symbol), sorted by day: ``date`` (the row dated D aggregates day
        D, known at D+1 00:00 UTC), ``symbol``, ``hash_rate`` (the day's mean, in a unit that
        varies by algorithm), ``issuance_usd`` and ``fees_usd`` (miner revenue of the day,
        USD), ``market_cap_usd``; plus ``algorithm`` and ``merged_with`` (the parent chain),
        both as in force on that day.
    algorithms
        The :class:`~cryptofolio.security.algorithms.AlgorithmTable`.
    source
        Where the data comes from (for messages).
    """

    daily: pd.DataFrame
    algorithms: AlgorithmTable
    source: str = "proof-of-work data"

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(sorted(self.daily["symbol"].unique()))

    @property
    def first_day(self) -> pd.Timestamp:
        return self.daily["date"].iloc[0]

    @property
    def last_day(self) -> pd.Timestamp:
        return self.daily["date"].iloc[-1]

    def coverage(self, symbol: str) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last day with a row for ``symbol``."""
        days = self.daily.loc[self.daily["symbol"] == symbol, "date"]
        if days.empty:
            raise SecurityError(
                f"{symbol} has no hash-rate data in the {self.source} (it covers "
                f"{', '.join(self.symbols)}); proof-of-stake coins are out of scope"
            )
        return days.iloc[0], days.iloc[-1]

    def until(self, day: pd.Timestamp) -> pd.DataFrame:
        """The rows dated on or before ``day`` (a view in day order)."""
        stop = int(np.searchsorted(self._day_ns, _ns(day), side="right"))
        return self.daily.iloc[:stop]

    def between(self, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
        """The rows dated ``first`` to ``last`` inclusive."""
        lo = int(np.searchsorted(self._day_ns, _ns(first), side="left"))
        hi = int(np.searchsorted(self._day_ns, _ns(last), side="right"))
        return self.daily.iloc[lo:hi]

    @cached_property
    def _day_ns(self) -> np.ndarray:
        return self.daily["date"].to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _ns(day: pd.Timestamp) -> int:
    return int(pd.Timestamp(day).tz_convert("UTC").tz_localize(None).value)


def utc_day(value: str | pd.Timestamp, what: str = "date") -> pd.Timestamp:
    """``value`` as a UTC day (midnight); naive values are taken as UTC."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise SecurityError(
            f"cannot read {what} {value!r} as a date; use e.g. 2020-01-31"
        ) from None
    if ts is pd.NaT:
        raise SecurityError(f"{what} is missing; use e.g. 2020-01-31")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.normalize()


def pow_data(
    daily: pd.DataFrame, algorithms: AlgorithmTable, source: str = "proof-of-work data"
) -> PowData:
    """Check ``daily`` (columns :data:`DAILY_COLUMNS`) against ``algorithms`` and label each row
    with the algorithm and merge-mining parent in force on its day.

    Raises
    ------
    SecurityError
        Missing columns, unparseable dates, duplicate (date, symbol) rows, non-positive hash
        rates, or a coin that the algorithm table does not list (or lists as not yet on an
        algorithm on a day with data).
    """
    missing = [c for c in DAILY_COLUMNS if c not in daily.columns]
    if missing:
        raise SecurityError(
            f"{source}: missing column(s) {', '.join(missing)}; expected {', '.join(DAILY_COLUMNS)}"
        )
    frame = daily.loc[:, list(DAILY_COLUMNS)].copy()
    try:
        frame["date"] = pd.to_datetime(frame["date"], utc=True)
    except (TypeError, ValueError) as exc:
        raise SecurityError(f"{source}: cannot read the date column ({exc})") from None
    if (frame["date"] != frame["date"].dt.normalize()).any():
        raise SecurityError(f"{source}: dates must be whole UTC days (daily data)")
    frame["symbol"] = frame["symbol"].astype(str).str.upper()
    for col in DAILY_COLUMNS[2:]:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    dup = frame.duplicated(["date", "symbol"])
    if dup.any():
        first = frame.loc[dup].iloc[0]
        raise SecurityError(
            f"{source}: {int(dup.sum())} duplicate (date, symbol) rows, e.g. "
            f"{first['symbol']} on {first['date']:%Y-%m-%d}; keep one row per coin and day"
        )
    bad = ~(frame["hash_rate"] > 0)
    if bad.any():
        first = frame.loc[bad].iloc[0]
        raise SecurityError(
            f"{source}: {int(bad.sum())} row(s) without a positive hash rate, e.g. "
            f"{first['symbol']} on {first['date']:%Y-%m-%d}; leave such days out"
        )
    unknown = sorted(set(frame["symbol"]) - set(algorithms.records))
    if unknown:
        raise SecurityError(
            f"{source}: no algorithm known for {', '.join(unknown)}; add them to the algorithm "
            "table (symbol, algorithm, since)"
        )
    frame = frame.sort_values(["date", "symbol"], kind="stable").reset_index(drop=True)
    algo, parent = algorithms.label_rows(frame["symbol"], frame["date"])
    if any(a is None for a in algo):
        row = frame.loc[[a is None for a in algo]].iloc[0]
        raise SecurityError(
            f"{source}: {row['symbol']} has data on {row['date']:%Y-%m-%d}, before the algorithm "
            "table's 'since' date and without a previous_algorithm; fix the table"
        )
    frame["algorithm"] = algo
    frame["merged_with"] = parent
    return PowData(frame, algorithms, source)


def _bundled_file(name: str):
    return resources.files("cryptofolio.data") / "_bundled" / name


def bundled_provenance() -> dict:
    """The bundled data's provenance record (source, license, attribution, units, defects)."""
    return json.loads(_bundled_file(PROVENANCE_FILE).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def load_pow_data() -> PowData:
    """The bundled Coin Metrics proof-of-work data (12 coins, to 2020-07-27) with its algorithm
    table. License CC BY-NC 4.0; attribution "Network data: Coin Metrics Community
    (coinmetrics.io)" (see NOTICE)."""
    records = json.loads(_bundled_file(ALGORITHMS_FILE).read_text(encoding="utf-8"))
    with resources.as_file(_bundled_file(BUNDLED_POW.filename)) as path:
        daily = pd.read_parquet(path)
    return pow_data(
        daily, AlgorithmTable.from_records(records), source=f"bundled {BUNDLED_POW.name} data"
    )
