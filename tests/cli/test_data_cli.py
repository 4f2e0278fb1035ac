"""`cryptofolio data list` / `data quality` and the demo's data summary."""

from __future__ import annotations

import io
import json

from rich.console import Console
from typer.testing import CliRunner

from cryptofolio.cli import app
from cryptofolio.cli.data_cmd import data_summary

runner = CliRunner()


def test_data_list_table(tmp_path):
    result = runner.invoke(app, ["data", "list", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "coingecko-daily" in out and "binance-hourly" in out
    assert "2013-04-28" in out and "2013-04-28 00:00" not in out  # daily: dates only
    assert "2017-08-17 04:00" in out  # hourly: with the hour
    assert "52: AAVE, ADA" in out


def test_data_list_json(tmp_path):
    result = runner.invoke(app, ["data", "list", "--format", "json", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    payload = {d["name"]: d for d in json.loads(result.output)}
    assert len(payload["coingecko-daily"]["symbols"]) == 52
    assert payload["binance-hourly"]["frequency"] == "1h"
    assert payload["coingecko-daily"]["start"].startswith("2013-04-28")


def test_data_quality_table_highlights_junk():
    result = runner.invoke(app, ["data", "quality", "coingecko-daily"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Data quality: coingecko-daily (1d)" in out
    assert "BNB before 2017-10-30, SHIB before 2021-01-31" in out
    assert "USDT 23 (longest 13 from 2016-01-29)" in out
    assert "near-constant prices" in out


def test_data_quality_json_with_symbols():
    args = ["data", "quality", "coingecko-daily", "--symbols", "BNB,DOGE", "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    rows = {r["symbol"]: r for r in payload["symbols"]}
    assert set(rows) == {"BNB", "DOGE"}
    assert rows["BNB"]["listing_junk_before"].startswith("2017-10-30")
    assert rows["DOGE"]["listing_junk_before"] is None
    assert rows["DOGE"]["missing"] == 3


def test_data_quality_hourly():
    args = ["data", "quality", "binance-hourly", "--format", "json"]
    payload = json.loads(runner.invoke(app, args).output)
    assert payload["frequency"] == "1h"
    assert {r["symbol"]: r["zero_volume"] for r in payload["symbols"]}["ETH"] == 119


def test_data_quality_prices_file(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(
        "date,AAA,BBB\n2021-01-01,1,5\n2021-01-02,1,5\n2021-01-04,3,5\n2021-01-05,3,-1\n"
    )
    result = runner.invoke(app, ["data", "quality", "--prices", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["symbol"]: r for r in json.loads(result.output)["symbols"]}
    assert rows["AAA"]["missing"] == 1 and rows["AAA"]["jumps"] == 1
    assert rows["BBB"]["nonpositive_close"] == 1


def test_data_quality_errors_exit_2_with_one_line():
    result = runner.invoke(app, ["data", "quality", "coingecko-daily", "--symbols", "BTC,NOPE"])
    assert result.exit_code == 2
    assert "unknown symbol(s) NOPE" in result.output
    result = runner.invoke(app, ["data", "quality", "coingecko-daily", "--start", "2031-01-01"])
    assert result.exit_code == 2
    assert "no data between 2031-01-01 and the end" in result.output


def test_help_has_examples():
    for cmd in (["data", "list", "--help"], ["data", "quality", "--help"]):
        result = runner.invoke(app, cmd)
        assert result.exit_code == 0
        assert "Example" in result.output


def test_data_summary_prints_coverage_and_quality():
    buffer = io.StringIO()
    report = data_summary(Console(file=buffer, width=200))
    text = buffer.getvalue()
    assert "52 symbols, 69,140 rows" in text
    assert "2023-11-30" in text and "12: ADA, BCH, BNB, BTC" in text
    assert "BNB before 2017-10-30" in text
    assert report.frequency == "1d"
