"""One corrupt file in the store: `data list` lists the rest and marks the broken dataset with
the command that repairs it; every reader names the file and that command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cryptofolio.cli import app
from cryptofolio.data import list_datasets, load_dataset, store
from cryptofolio.errors import DataError

runner = CliRunner()


def candles(asset: str, days: int) -> pd.DataFrame:
    close = 100.0 + np.arange(days, dtype=float)
    return pd.DataFrame(
        {
            "timestamp": pd.date_range("2021-01-01", periods=days, freq="D", tz="UTC"),
            "symbol": asset,
            "open": close,
            "high": close + 1,
            "low": close - 1,
            "close": close,
            "volume": 10.0,
            "market_cap": np.nan,
        }
    )


@pytest.fixture
def data_dir(tmp_path):
    for dataset, assets in {"binance-1d": ("BTC", "ETH"), "bybit-1d": ("SOL",)}.items():
        for asset in assets:
            meta = store.SeriesMeta(dataset.split("-")[0], f"{asset}/USDT", "USDT", "1d", ())
            store.write_series(dataset, asset, candles(asset, 5), meta, tmp_path)
    return tmp_path


def truncate(path):
    path.write_bytes(path.read_bytes()[:100])


def bad_metadata(path):
    table = pq.read_table(path)
    pq.write_table(table.replace_schema_metadata({store.META_KEY: b'{"source": "bin'}), path)


REPAIR = "rm {path} && cryptofolio data fetch binance --symbols ETH --timeframe 1d"


@pytest.mark.parametrize("damage", [truncate, bad_metadata], ids=["truncated", "bad-metadata"])
def test_list_keeps_going_and_marks_the_broken_dataset(data_dir, damage):
    path = data_dir / "binance-1d" / "ETH.parquet"
    damage(path)
    infos = {i.name: i for i in list_datasets(data_dir)}
    assert infos["bybit-1d"].symbols == ("SOL",) and infos["bybit-1d"].broken == ()
    assert "coingecko-daily" in infos
    broken = infos["binance-1d"]
    assert broken.symbols == ("BTC",) and broken.rows == 5  # the readable file is still listed
    assert [b.path for b in broken.broken] == [path]
    assert broken.broken[0].repair.startswith(REPAIR.format(path=path))
    assert f"--data-dir {data_dir}" in broken.broken[0].repair

    result = runner.invoke(app, ["data", "list", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "bybit-1d" in flat and "1 broken file(s), see below" in flat
    assert f"binance-1d: {path} cannot be read" in flat and REPAIR.format(path=path) in flat

    result = runner.invoke(app, ["data", "list", "--data-dir", str(data_dir), "--format", "json"])
    assert result.exit_code == 0
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["bybit-1d"]["broken_files"] == []
    (entry,) = rows["binance-1d"]["broken_files"]
    assert entry["path"] == str(path) and entry["repair"].startswith(REPAIR.format(path=path))


def test_every_reader_of_a_broken_file_names_it_and_the_repair(data_dir):
    path = data_dir / "binance-1d" / "ETH.parquet"
    truncate(path)
    repair = REPAIR.format(path=path)
    with pytest.raises(DataError, match="cannot be read") as info:
        load_dataset("binance-1d", data_dir=data_dir)
    assert repair in str(info.value)
    with pytest.raises(DataError) as info:
        store.read_series("binance-1d", "ETH", data_dir)
    assert repair in str(info.value)
    with pytest.raises(DataError) as info:
        store.dataset_quotes("binance-1d", data_dir)
    assert repair in str(info.value)


def test_a_dataset_whose_only_file_is_broken_is_still_listed(data_dir):
    truncate(data_dir / "bybit-1d" / "SOL.parquet")
    info = {i.name: i for i in list_datasets(data_dir)}["bybit-1d"]
    assert info.rows == 0 and info.symbols == () and len(info.broken) == 1
    result = runner.invoke(app, ["data", "list", "--data-dir", str(data_dir), "--format", "json"])
    row = {r["name"]: r for r in json.loads(result.output)}["bybit-1d"]
    assert row["start"] is None and row["rows"] == 0 and len(row["broken_files"]) == 1


def test_not_arrow_at_all(data_dir):
    (data_dir / "binance-1d" / "ETH.parquet").write_text("hello")
    assert isinstance(pa.ArrowInvalid("x"), pa.ArrowException)  # what pyarrow raises for it
    assert len({i.name: i for i in list_datasets(data_dir)}["binance-1d"].broken) == 1
