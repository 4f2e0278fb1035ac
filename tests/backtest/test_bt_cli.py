"""``cryptofolio backtest`` end to end on a small slice of the bundled data."""

from __future__ import annotations

import json
import re

import pandas as pd
from typer.testing import CliRunner

from cryptofolio.cli import app

runner = CliRunner()
BASE = [
    "backtest",
    "--assets",
    "BTC,ETH,LTC",
    "--start",
    "2021-01-01",
    "--end",
    "2021-06-30",
    "--lookback",
    "60",
    "--rebalance",
    "monthly",
]
JSON_KEYS = {
    "annual_return",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "win_rate",
    "turnover",
    "costs",
    "total_return",
}


def test_json_has_exactly_the_documented_fields(tmp_path):
    result = runner.invoke(
        app,
        [
            *BASE,
            "--strategies",
            "equal-weight,market-cap,btc-hold",
            "--slippage",
            "sqrt",
            "--format",
            "json",
            "--output-dir",
            str(tmp_path / "out"),
            "--report",
            str(tmp_path / "report.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {
        *("strategies", "start", "end", "rebalance", "lookback"),
        *("warnings", "notes", "events"),
    }
    assert set(doc["strategies"]) == {"equal-weight", "market-cap", "btc-hold"}
    for metrics in doc["strategies"].values():
        assert set(metrics) == JSON_KEYS
    assert doc["start"].startswith("2021-01-01")
    assert doc["end"].startswith("2021-06-30")
    assert doc["rebalance"] == "monthly"
    assert doc["lookback"] == 60
    equity = pd.read_csv(tmp_path / "out" / "equity.csv", index_col=0)
    assert list(equity.columns) == ["equal-weight", "market-cap", "btc-hold"]
    weights = pd.read_csv(tmp_path / "out" / "weights_equal-weight.csv", index_col=0)
    assert {"BTC", "ETH", "LTC", "cash"} <= set(weights.columns)
    html = (tmp_path / "report.html").read_text()
    # plotly.js is inlined (megabytes) and no script or stylesheet is fetched from the network
    assert len(html) > 1_000_000
    assert re.search(r"<(script|link)[^>]+(src|href)=", html) is None
    assert "Weights over time" in html and "Rolling Sharpe" in html


def test_table_output_and_optimizer_strategy():
    result = runner.invoke(
        app, [*BASE, "--strategies", "min-variance,equal-weight", "--fee-bps", "10"]
    )
    assert result.exit_code == 0, result.output
    assert "min-variance" in result.stdout and "Sharpe" in result.stdout


def test_bad_inputs_exit_2_with_one_line():
    for extra, needle in [
        (["--slippage", "quadratic"], "fixed:BPS"),
        (["--rebalance", "sometimes"], "cannot parse rebalance"),
        (["--strategies", "nope"], "unknown strategy"),
        (["--lookback", "5000"], "lookback of 5000"),
        (["--strategies", "fixed-weights"], "--fixed-weights"),
    ]:
        result = runner.invoke(app, [*BASE, *extra])
        assert result.exit_code == 2, (extra, result.output)
        assert needle in result.output, (extra, result.output)


def test_cdn_report_and_daily_returns_csv(tmp_path):
    returns_csv = tmp_path / "returns.csv"
    result = runner.invoke(
        app,
        [
            *BASE,
            "--strategies",
            "equal-weight,btc-hold",
            "--report",
            str(tmp_path / "report.html"),
            "--plotly",
            "cdn",
            "--returns-csv",
            str(returns_csv),
        ],
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "report.html").read_text()
    assert len(html) < 1_000_000 and 'src="https://cdn.plot.ly/plotly-' in html
    assert "Rolling volatility and beta to BTC" in html
    back = pd.read_csv(returns_csv, index_col="date", parse_dates=True)
    assert list(back.columns) == ["equal-weight", "btc-hold"]
    assert back.index[0] == pd.Timestamp("2021-01-01") and back.index.is_monotonic_increasing
    bad = runner.invoke(app, [*BASE, "--plotly", "web"])
    assert bad.exit_code == 2 and "inline" in bad.output
