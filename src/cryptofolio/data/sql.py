"""SQL over the datasets with DuckDB: every dataset of ``cryptofolio data list`` is a table.

>>> from cryptofolio.data.sql import query_datasets
>>> query_datasets('SELECT symbol, max(close) FROM "coingecko-daily" GROUP BY symbol')  # doctest: +SKIP

Each dataset is a view over its Parquet files, named exactly as ``data list`` names it
(``"coingecko-daily"``, ``"binance-1d"``: double quotes, since the names hold a ``-``) and
also with underscores (``coingecko_daily``, ``binance_1d``), which need no quotes. The columns
are those of the files: the long frame (``timestamp`` UTC, ``symbol``, ``close``, ...).

DuckDB is an optional dependency (``pip install 'cryptofolio[sql]'``): only this module uses
it, the rest of cryptofolio reads the store with pyarrow. The connection is in memory; the
views read the files at query time and nothing is written to the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from cryptofolio.data.datasets import BUNDLED
from cryptofolio.data.store import resolve_data_dir, stored_dataset_names
from cryptofolio.errors import DataError

INSTALL_HINT = "pip install 'cryptofolio[sql]' (or pip install duckdb)"


@dataclass(frozen=True)
class DatasetTable:
    """One dataset as a SQL table: its ``name`` (as ``data list`` has it), the ``alias`` with
    underscores, ``origin`` (bundled or store) and the Parquet ``files`` behind it."""

    name: str
    alias: str
    origin: str
    files: tuple[Path, ...]


def bundled_path(name: str) -> Path:
    """The Parquet file of a bundled dataset inside the installed package."""
    return Path(str(resources.files("cryptofolio.data") / "_bundled" / BUNDLED[name].filename))


def dataset_tables(data_dir: str | Path | None = None) -> list[DatasetTable]:
    """The tables a query can name: the bundled datasets, then those of the local store."""
    tables = [
        DatasetTable(name, name.replace("-", "_"), "bundled", (bundled_path(name),))
        for name in BUNDLED
    ]
    root = resolve_data_dir(data_dir)
    for name in stored_dataset_names(data_dir):
        files = tuple(sorted((root / name).glob("*.parquet")))
        tables.append(DatasetTable(name, name.replace("-", "_"), "store", files))
    return tables


def _duckdb():  # type: ignore[no-untyped-def]
    try:
        import duckdb
    except ImportError as exc:
        raise DataError(f"`data sql` needs DuckDB, which is not installed: {INSTALL_HINT}") from exc
    return duckdb


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def query_datasets(sql: str, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Run ``sql`` (DuckDB's dialect) over the datasets and return the result as a DataFrame.

    Raises
    ------
    DataError
        DuckDB is not installed (with the install command), or the query failed (DuckDB's
        message, and the tables there are).
    """
    if not sql.strip():
        raise DataError('the SQL query is empty; e.g. SELECT * FROM "coingecko-daily" LIMIT 5')
    duckdb = _duckdb()
    tables = dataset_tables(data_dir)
    with duckdb.connect(":memory:") as con:
        con.execute("SET TimeZone = 'UTC'")  # timestamps come back in UTC, not local time
        for t in tables:
            files = ", ".join(_literal(p) for p in t.files)
            body = f"SELECT * FROM read_parquet([{files}], union_by_name = true)"
            for label in dict.fromkeys((t.name, t.alias)):
                con.execute(f"CREATE VIEW {_quoted(label)} AS {body}")
        try:
            return con.execute(sql).df()
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            names = ", ".join(f'"{t.name}"' for t in tables)
            raise DataError(
                f"the SQL query failed: {first}. Tables: {names} (quote names with a '-', or "
                "use underscores: coingecko_daily); see `cryptofolio data list`"
            ) from exc
