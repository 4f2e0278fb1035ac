"""``cryptofolio data fetch`` with the source factory replaced by replayed exchanges."""

from __future__ import annotations

import pandas as pd
import pytest
from sources_replay import replayed_exchange
from typer.testing import CliRunner

from cryptofolio.cli import app
from cryptofolio.cli.fetch_cmd import parse_exchange_options
from cryptofolio.data import load_dataset, sources
from cryptofolio.data.sources import CcxtSource
from cryptofolio.errors import DataError

runner = CliRunner()


@pytest.fixture
def factory(monkeypatch, binance_server):
    """Replace make_source: a real ccxt binance whose HTTP answers come from recorded payloads."""
    made = []

    def make_source(name, *, quote=None, exchange_options=None):
        made.append({"name": name, "quote": quote, "exchange_options": exchange_options})
        src = CcxtSource(
            replayed_exchange(name, binance_server),
            quote=quote or "USDT",
            page_limit=20,
            sleep=lambda s: None,
        )
        made[-1]["source"] = src
        return src

    monkeypatch.setattr(sources, "make_source", make_source)
    return made


def fetch(tmp_path, *extra):
    args = ["data", "fetch", "binance", "--assets", "BTC,ETH", "--timeframe", "1d"]
    args += ["--start", "2021-01-01", "--end", "2021-01-31", "--data-dir", str(tmp_path), *extra]
    return runner.invoke(app, args)


def test_fetch_stores_dataset_and_prints_summary(factory, klines, tmp_path):
    result = fetch(tmp_path)
    assert result.exit_code == 0, result.output
    assert "binance-1d" in result.output
    lines = {ln.split("│")[1].strip(): ln for ln in result.output.splitlines() if ln.count("│") > 4}
    assert "31" in lines["BTC"].split("│")[3] and "31" in lines["ETH"].split("│")[3]
    assert sorted(p.name for p in (tmp_path / "binance-1d").glob("*.parquet")) == [
        "BTC.parquet",
        "ETH.parquet",
    ]

    long = load_dataset("binance-1d", data_dir=tmp_path)
    assert sorted(long["symbol"].unique()) == ["BTC", "ETH"]
    eth = long[long["symbol"] == "ETH"]
    assert eth["close"].tolist() == [float(r[4]) for r in klines["ETHUSDT_1d"][:31]]
    assert eth["timestamp"].iloc[0] == pd.Timestamp("2021-01-01", tz="UTC")

    listed = runner.invoke(app, ["data", "list", "--data-dir", str(tmp_path)])
    assert listed.exit_code == 0 and "binance-1d" in listed.output

    again = fetch(tmp_path)
    assert again.exit_code == 0, again.output
    assert "nothing downloaded" in again.output
    assert factory[-1]["source"].exchange.session.calls == []  # the second run asked nothing


def test_exchange_options_and_quote_reach_the_factory(factory, tmp_path):
    result = fetch(
        tmp_path,
        "--quote",
        "usdt",
        "--exchange-option",
        "options.defaultType=spot",
        "--exchange-option",
        "timeout=30000",
    )
    assert result.exit_code == 0, result.output
    assert factory[0]["quote"] == "usdt"
    assert factory[0]["exchange_options"] == {"options": {"defaultType": "spot"}, "timeout": 30000}


def test_unknown_symbol_exits_2_with_one_clear_line(factory, tmp_path):
    result = runner.invoke(
        app,
        [
            "data",
            "fetch",
            "binance",
            "--symbols",
            "BTC,XYZ",
            "--since",
            "2021-01-01",
            "--until",
            "2021-01-05",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2
    assert "error:" in result.output and "XYZ/USDT" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "binance-1d").exists()  # nothing fetched before the bad symbol failed


def test_parse_exchange_options_rejects_garbage():
    with pytest.raises(DataError, match="not KEY=VALUE"):
        parse_exchange_options(["timeout"])
    assert parse_exchange_options(["a.b=true", "a.c=x"]) == {"a": {"b": True, "c": "x"}}
