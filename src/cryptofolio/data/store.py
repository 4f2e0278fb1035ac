"""Local store of fetched market data: Parquet files in a user cache folder.

Layout::

    <data dir>/                      $CRYPTOFOLIO_DATA_DIR, else $XDG_CACHE_HOME/cryptofolio,
                                     else ~/.cache/cryptofolio (or --data-dir)
        binance-1d/                  one folder per dataset, named <source>-<timeframe>
            BTC.parquet              one file per asset: the tidy long frame, plus metadata
            ETH.parquet
            conflicts.csv            re-fetched candles that differed from the stored ones
        cryptocompare-1h/
            ...

Each file's Parquet metadata (key ``cryptofolio``) records the source, the market (``BTC/USDT``),
the quote currency, the timeframe and the *coverage*: the ranges of candle open times already
fetched. A later fetch asks the source only for what the coverage lacks, so holes in an exchange's
own history (outages, a coin listed late) are not re-requested every time.

Atomicity: a file is written to a temporary file in the same folder, flushed and ``fsync``-ed,
then moved over the old one with :func:`os.replace` (atomic on POSIX and Windows), and the folder
is ``fsync``-ed (:mod:`cryptofolio.atomic_files`). A process killed at any point leaves either the
old file or the new one, never a half-written one; readers ignore left-over temporary files and
the next write removes them.

Locking: a fetch reads, merges and writes a dataset under the dataset's lock
(:func:`dataset_lock`, the file ``.locks/<dataset>.lock``), so two fetches into one dataset run one
after the other and both keep their candles (:mod:`cryptofolio.locks`).
"""

from __future__ import annotations

import json
import os
import warnings
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cryptofolio.atomic_files import (
    atomic_write_bytes,
)
from cryptofolio.data.frame import LONG_COLUMNS, standardize_long
from cryptofolio.data.store_repair import BrokenFile, repair_command
from cryptofolio.errors import DataError
from cryptofolio.locks import LockPolicy, exclusive
from cryptofolio.user_warnings import user_stacklevel

ENV_DATA_DIR = "CRYPTOFOLIO_DATA_DIR"
META_KEY = b"cryptofolio"
CONFLICTS_FILE = "conflicts.csv"
#: Columns compared when a re-fetched candle meets a stored one.
COMPARED_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")


class StoreConflictWarning(UserWarning):
    """Re-fetched candles differ from stored ones; the newer values were kept."""


# -- folders ---------------------------------------------------------------------------------
def default_data_dir() -> Path:
    """``$CRYPTOFOLIO_DATA_DIR``, else ``$XDG_CACHE_HOME/cryptofolio``, else ``~/.cache/cryptofolio``."""
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cryptofolio"


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    """``data_dir`` if given, else :func:`default_data_dir`."""
    return Path(data_dir).expanduser() if data_dir is not None else default_data_dir()


def dataset_name(source: str, timeframe: str) -> str:
    """Name of the dataset a source fills at a timeframe: ``binance`` + ``1d`` -> ``binance-1d``."""
    return f"{source.strip().lower()}-{timeframe.strip()}"


def dataset_frequency(name: str) -> str:
    """The timeframe part of a stored dataset's name (``binance-1d`` -> ``1d``)."""
    return name.rsplit("-", 1)[-1]


def stored_dataset_names(data_dir: str | Path | None = None) -> list[str]:
    """Names of the datasets in the store (folders holding at least one Parquet file)."""
    root = resolve_data_dir(data_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.parquet")))


def series_path(dataset: str, asset: str, data_dir: str | Path | None = None) -> Path:
    """Path of one asset's file in a dataset."""
    return resolve_data_dir(data_dir) / dataset / f"{asset}.parquet"


# -- metadata --------------------------------------------------------------------------------
Coverage = tuple[tuple[pd.Timestamp, pd.Timestamp], ...]


@dataclass(frozen=True)
class SeriesMeta:
    """What a stored file holds and which ranges of candle open times were already fetched."""

    source: str
    market: str
    quote: str
    timeframe: str
    coverage: Coverage = ()

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "source": self.source,
                "market": self.market,
                "quote": self.quote,
                "timeframe": self.timeframe,
                "coverage": [[_ms(a), _ms(b)] for a, b in self.coverage],
            }
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> SeriesMeta:
        data = json.loads(raw)
        return cls(
            source=data["source"],
            market=data["market"],
            quote=data["quote"],
            timeframe=data["timeframe"],
            coverage=tuple((_ts(a), _ts(b)) for a, b in data.get("coverage", [])),
        )


def _ms(ts: pd.Timestamp) -> int:
    return int(ts.value // 1_000_000)


def _ts(ms: int) -> pd.Timestamp:
    return pd.Timestamp(int(ms), unit="ms", tz="UTC")


def _grid_aligned(step: pd.Timedelta | None) -> bool:
    """Timeframes up to a day open on the epoch-aligned grid on every exchange we know."""
    return step is not None and pd.Timedelta(0) < step <= pd.Timedelta(days=1)


def add_coverage(
    coverage: Coverage, start: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta | None = None
) -> Coverage:
    """Union of ``coverage`` and ``[start, end]``, as sorted disjoint ranges.

    Ranges closer than one candle ``step`` (no candle can open between them) are joined.
    """
    slack = step if _grid_aligned(step) else pd.Timedelta(milliseconds=1)
    spans = sorted([*coverage, (start, end)])
    merged: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1] + slack:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return tuple(merged)


def uncovered(
    coverage: Coverage, start: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Parts of ``[start, end]`` that ``coverage`` lacks.

    For steps up to one day the parts are snapped to the epoch-aligned grid of candle open times
    and parts holding no open time are left out, so fetching the same range twice makes no
    request the second time.
    """
    one_ms = pd.Timedelta(milliseconds=1)
    gaps: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    cursor = start
    for a, b in coverage:
        if b < cursor:
            continue
        if a > end:
            break
        if a > cursor:
            gaps.append((cursor, a - one_ms))
        cursor = max(cursor, b + one_ms)
        if cursor > end:
            break
    if cursor <= end:
        gaps.append((cursor, end))
    if _grid_aligned(step):  # snap to candle open times; drop parts that hold none
        n = step.value
        snapped = [
            (pd.Timestamp(-(-a.value // n) * n, tz="UTC"), pd.Timestamp(b.value // n * n, tz="UTC"))
            for a, b in gaps
        ]
        gaps = [(a, b) for a, b in snapped if a <= b]
    return gaps


# -- reading ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredSeries:
    """One asset's stored candles and their metadata."""

    frame: pd.DataFrame
    meta: SeriesMeta


def _read_file(path: Path) -> tuple[pd.DataFrame, SeriesMeta | None]:
    try:
        table = pq.read_table(path)
        raw = (table.schema.metadata or {}).get(META_KEY)
        meta = SeriesMeta.from_json(raw) if raw else None
        frame = table.to_pandas()
    except (OSError, pa.ArrowException, ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f"stored file {path} cannot be read ({type(exc).__name__}: {exc}); replace it with "
            f"a fresh fetch: {repair_command(path)}"
        ) from exc
    return frame, meta


def read_dataset_files(
    name: str, data_dir: str | Path | None = None
) -> tuple[list[pd.DataFrame], tuple[BrokenFile, ...]]:
    """The long frames of a stored dataset's readable files, and its files that cannot be read
    (each with the command that repairs it)."""
    frames, broken = [], []
    for path in sorted((resolve_data_dir(data_dir) / name).glob("*.parquet")):
        try:
            frames.append(_read_file(path)[0])
        except DataError as exc:
            cause = exc.__cause__ or exc
            broken.append(BrokenFile.of(path, f"{type(cause).__name__}: {cause}"))
    return frames, tuple(broken)


def read_series(
    dataset: str, asset: str, data_dir: str | Path | None = None
) -> StoredSeries | None:
    """The stored candles of ``asset`` in ``dataset``, or ``None`` if nothing is stored yet."""
    path = series_path(dataset, asset, data_dir)
    if not path.exists():
        return None
    frame, meta = _read_file(path)
    if meta is None:
        raise DataError(
            f"stored file {path} has no cryptofolio metadata (not written by cryptofolio?); "
            f"move it away and fetch again: {repair_command(path)}"
        )
    return StoredSeries(standardize_long(frame, source=str(path)), meta)


def read_dataset(name: str, data_dir: str | Path | None = None) -> pd.DataFrame:
    """All assets of a stored dataset as one long frame (left-over temporary files are ignored)."""
    root = resolve_data_dir(data_dir) / name
    paths = sorted(root.glob("*.parquet"))
    if not paths:
        raise DataError(f"no stored dataset {name!r} in {root.parent}")
    frames = [_read_file(p)[0] for p in paths]
    frames = [f for f in frames if not f.empty] or frames[:1]
    return pd.concat(frames, ignore_index=True)


def dataset_quotes(dataset: str, data_dir: str | Path | None = None) -> dict[str, str]:
    """Quote currency of each asset stored in ``dataset`` (from the files' metadata)."""
    root = resolve_data_dir(data_dir) / dataset
    quotes = {}
    for path in sorted(root.glob("*.parquet")):
        try:
            raw = (pq.read_schema(path).metadata or {}).get(META_KEY)
            if raw:
                quotes[path.stem] = SeriesMeta.from_json(raw).quote
        except (OSError, pa.ArrowException, ValueError, KeyError, TypeError) as exc:
            raise DataError(
                f"stored file {path} cannot be read ({type(exc).__name__}: {exc}); replace it "
                f"with a fresh fetch: {repair_command(path)}"
            ) from exc
    return quotes


# -- writing ---------------------------------------------------------------------------------
LOCKS_DIR = ".locks"


def dataset_lock(
    dataset: str,
    data_dir: str | Path | None = None,
    policy: LockPolicy | None = None,
    *,
    hint: str = "",
) -> AbstractContextManager[None]:
    """The exclusive lock of one dataset (``<data dir>/.locks/<dataset>.lock``), for a
    read-merge-write of its files; see :func:`cryptofolio.locks.exclusive`."""
    root = resolve_data_dir(data_dir)
    return exclusive(
        root / LOCKS_DIR / f"{dataset}.lock",
        what=f"dataset {dataset} in {root}",
        policy=policy,
        hint=hint,
    )


def write_series(
    dataset: str,
    asset: str,
    frame: pd.DataFrame,
    meta: SeriesMeta,
    data_dir: str | Path | None = None,
) -> Path:
    """Store ``frame`` (one asset's long frame) with ``meta``, replacing the file atomically."""
    path = series_path(dataset, asset, data_dir)
    clean = standardize_long(frame, source=f"{dataset}/{asset}")[list(LONG_COLUMNS)]
    if (clean["symbol"] != asset).any():
        raise DataError(f"{dataset}/{asset}: frame holds other symbols than {asset}")
    table = pa.Table.from_pandas(clean, preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), META_KEY: meta.to_json()}
    )
    atomic_write_bytes(path, lambda fh: pq.write_table(table, fh))
    return path


# -- merging ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MergeResult:
    """Stored and fetched candles merged.

    Attributes
    ----------
    frame
        The merged long frame (one row per timestamp).
    added
        Number of timestamps that were not stored before.
    conflicts
        One row per (timestamp, column) where a re-fetched value differed from the stored one:
        ``timestamp, symbol, column, stored, fetched``. The fetched (newer) value was kept.
    """

    frame: pd.DataFrame
    added: int
    conflicts: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["timestamp", "symbol", "column", "stored", "fetched"]
        )
    )


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    x, y = a.to_numpy(dtype="float64"), b.to_numpy(dtype="float64")
    both_nan = np.isnan(x) & np.isnan(y)
    return both_nan | np.isclose(x, y, rtol=1e-9, atol=0.0)


def merge_candles(stored: pd.DataFrame | None, fetched: pd.DataFrame) -> MergeResult:
    """Merge newly fetched candles into stored ones; never drop a differing row silently.

    Where a timestamp is in both, the fetched (newer) candle is kept and every value that differs
    (relative tolerance 1e-9) is listed in :attr:`MergeResult.conflicts`.

    Raises
    ------
    DataError
        If ``fetched`` itself holds the same timestamp twice (a source bug: no row is picked).
    """
    dup = fetched.duplicated(["symbol", "timestamp"], keep=False)
    if dup.any():
        first = fetched.loc[dup].iloc[0]
        raise DataError(
            f"the fetched data holds {int(dup.sum())} rows with a repeated timestamp, e.g. "
            f"{first['symbol']} at {first['timestamp']}; nothing was stored"
        )
    if stored is None or stored.empty:
        return MergeResult(fetched.reset_index(drop=True), added=len(fetched))
    key = ["symbol", "timestamp"]
    both = stored.merge(fetched, on=key, suffixes=("_stored", "_fetched"))
    records = []
    for col in COMPARED_COLUMNS:
        differs = ~_same(both[f"{col}_stored"], both[f"{col}_fetched"])
        for _, row in both.loc[differs].iterrows():
            records.append(
                {
                    "timestamp": row["timestamp"],
                    "symbol": row["symbol"],
                    "column": col,
                    "stored": row[f"{col}_stored"],
                    "fetched": row[f"{col}_fetched"],
                }
            )
    kept = stored[~stored.set_index(key).index.isin(fetched.set_index(key).index)]
    merged = standardize_long(pd.concat([kept, fetched], ignore_index=True))
    conflicts = pd.DataFrame(
        records, columns=["timestamp", "symbol", "column", "stored", "fetched"]
    )
    return MergeResult(merged, added=len(fetched) - len(both), conflicts=conflicts)


def record_conflicts(
    dataset: str, conflicts: pd.DataFrame, data_dir: str | Path | None = None
) -> Path | None:
    """Append ``conflicts`` to ``<dataset>/conflicts.csv`` (atomically) and warn about them."""
    if conflicts.empty:
        return None
    path = resolve_data_dir(data_dir) / dataset / CONFLICTS_FILE
    log = conflicts.assign(recorded_at=pd.Timestamp.now(tz="UTC"))
    if path.exists():
        log = pd.concat([pd.read_csv(path), log.astype({"timestamp": str, "recorded_at": str})])
    atomic_write_bytes(path, lambda fh: fh.write(log.to_csv(index=False).encode()))
    first = conflicts.iloc[0]
    warnings.warn(
        f"{dataset}: {len(conflicts)} re-fetched value(s) differ from the stored ones, e.g. "
        f"{first['symbol']} {first['column']} at {first['timestamp']}: stored {first['stored']}, "
        f"fetched {first['fetched']}; kept the fetched values (log: {path})",
        StoreConflictWarning,
        stacklevel=user_stacklevel(),
    )
    return path
