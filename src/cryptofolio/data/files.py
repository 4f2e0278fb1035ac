"""Local CSV/Parquet price files, wide or long.

* **wide**: a date column (``date``/``timestamp``/``datetime``/``time``, or the first column)
  and one column of close prices per symbol;
* **long**: ``date`` (or ``timestamp``), ``symbol``, ``close`` and optionally
  ``open, high, low, volume, market_cap``.

Timestamps without a time zone are read as UTC. Symbols are read as assets
(:mod:`cryptofolio.data.spellings`: ``BTC-USD``, ``BTCUSDT``, ``BTC/USDT`` and ``bitcoin`` are
``BTC``, with a :class:`~cryptofolio.data.spellings.SymbolNote`).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from cryptofolio.data.frame import standardize_long
from cryptofolio.data.spellings import asset_spellings
from cryptofolio.errors import DataError

_TIME_NAMES = ("timestamp", "date", "datetime", "time")


def _undecodable_line(path: Path, encoding: str) -> tuple[int, str] | None:
    """The 1-based line number and the offending bytes of the first line of ``path`` (gzip
    when its name ends in ``.gz``) that does not decode with ``encoding``."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    line.decode(encoding)
                except UnicodeDecodeError as exc:
                    return number, line[exc.start : exc.end].hex(" ")
    except (OSError, LookupError):
        return None
    return None


def _check_header(path: Path, encoding: str) -> None:
    """Refuse a CSV whose header names a column twice (pandas would rename the second
    ``BTC.1`` and a price series would go by a name nobody gave it)."""
    header = pd.read_csv(path, header=None, nrows=1, encoding=encoding, dtype=str)
    names = [str(v).strip() for v in header.iloc[0].tolist()] if len(header) else []
    seen: dict[str, list[int]] = {}
    for pos, name in enumerate(names, start=1):
        seen.setdefault(name.upper(), []).append(pos)
    twice = {n: p for n, p in seen.items() if len(p) > 1}
    if twice:
        parts = "; ".join(f"{n} (columns {', '.join(map(str, p))})" for n, p in twice.items())
        raise DataError(
            f"{path}: column name(s) repeated in the header: {parts}; rename or remove the "
            "duplicates (nothing is renamed silently)"
        )


def _read_table(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"price file {path} does not exist")
    if path.is_dir():
        raise DataError(f"price file {path} is a folder; give a .csv or .parquet file")
    suffixes = "".join(path.suffixes).lower()
    try:
        if suffixes.endswith(".parquet") or suffixes.endswith(".pq"):
            return pd.read_parquet(path)
        if ".csv" in suffixes or ".txt" in suffixes:
            _check_header(path, encoding)
            return pd.read_csv(path, encoding=encoding)
    except DataError:
        raise
    except LookupError as exc:
        raise DataError(f"unknown --encoding {encoding!r}; use e.g. utf-8 or latin-1") from exc
    except UnicodeDecodeError as exc:
        found = _undecodable_line(path, encoding)
        where = f", line {found[0]} (bytes {found[1]})" if found else ""
        raise DataError(
            f"{path}{where}: not valid {encoding} text; pass the file's encoding with "
            "--encoding (e.g. --encoding latin-1 or cp1252)"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path}: the file is empty") from exc
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: cannot parse as CSV: {exc}") from exc
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc
    raise DataError(f"{path}: unknown file type; use .csv, .csv.gz or .parquet")


def _bad_number_line(frame: pd.DataFrame, col: str) -> int | None:
    """Return the 1-based file line (header = line 1) of the first non-numeric value in ``col``."""
    numeric = pd.to_numeric(frame[col], errors="coerce")
    bad = numeric.isna() & frame[col].notna()
    if bad.any():
        return int(bad.to_numpy().nonzero()[0][0]) + 2
    return None


def read_prices_file(path: str | Path, *, encoding: str = "utf-8") -> pd.DataFrame:
    """Read a wide or long price file into the tidy long frame.

    Nothing is filled or dropped, except that blank cells of a wide file (a symbol with no
    price yet, or any more) are not turned into rows.

    Parameters
    ----------
    path
        A ``.csv`` (optionally ``.gz``) or ``.parquet`` file.
    encoding
        Text encoding of a CSV file (``--encoding``); UTF-8 by default.

    Raises
    ------
    DataError
        Naming the file, and the line and column of the first unparseable value or date.
    """
    path = Path(path)
    raw = _read_table(path, encoding)
    if raw.empty:
        raise DataError(f"{path}: the file has no rows")
    if not raw.columns.is_unique:  # a Parquet file can hold repeated names
        dup = sorted({str(c) for c in raw.columns[raw.columns.duplicated()]})
        raise DataError(f"{path}: column name(s) repeated: {', '.join(dup)}; rename them")
    cols = {str(c).lower().strip(): c for c in raw.columns}
    time_col = next((cols[n] for n in _TIME_NAMES if n in cols), raw.columns[0])
    times = pd.to_datetime(raw[time_col], utc=True, errors="coerce", format="mixed")
    if times.isna().any():
        line = int(times.isna().to_numpy().nonzero()[0][0]) + 2
        raise DataError(
            f"{path}, line {line}: cannot parse {raw[time_col].iloc[line - 2]!r} in column "
            f"{time_col!r} as a date"
        )
    long_layout = "symbol" in cols
    if long_layout and "close" not in cols:
        raise DataError(
            f"{path}: a long file (it has a symbol column) needs a close column, which is "
            f"missing; columns found: {', '.join(map(str, raw.columns))}; rename the price "
            "column to close (or give a wide file: a date column and one column per asset)"
        )
    value_cols = (
        [cols[c] for c in ("open", "high", "low", "close", "volume", "market_cap") if c in cols]
        if long_layout
        else [c for c in raw.columns if c != time_col]
    )
    if not value_cols:
        raise DataError(f"{path}: no price columns besides the date column {time_col!r}")
    for col in value_cols:  # checked on the raw table, so the line number is the file's
        line = _bad_number_line(raw, col)
        if line is not None:
            raise DataError(
                f"{path}, line {line}: {raw[col].iloc[line - 2]!r} in column {col!r} "
                "is not a number"
            )
    if long_layout:
        blank = raw[cols["symbol"]].isna() | (raw[cols["symbol"]].astype(str).str.strip() == "")
        if blank.any():
            line = int(blank.to_numpy().nonzero()[0][0]) + 2
            raise DataError(f"{path}, line {line}: the symbol is empty")
        frame = raw.rename(columns={v: k for k, v in cols.items()})
        frame = frame.rename(columns={str(time_col).lower().strip(): "timestamp"})
        frame["timestamp"] = times
    else:  # wide layout: every other column is a symbol's close
        value = raw[value_cols].apply(pd.to_numeric)
        value.index = pd.DatetimeIndex(times, name="timestamp")
        frame = value.reset_index().melt(id_vars="timestamp", var_name="symbol", value_name="close")
        frame = frame[frame["close"].notna()]  # blank cells in a wide file mean "no data here"
    symbols = frame["symbol"].astype(str)
    frame = frame.assign(symbol=symbols.map(asset_spellings(symbols.unique(), source=str(path))))
    return standardize_long(frame, source=str(path))
