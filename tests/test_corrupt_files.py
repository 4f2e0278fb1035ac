"""A corrupt file in every place the product reads gets a CryptofolioError naming the file (or,
on the command line, an error line naming it): never a raw traceback, never a silent default."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cryptofolio.backtest.sweep.store import ResultsStore
from cryptofolio.cli import app
from cryptofolio.data import load_dataset, store
from cryptofolio.errors import CryptofolioError
from cryptofolio.estimate.views import read_views
from cryptofolio.trade.holdings import read_holdings_file
from cryptofolio.trade.keys import load_credentials

#: Ways a file goes bad: cut short, binary junk (not UTF-8), empty.
DAMAGE = {
    "truncated": lambda good: good[: max(1, len(good) // 2)],
    "junk": lambda good: b"\x80\x81\xfe\xff\x00garbage\x9c",
    "empty": lambda good: b"",
}


def _store_file(tmp_path):
    frame = pd.DataFrame(
        {
            "timestamp": pd.date_range("2021-01-01", periods=5, tz="UTC"),
            "symbol": "BTC",
            "open": 1.0,
            "high": 2.0,
            "low": 0.5,
            "close": 1.5,
            "volume": 1.0,
            "market_cap": np.nan,
        }
    )
    meta = store.SeriesMeta("binance", "BTC/USDT", "USDT", "1d", ())
    return store.write_series("binance-1d", "BTC", frame, meta, tmp_path)


def _read_store(tmp_path):
    return load_dataset("binance-1d", data_dir=tmp_path)


def _sweep_manifest(tmp_path):
    ResultsStore(tmp_path / "sweep", {"a": 1}).open()
    return tmp_path / "sweep" / "sweep.json"


def _sweep_record(tmp_path):
    ResultsStore(tmp_path / "sweep", {"a": 1}).open()
    path = tmp_path / "sweep" / "runs" / "k1.json"
    path.write_text('{"key": "k1", "values": {"lookback": 30}, "returns": []}')
    return path


# name: (make a good file -> its path, read it)
READERS = {
    "store-parquet": (_store_file, _read_store),
    "holdings-json": (
        lambda d: _write(d / "h.json", '{"BTC": 0.5, "ETH": 2}'),
        lambda d: read_holdings_file(d / "h.json"),
    ),
    "holdings-csv": (
        lambda d: _write(d / "h.csv", "symbol,amount\nBTC,0.5\nETH,2\n"),
        lambda d: read_holdings_file(d / "h.csv"),
    ),
    "keys-toml": (
        lambda d: _write(d / "keys.toml", '[binance]\napiKey = "k"\nsecret = "s"\n'),
        lambda d: load_credentials("binance", d / "keys.toml"),
    ),
    "views-toml": (
        lambda d: _write(d / "v.toml", '[[view]]\nasset = "BTC"\nreturn = 0.2\n'),
        lambda d: read_views(d / "v.toml"),
    ),
    "views-csv": (
        lambda d: _write(d / "v.csv", "asset,return\nBTC,0.2\n"),
        lambda d: read_views(d / "v.csv"),
    ),
    "sweep-manifest": (
        _sweep_manifest,
        lambda d: ResultsStore(d / "sweep", {"a": 1}).open(),
    ),
    "sweep-record": (_sweep_record, lambda d: ResultsStore(d / "sweep", {"a": 1}).load("k1")),
}


def _write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("reader", sorted(READERS))
def test_corrupt_file_is_named(tmp_path, reader, damage):
    if (reader, damage) == ("keys-toml", "empty"):
        pytest.skip("an empty keys file is a valid TOML file holding no keys")
    make, read = READERS[reader]
    path = make(tmp_path)
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    try:
        result = read(tmp_path)
    except CryptofolioError as exc:
        assert path.name in str(exc), str(exc)
        return
    # a damaged file that still parses must not pass for the original content
    pytest.fail(f"{reader} read a {damage} file without an error: {result!r}")


@pytest.mark.parametrize(
    "content", [b"\x80\x81junk", b'assets = "BTC,E'], ids=["junk", "cut-in-a-string"]
)
def test_corrupt_config_file_on_the_command_line(tmp_path, content):
    path = tmp_path / "cfg.toml"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["optimize", "--config", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "cfg.toml" in " ".join(result.output.split())
