"""`cryptofolio security`, and --exclude-pow-risk of backtest and optimize, through CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cryptofolio.cli import app

runner = CliRunner()
PAGE = Path(__file__).parents[1] / "fixtures" / "security" / "crypto51_index.html"


def _json(args: list[str]) -> dict:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_security_json_fields():
    doc = _json(["security", "--date", "2019-06-01", "--assets", "BTC,BCH,ADA", "--format", "json"])
    assert set(doc) == {
        "date",
        "data_ends",
        "thresholds",
        "fit",
        "coins",
        "excluded",
        "not_screened",
        "notes",
    }
    assert doc["date"] == "2019-06-01"
    assert [c["symbol"] for c in doc["coins"]] == ["BCH", "BTC", "ADA"]
    assert "BCH" in doc["excluded"] and "ADA" in doc["not_screened"]
    assert doc["thresholds"]["min_hash_share"] == 0.1


def test_security_thresholds_and_table():
    doc = _json(
        [
            "security",
            "--date",
            "2019-06-01",
            "--min-hash-share",
            "0",
            "--min-residual",
            "-5",
            "--format",
            "json",
        ]
    )
    assert doc["excluded"] == {}
    res = runner.invoke(app, ["security", "--date", "2019-06-01", "--assets", "BCH,ADA"])
    assert res.exit_code == 0
    assert "danger BCH" in res.stdout and "not screened ADA" in res.stdout


def test_security_pictures(tmp_path):
    png, resid, page = tmp_path / "s.png", tmp_path / "r.png", tmp_path / "s.html"
    res = runner.invoke(
        app,
        [
            "security",
            "--date",
            "2018-01-01",
            "--plot",
            str(png),
            "--residual-plot",
            str(resid),
            "--report",
            str(page),
        ],
    )
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert resid.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = page.read_text()
    assert "plotly" in html and "Danger zone" in html and "Coin Metrics" in html


def test_security_crypto51_and_colour(tmp_path):
    doc = _json(["security", "--date", "2020-07-27", "--crypto51", str(PAGE), "--format", "json"])
    btc = next(c for c in doc["coins"] if c["symbol"] == "BTC")
    assert btc["source"] == "crypto51" and btc["nicehash_fraction"] == 0.0
    res = runner.invoke(
        app, ["security", "--colour", "nicehash", "--plot", str(tmp_path / "n.png")]
    )
    assert res.exit_code == 2 and "crypto51" in res.output


def test_security_bad_inputs(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Name,Symbol\nBitcoin,BTC\n")
    cases = [
        (["--crypto51", str(bad)], "missing column"),
        (["--date", "2021-01-01"], "ends 2020-07-27"),
        (["--date", "2000-01-01"], "before"),
        (["--compare-hash", "BTC,LTC"], "across algorithms"),
        (["--compare-hash", "BTC,ADA"], "no hash-rate data"),
    ]
    for args, message in cases:
        res = runner.invoke(app, ["security", *args])
        assert res.exit_code == 2, (args, res.output)
        assert message in " ".join(res.output.split()), (args, res.output)


def test_backtest_exclude_pow_risk_json():
    doc = _json(
        [
            "backtest",
            "--assets",
            "BTC,ETH,BCH,ADA",
            "--start",
            "2019-06-01",
            "--end",
            "2019-12-31",
            "--strategies",
            "equal-weight",
            "--rebalance",
            "monthly",
            "--lookback",
            "60",
            "--exclude-pow-risk",
            "--format",
            "json",
        ]
    )
    pow_risk = doc["pow_risk"]
    assert set(pow_risk) == {"thresholds", "excluded", "summary", "not_screened"}
    assert {e["asset"] for e in pow_risk["excluded"]} == {"BCH"}
    assert all(set(e) == {"date", "asset", "reason"} for e in pow_risk["excluded"])
    assert "ADA" in pow_risk["not_screened"]


def test_backtest_exclude_pow_risk_after_the_data():
    res = runner.invoke(
        app,
        [
            "backtest",
            "--assets",
            "BTC,ETH",
            "--start",
            "2020-06-01",
            "--end",
            "2021-01-31",
            "--strategies",
            "equal-weight",
            "--exclude-pow-risk",
        ],
    )
    assert res.exit_code == 2
    assert "ends 2020-07-27" in " ".join(res.output.split())


def test_optimize_exclude_pow_risk():
    doc = _json(
        [
            "optimize",
            "--assets",
            "BTC,ETH,BCH,ADA",
            "--start",
            "2019-01-01",
            "--end",
            "2020-07-27",
            "--exclude-pow-risk",
            "--format",
            "json",
        ]
    )
    assert set(doc["weights"]) == {"BTC", "ETH", "ADA"}
    assert "BCH" in doc["pow_risk"]["excluded"]
    assert "ADA" in doc["pow_risk"]["not_screened"]
    assert doc["pow_risk"]["screen_day"] == "2020-07-26"
    res = runner.invoke(
        app,
        [
            "optimize",
            "--assets",
            "BTC,BCH",
            "--start",
            "2019-01-01",
            "--end",
            "2020-07-27",
            "--exclude-pow-risk",
        ],
    )
    assert res.exit_code == 0 and "excluded BCH" in res.stdout
    res = runner.invoke(
        app,
        [
            "optimize",
            "--assets",
            "BTC,ETH",
            "--start",
            "2021-01-01",
            "--end",
            "2021-06-01",
            "--exclude-pow-risk",
        ],
    )
    assert res.exit_code == 2 and "--end inside" in " ".join(res.output.split())
