"""``data sql``: DuckDB over the bundled and stored datasets, checked against the same numbers
read with pandas; the errors for a bad query and a missing DuckDB; ``data list`` names the
store."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cryptofolio.cli import app
from cryptofolio.data import load_dataset, store
from cryptofolio.data.sql import dataset_tables, query_datasets
from cryptofolio.errors import DataError

pytest.importorskip("duckdb")
runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path):
    """A store with one dataset, binance-1d: BTC (5 days) and ETH (3 days)."""
    meta = store.SeriesMeta("binance", "BTC/USDT", "USDT", "1d", ())
    for asset, days, base in (("BTC", 5, 100.0), ("ETH", 3, 10.0)):
        ts = pd.date_range("2021-01-01", periods=days, freq="D", tz="UTC")
        close = base + np.arange(days, dtype=float)
        frame = pd.DataFrame(
            {
                "timestamp": ts,
                "symbol": asset,
                "open": close,
                "high": close,
                "low": close,
                "close": close,
                "volume": 1.0,
                "market_cap": np.nan,
            }
        )
        store.write_series("binance-1d", asset, frame, meta, tmp_path)
    return tmp_path


def test_stored_and_bundled_tables_by_name_and_alias(data_dir):
    names = [(t.name, t.alias, t.origin) for t in dataset_tables(data_dir)]
    assert ("binance-1d", "binance_1d", "store") in names
    assert ("coingecko-daily", "coingecko_daily", "bundled") in names
    out = query_datasets(
        'SELECT symbol, count(*) AS n, sum(close) AS s FROM "binance-1d" GROUP BY symbol '
        "ORDER BY symbol",
        data_dir,
    )
    assert out["symbol"].tolist() == ["BTC", "ETH"]
    assert out["n"].tolist() == [5, 3]
    assert out["s"].tolist() == pytest.approx([100 + 101 + 102 + 103 + 104, 10 + 11 + 12])
    same = query_datasets("SELECT count(*) AS n FROM binance_1d", data_dir)
    assert int(same["n"].iloc[0]) == 8


def test_bundled_query_equals_pandas(data_dir):
    out = query_datasets(
        "SELECT symbol, max(close) AS top FROM coingecko_daily WHERE symbol IN ('BTC', 'ETH') "
        "AND timestamp < TIMESTAMPTZ '2021-01-01 00:00:00+00' GROUP BY symbol ORDER BY symbol",
        data_dir,
    )
    long = load_dataset("coingecko-daily", symbols=["BTC", "ETH"], end="2020-12-31")
    expected = long.groupby("symbol")["close"].max()
    assert out.set_index("symbol")["top"].to_dict() == pytest.approx(expected.to_dict())
    ts = query_datasets("SELECT timestamp FROM binance_hourly LIMIT 1", data_dir)["timestamp"]
    assert str(ts.dt.tz) == "UTC"


def test_bad_query_names_the_tables(data_dir):
    with pytest.raises(DataError, match=r'SQL query failed.*"binance-1d"'):
        query_datasets("SELECT * FROM nowhere", data_dir)
    with pytest.raises(DataError, match="empty"):
        query_datasets("  ", data_dir)


def test_missing_duckdb_says_how_to_install(data_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb raises ImportError
    with pytest.raises(DataError, match=r"cryptofolio\[sql\]"):
        query_datasets("SELECT 1", data_dir)


def test_cli_formats_and_errors(data_dir):
    base = ["data", "sql", "--data-dir", str(data_dir)]
    csv = runner.invoke(
        app, [*base, "SELECT symbol, close FROM binance_1d ORDER BY close", "--format", "csv"]
    )
    assert csv.exit_code == 0, csv.output
    assert csv.stdout.splitlines()[:2] == ["symbol,close", "ETH,10.0"]
    doc = runner.invoke(app, [*base, "SELECT count(*) AS n FROM binance_1d", "--format", "json"])
    assert json.loads(doc.stdout) == [{"n": 8}]
    table = runner.invoke(app, [*base, "SELECT * FROM binance_1d"])
    assert table.exit_code == 0 and "8 rows" in table.stdout
    bad = runner.invoke(app, [*base, "SELEC 1"])
    assert bad.exit_code == 2 and "SQL query failed" in bad.output


def test_data_list_says_where_the_store_is(data_dir, tmp_path):
    out = runner.invoke(app, ["data", "list", "--data-dir", str(data_dir)])
    assert out.exit_code == 0, out.output
    flat = " ".join(out.stdout.split())
    assert f"Local store: {data_dir} (1 dataset(s)" in flat
    doc = json.loads(
        runner.invoke(app, ["data", "list", "--data-dir", str(data_dir), "--format", "json"]).stdout
    )
    paths = {d["name"]: d["path"] for d in doc}
    assert paths["binance-1d"] == str(data_dir / "binance-1d")
    assert paths["coingecko-daily"].endswith("coingecko-daily.parquet")
    missing = runner.invoke(app, ["data", "list", "--data-dir", str(tmp_path / "none")])
    assert "not created yet" in " ".join(missing.stdout.split())
