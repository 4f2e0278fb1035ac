"""Named datasets: the bundled real data shipped in the package, and datasets in the local store.

>>> from cryptofolio.data import load_dataset, to_panels
>>> long = load_dataset("coingecko-daily", symbols=["BTC", "ETH"], start="2020-01-01")
>>> panels = to_panels(long)
>>> panels.close.tail()  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from cryptofolio.data.frame import standardize_long, to_utc
from cryptofolio.data.store_repair import BrokenFile
from cryptofolio.data.symbols import to_asset
from cryptofolio.errors import DataError, UnknownSymbolError


@dataclass(frozen=True)
class BundledDataset:
    """A real dataset shipped inside the package (see NOTICE for provenance)."""

    name: str
    filename: str
    frequency: str
    description: str
    attribution: str


BUNDLED: dict[str, BundledDataset] = {
    d.name: d
    for d in (
        BundledDataset(
            name="coingecko-daily",
            filename="coingecko-daily.parquet",
            frequency="1d",
            description=(
                "CoinGecko daily close, circulating market cap and 24h volume (USD) of 52 coins, "
                "2013-04-28 to 2023-11-30, ragged; the row dated D is the snapshot at D 00:00 UTC."
            ),
            attribution="Price data: CoinGecko (coingecko.com)",
        ),
        BundledDataset(
            name="binance-hourly",
            filename="binance-hourly.parquet",
            frequency="1h",
            description=(
                "Binance spot USDT pairs, hourly OHLCV (candle open time, UTC): BTC and ETH "
                "2017-08-17 to 2021-06-10, ADA and BNB 2020-08-01 to 2021-06-10; volume in USDT."
            ),
            attribution="Binance data via CryptoDataDownload",
        ),
    )
}

DEFAULT_DATASET = "coingecko-daily"


@dataclass(frozen=True)
class DatasetInfo:
    """Summary of one dataset, as listed by ``cryptofolio data list``."""

    name: str
    origin: str  # "bundled" or "store"
    frequency: str
    symbols: tuple[str, ...]
    start: pd.Timestamp
    end: pd.Timestamp
    rows: int
    description: str = ""
    #: Stored files that cannot be read, each with the command that repairs it (the other
    #: fields describe the readable files only).
    broken: tuple[BrokenFile, ...] = ()


@lru_cache(maxsize=4)
def _read_bundled(name: str) -> pd.DataFrame:
    spec = BUNDLED[name]
    with resources.as_file(resources.files("cryptofolio.data") / "_bundled" / spec.filename) as p:
        frame = pd.read_parquet(p)
    return standardize_long(frame, source=name)


def _store_module():
    from cryptofolio.data import store  # local import: the store is optional at import time

    return store


def load_dataset(
    name: str = DEFAULT_DATASET,
    *,
    symbols: list[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Load a named dataset as a tidy long frame (see :mod:`cryptofolio.data.frame`).

    Parameters
    ----------
    name
        A bundled dataset (``coingecko-daily``, ``binance-hourly``) or one in the local store.
    symbols
        Assets to keep (``["BTC", "ETH"]``; markets like ``BTC/USDT`` are reduced to their asset).
        Unknown symbols raise :class:`~cryptofolio.errors.UnknownSymbolError` naming them.
    start, end
        Inclusive UTC bounds on the timestamp. A range with no data raises
        :class:`~cryptofolio.errors.DataError` stating the range the data covers.
    data_dir
        Local store folder (default: ``$CRYPTOFOLIO_DATA_DIR`` or the user cache folder).

    Returns
    -------
    pandas.DataFrame
        Long frame, one row per (timestamp, symbol); the panel stays ragged (nothing is trimmed
        to a common range, filled or dropped).
    """
    if name in BUNDLED:
        frame = _read_bundled(name)
    else:
        store = _store_module()
        if name not in store.stored_dataset_names(data_dir):
            available = sorted(set(BUNDLED) | set(store.stored_dataset_names(data_dir)))
            raise UnknownSymbolError(
                f"unknown dataset {name!r}; available: {', '.join(available)} "
                "(fetch more with `cryptofolio data fetch`)"
            )
        frame = standardize_long(store.read_dataset(name, data_dir), source=name)
    return select(frame, symbols=symbols, start=start, end=end, source=name)


def _bound(value: str | pd.Timestamp | None, what: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return to_utc(pd.Index([value]), what=f"{what} {value!r}")[0]
    except DataError:
        raise DataError(f"cannot parse {what} {value!r} as a date; use e.g. 2021-01-01") from None


def _day(ts: pd.Timestamp) -> str:
    """A timestamp as text, without the time when it is midnight."""
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M")


def _coverage(frame: pd.DataFrame, symbols: list[str], limit: int = 8) -> str:
    spans = frame[frame["symbol"].isin(symbols)].groupby("symbol")["timestamp"].agg(["min", "max"])
    parts = [f"{sym} {_day(r['min'])} to {_day(r['max'])}" for sym, r in spans.iterrows()]
    more = len(parts) - limit
    return "; ".join(parts[:limit]) + (f"; and {more} more" if more > 0 else "")


def select(
    frame: pd.DataFrame,
    *,
    symbols: list[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    source: str = "data",
) -> pd.DataFrame:
    """Restrict a long frame to ``symbols`` and the inclusive UTC range ``[start, end]``.

    Nothing else is trimmed: symbols keep their own first and last dates (ragged panel).

    Raises
    ------
    UnknownSymbolError
        For symbols not in the data (the message lists those available).
    DataError
        For unparseable dates, a reversed range, a range with no data at all, or an
        explicitly requested symbol with no data in the range (the message gives each
        symbol's coverage).
    """
    out = frame
    wanted: list[str] | None = None
    if symbols is not None:
        wanted = [to_asset(s) for s in symbols]
        present = set(out["symbol"].unique())
        unknown = [s for s in wanted if s not in present]
        if unknown:
            raise UnknownSymbolError(
                f"{source}: unknown symbol(s) {', '.join(unknown)}; "
                f"available: {', '.join(sorted(present))}"
            )
        out = out[out["symbol"].isin(wanted)]
    lo, hi = _bound(start, "start"), _bound(end, "end")
    if lo is not None and hi is not None and lo > hi:
        raise DataError(f"start {_day(lo)} is after end {_day(hi)}; swap them")
    if lo is not None:
        out = out[out["timestamp"] >= lo]
    if hi is not None:
        out = out[out["timestamp"] <= hi]
    span = f"between {_day(lo) if lo is not None else 'the beginning'} and " + (
        _day(hi) if hi is not None else "the end"
    )
    if out.empty:
        if wanted:
            covers = _coverage(frame, wanted)
        else:
            covers = f"{_day(frame['timestamp'].min())} to {_day(frame['timestamp'].max())}"
        what = f" for {', '.join(wanted)}" if wanted else ""
        raise DataError(f"{source}: no data{what} {span}; the data covers {covers}")
    if wanted is not None:
        empty = [s for s in wanted if s not in set(out["symbol"].unique())]
        if empty:
            raise DataError(
                f"{source}: no data for {', '.join(empty)} {span} "
                f"({_coverage(frame, empty)}); drop them or widen the range"
            )
    return out.reset_index(drop=True)


def dataset_info(name: str, frame: pd.DataFrame, origin: str, frequency: str) -> DatasetInfo:
    """Summarise a long frame as a :class:`DatasetInfo`."""
    desc = BUNDLED[name].description if name in BUNDLED else ""
    return DatasetInfo(
        name=name,
        origin=origin,
        frequency=frequency,
        symbols=tuple(sorted(frame["symbol"].unique())),
        start=frame["timestamp"].min(),
        end=frame["timestamp"].max(),
        rows=len(frame),
        description=desc,
    )


def list_datasets(data_dir: str | Path | None = None) -> list[DatasetInfo]:
    """List the bundled datasets and those in the local store, with symbols, frequency and range.

    A stored file that cannot be read does not stop the listing: its dataset is listed with the
    readable files, and :attr:`DatasetInfo.broken` names the file and the command that
    repairs it.
    """
    infos = [
        dataset_info(name, _read_bundled(name), "bundled", spec.frequency)
        for name, spec in BUNDLED.items()
    ]
    store = _store_module()
    for name in store.stored_dataset_names(data_dir):
        frames, broken = store.read_dataset_files(name, data_dir)
        frequency = store.dataset_frequency(name)
        if frames:
            frame = standardize_long(pd.concat(frames, ignore_index=True), source=name)
            info = dataset_info(name, frame, "store", frequency)
        else:
            info = DatasetInfo(name, "store", frequency, (), pd.NaT, pd.NaT, 0)
        infos.append(replace(info, broken=broken))
    return infos
