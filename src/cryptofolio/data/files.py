"""Local CSV/Parquet price files, wide or long.

* **wide**: a date column (``date``/``timestamp``/``datetime``/``time``, or the first column)
  and one column of close prices per symbol;
* **long**: ``date`` (or ``timestamp``), ``symbol``, ``close`` and optionally
  ``open, high, low, volume, market_cap``.

Timestamps without a time zone are read as UTC.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cryptofolio.data.frame import standardize_long
from cryptofolio.errors import DataError

_TIME_NAMES = ("timestamp", "date", "datetime", "time")


def _read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"price file {path} does not exist")
    suffixes = "".join(path.suffixes).lower()
    try:
        if suffixes.endswith(".parquet") or suffixes.endswith(".pq"):
            return pd.read_parquet(path)
        if ".csv" in suffixes or ".txt" in suffixes:
            return pd.read_csv(path)
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


def read_prices_file(path: str | Path) -> pd.DataFrame:
    """Read a wide or long price file into the tidy long frame.

    Nothing is filled or dropped, except that blank cells of a wide file (a symbol with no
    price yet, or any more) are not turned into rows.

    Raises
    ------
    DataError
        Naming the file, and the line and column of the first unparseable value or date.
    """
    path = Path(path)
    raw = _read_table(path)
    if raw.empty:
        raise DataError(f"{path}: the file has no rows")
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
        if "close" not in cols:
            raise DataError(f"{path}: a long file needs a close column (got {list(raw.columns)})")
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
    return standardize_long(frame, source=str(path))
