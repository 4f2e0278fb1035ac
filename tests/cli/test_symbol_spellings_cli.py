"""No silent wrong answers (issue 21), through the command line: a price file named the
yfinance way (``BTC-USD``) is read as assets with a note in the table and the JSON, so that
``btc-hold`` holds BTC; a benchmark without its data (btc-hold without BTC, market-cap without
market caps) is refused before the backtest instead of sitting in cash."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cryptofolio.cli import app

SMALL = ["--lookback", "30", "--rebalance", "monthly"]


def _text(result) -> str:
    return " ".join(result.output.split())


@pytest.fixture
def prices() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    index = pd.date_range("2021-01-01", periods=200, freq="D")
    values = np.exp(np.cumsum(rng.normal(0, 0.02, (200, 3)), axis=0)) * [30_000.0, 2_000.0, 40.0]
    return pd.DataFrame(values, index=index, columns=["BTC-USD", "ETH-USD", "SOL-USD"])


def _csv(tmp_path, frame: pd.DataFrame):
    path = tmp_path / "yf.csv"
    frame.to_csv(path, index_label="Date")
    return str(path)


def test_btc_hold_holds_btc_of_a_yfinance_file_and_says_what_was_mapped(tmp_path, prices):
    path = _csv(tmp_path, prices)
    args = ["backtest", "--prices", path, *SMALL, "--strategies", "equal-weight,btc-hold"]
    res = CliRunner().invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    note = f"{path}: symbols read as assets: BTC-USD as BTC, ETH-USD as ETH, SOL-USD as SOL"
    assert note in payload["warnings"]
    # bought once at the first decision's close with a 10 bps fee, held to the end: closed form
    first, last = pd.Timestamp(payload["start"]), pd.Timestamp(payload["end"])
    btc = prices["BTC-USD"].tz_localize("UTC")
    expected = btc[last] / btc[first] / 1.001 - 1
    assert payload["strategies"]["btc-hold"]["total_return"] == pytest.approx(expected, rel=1e-9)
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and " ".join(note.split()) in _text(table)


def test_optimize_and_data_quality_carry_the_note(tmp_path, prices):
    path = _csv(tmp_path, prices)
    res = CliRunner().invoke(app, ["optimize", "--prices", path, "--format", "json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert any("BTC-USD as BTC" in w for w in payload["warnings"])
    assert set(payload["weights"]) == {"BTC", "ETH", "SOL"}
    quality = CliRunner().invoke(app, ["data", "quality", "--prices", path, "--format", "json"])
    assert quality.exit_code == 0, quality.output
    assert any("BTC-USD as BTC" in w for w in json.loads(quality.stdout)["warnings"])


def test_two_spellings_of_btc_in_one_file_are_refused(tmp_path, prices):
    frame = prices.assign(BTC=prices["BTC-USD"] * 1.01)
    res = CliRunner().invoke(app, ["optimize", "--prices", _csv(tmp_path, frame)])
    assert res.exit_code == 2
    assert "BTC-USD, BTC are all BTC" in _text(res)


def test_btc_hold_without_btc_is_refused_naming_the_assets(tmp_path, prices):
    frame = prices.drop(columns="BTC-USD")
    args = ["backtest", "--prices", _csv(tmp_path, frame), *SMALL, "--strategies", "btc-hold"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2
    assert "btc-hold: BTC is not in the backtest data (its assets: ETH, SOL)" in _text(res)


def test_market_cap_without_market_caps_is_refused(tmp_path, prices):
    args = ["backtest", "--prices", _csv(tmp_path, prices), *SMALL, "--strategies", "market-cap"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2
    assert "market-cap: the backtest data has no market caps for BTC, ETH, SOL" in _text(res)
    assert "leave market-cap out of --strategies" in _text(res)


def test_market_cap_with_a_market_cap_column_runs(tmp_path, prices):
    long = prices.rename_axis("timestamp").reset_index().melt("timestamp", var_name="symbol")
    long = long.rename(columns={"value": "close"}).assign(market_cap=lambda f: f["close"] * 1e6)
    path = tmp_path / "long.csv"
    long.to_csv(path, index=False)
    args = ["backtest", "--prices", str(path), *SMALL, "--strategies", "market-cap,btc-hold"]
    res = CliRunner().invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["events"] == []  # no fallback: every date had its caps


def test_default_strategies_leave_out_a_benchmark_the_data_cannot_run_and_say_so(tmp_path, prices):
    # no --strategies: the default set, whose market-cap benchmark a close-only file cannot run
    frame = prices.drop(columns="BTC-USD")  # and no BTC for btc-hold
    args = ["backtest", "--prices", _csv(tmp_path, frame), *SMALL, "--format", "json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    ran = set(payload["strategies"])
    assert "market-cap" not in ran and "btc-hold" not in ran
    assert {"min-variance", "equal-weight"} <= ran
    said = " ".join(payload["warnings"])
    assert "market-cap left out of the default strategies" in said
    assert "btc-hold left out of the default strategies" in said
    assert "btc-hold left out" in _text(res)  # the reader sees it too (stderr)
