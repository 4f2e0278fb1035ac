"""``--format csv``: every command that prints a result offers table, json and csv; the CSV is
the main table of the JSON document, row for row."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
import typer
import typer.rich_utils
from typer.testing import CliRunner

from cryptofolio.cli import app
from cryptofolio.cli.csv_output import records_csv

runner = CliRunner()

#: the commands that print a result (demo prints a walkthrough, train a training log)
RESULT_COMMANDS = [
    "optimize",
    "frontier",
    "backtest",
    "rebalance",
    "allocate",
    "sweep",
    "security",
    "data.list",
    "data.quality",
    "data.fetch",
    "data.sql",
    "forecast.predict",
    "forecast.evaluate",
]


@pytest.mark.parametrize("path", RESULT_COMMANDS)
def test_every_result_command_offers_table_json_and_csv(monkeypatch, path):
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 400)
    text = runner.invoke(app, [*path.split("."), "--help"]).output
    row = next(ln for ln in text.splitlines() if ln.startswith("│") and " --format " in ln)
    assert "<table|json|csv>" in row, (path, row)
    bad = runner.invoke(app, [*path.split("."), "--format", "xml"])
    assert bad.exit_code == 2 and "Invalid value for '--format'" in bad.output


def _both(args: list[str]) -> tuple[pd.DataFrame, object]:
    as_csv = runner.invoke(app, [*args, "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    as_json = runner.invoke(app, [*args, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    return pd.read_csv(io.StringIO(as_csv.stdout)), json.loads(as_json.stdout)


def test_backtest_csv_is_the_metrics_per_strategy():
    args = "backtest --assets BTC,ETH --start 2021-01-01 --end 2021-04-30 --lookback 30 "
    args += "--strategies equal-weight,btc-hold --rebalance monthly"
    frame, doc = _both(args.split())
    assert list(frame["strategy"]) == ["equal-weight", "btc-hold"]
    for _, row in frame.iterrows():
        for key, value in doc["strategies"][row["strategy"]].items():
            assert row[key] == pytest.approx(value), key


def test_frontier_csv_is_one_row_per_point_with_its_weights():
    args = "frontier --assets BTC,ETH,XRP --start 2022-01-01 --end 2022-12-31 --points 5"
    frame, doc = _both(args.split())
    points = doc["classic"]
    assert len(frame) == len(points) == 5
    assert frame["weights.XRP"].tolist() == pytest.approx([p["weights"]["XRP"] for p in points])
    assert frame["volatility"].tolist() == pytest.approx([p["volatility"] for p in points])


def test_allocate_csv_is_the_lots():
    args = "allocate --value 10000 --assets BTC,ETH --start 2020-01-01 --end 2021-03-01".split()
    frame, doc = _both(args)
    assert list(frame["asset"]) == [r["asset"] for r in doc["rows"]]


def test_rebalance_csv_is_the_orders(tmp_path):
    holdings = tmp_path / "h.csv"
    holdings.write_text("symbol,amount\nBTC,0.1\nETH,2\nUSDT,1500\n")
    args = ["rebalance", "--holdings", str(holdings), "--dataset", "coingecko-daily"]
    args += ["--start", "2022-01-01", "--end", "2022-12-31"]
    as_csv = runner.invoke(app, [*args, "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    as_json = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    orders = as_json["plan"]["orders"]
    frame = pd.read_csv(io.StringIO(as_csv.stdout))
    assert list(frame["asset"]) == [o["asset"] for o in orders]
    assert frame["notional"].tolist() == pytest.approx([o["notional"] for o in orders])


def test_data_list_and_quality_csv():
    frame, doc = _both(["data", "list"])
    assert list(frame["name"]) == [d["name"] for d in doc]
    frame, doc = _both(["data", "quality", "--assets", "BTC,ETH"])
    assert list(frame["symbol"]) == ["BTC", "ETH"]
    assert list(frame["rows"]) == [r["rows"] for r in doc["symbols"]]


def test_records_csv_flattens_nested_values():
    text = records_csv(
        [{"a": 1, "w": {"BTC": 0.5}, "tags": ["x", "y"], "none": None}, {"a": 2, "extra": "e"}]
    )
    assert text == "a,w.BTC,tags,none,extra\n1,0.5,x;y,,\n2,,,,e\n"


def test_security_csv_is_one_row_per_coin():
    frame, doc = _both(["security", "--date", "2019-06-01", "--assets", "BTC,BCH,ADA"])
    assert list(frame["symbol"]) == [c["symbol"] for c in doc["coins"]]
    assert list(frame["danger"]) == [c["danger"] for c in doc["coins"]]
