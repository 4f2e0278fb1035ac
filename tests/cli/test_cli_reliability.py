"""Nothing silent, nothing raw (issue 23), through the command line: each bad input gets its
own message naming the asset, the date, the value, the file or the option; every warning is
in the JSON output with the words of the table output; results are printed before a file that
cannot be written fails; anything unexpected is one line with the way to see the traceback.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cryptofolio.cli import app

runner = CliRunner()
SMALL_BACKTEST = ["--lookback", "30", "--rebalance", "monthly", "--strategies", "equal-weight"]


def _run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def _text(result) -> str:
    """Output (stdout and stderr) with rich's line wrapping undone."""
    return " ".join(result.output.split())


def _prices(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2021-01-01", periods=n, freq="D")
    values = np.exp(np.cumsum(rng.normal(0, 0.02, (n, 3)), axis=0)) * [30_000.0, 2_000.0, 40.0]
    return pd.DataFrame(values, index=index, columns=["BTC", "ETH", "SOL"])


def _csv(tmp_path, frame: pd.DataFrame, name: str = "p.csv"):
    path = tmp_path / name
    frame.to_csv(path, index_label="date")
    return path


def test_a_hole_every_asset_shares_is_refused_with_its_dates(tmp_path):
    frame = _prices().drop(pd.date_range("2021-02-10", "2021-03-11"))
    res = _run("optimize", "--prices", _csv(tmp_path, frame))
    assert res.exit_code == 2
    assert "30 day(s) missing from every asset" in _text(res)
    assert "2021-02-10 to 2021-03-11" in _text(res)


def test_mixed_utc_offsets_are_refused_naming_the_rows(tmp_path):
    frame = _prices()
    stamps = [f"{d:%Y-%m-%d}T00:00:00+00:00" for d in frame.index]
    stamps[40] = f"{frame.index[40]:%Y-%m-%d}T00:00:00+02:00"
    frame.index = stamps
    res = _run("optimize", "--prices", _csv(tmp_path, frame))
    assert res.exit_code == 2
    assert "irregular spacing" in _text(res) and "2021-02-09 22:00 UTC" in _text(res)


def test_a_stale_run_is_warned_in_the_same_words_in_table_and_json(tmp_path):
    frame = _prices()
    frame.iloc[50:80, 0] = frame.iloc[50, 0]
    path = _csv(tmp_path, frame)
    table = _run("optimize", "--prices", path)
    as_json = _run("optimize", "--prices", path, "--format", "json")
    assert table.exit_code == 0 and as_json.exit_code == 0
    warnings = json.loads(as_json.stdout)["warnings"]
    assert any("runs of identical closes" in w and "BTC" in w for w in warnings), warnings
    for text in warnings:
        assert " ".join(text.split()) in _text(table)


def test_a_price_of_1e300_names_asset_date_and_value(tmp_path):
    frame = _prices()
    frame.iloc[60, 1] = 1e300
    with _no_runtime_warnings():
        res = _run("optimize", "--prices", _csv(tmp_path, frame))
    assert res.exit_code == 2
    assert "ETH 1e+300 on 2021-03-02" in _text(res)
    assert "overflow" not in res.output


class _no_runtime_warnings:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("error", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def test_file_errors_say_what_and_where(tmp_path):
    dup = tmp_path / "dup.csv"
    dup.write_text("date,BTC,BTC\n2021-01-01,1,2\n2021-01-02,1,2\n")
    assert "BTC (columns 2, 3)" in _text(_run("optimize", "--prices", dup))
    long = tmp_path / "long.csv"
    long.write_text("date,symbol,price\n2021-01-01,BTC,1\n")
    text = _text(_run("optimize", "--prices", long))
    assert "needs a close column" in text and "columns found: date, symbol, price" in text
    latin = tmp_path / "latin.csv"
    frame = _prices()
    frame.columns = ["BTC", "ETH", "SOLé"]
    frame.to_csv(latin, index_label="date", encoding="latin-1")
    text = _text(_run("optimize", "--prices", latin))
    assert "line 1" in text and "--encoding" in text
    res = _run("optimize", "--prices", latin, "--encoding", "latin-1", "--format", "json")
    assert res.exit_code == 0, res.output
    assert "SOLÉ" in json.loads(res.stdout)["weights"]


def test_an_asset_that_stops_early_is_named_with_the_option_to_change():
    res = _run("optimize", "--assets", "BTC,LUNA", "--start", "2021-01-01", "--end", "2022-06-01")
    assert res.exit_code == 0, res.output
    text = _text(res)
    assert "before --end 2022-06-01: LUNA stops 2021-10-17" in text and "--assets" in text


def test_a_lookback_that_moves_the_start_is_named():
    res = _run(
        "backtest", "--assets", "SOL", "--start", "2020-05-01", "--lookback", "200",
        "--rebalance", "monthly", "--strategies", "equal-weight", "--end", "2021-01-01",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    text = _text(res)
    assert "not at --start 2020-05-01" in text and "--lookback 200" in text


def test_fixed_weights_that_would_do_something_else_are_refused():
    base = ["backtest", "--assets", "BTC,ETH", "--start", "2023-06-01", *SMALL_BACKTEST[:4]]
    res = _run(*base, "--strategies", "fixed-weights", "--fixed-weights", "DOGE=1")
    assert res.exit_code == 2 and "names DOGE, not in the backtest data" in _text(res)
    res = _run(*base, "--strategies", "fixed-weights", "--fixed-weights", "BTC=0.9,ETH=0.9")
    assert res.exit_code == 2 and "sum to 1.8, not the budget 1" in _text(res)
    res = _run(
        *base, "--strategies", "fixed-weights", "--fixed-weights", "BTC=0.9,ETH=0.9",
        "--normalize-weights", "--format", "json",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert any("scaled to BTC=0.5,ETH=0.5" in w for w in json.loads(res.stdout)["warnings"])


def test_liquidations_are_in_the_json_with_the_table_words():
    args = ["backtest", "--assets", "BTC,LUNA", "--start", "2021-06-01", "--end", "2022-01-01"]
    table = _run(*args, *SMALL_BACKTEST)
    doc = json.loads(_run(*args, *SMALL_BACKTEST, "--format", "json").stdout)
    assert doc["notes"] == ["equal-weight: 1 liquidation(s) when data stopped"]
    assert doc["notes"][0] in _text(table)
    [event] = [e for e in doc["events"] if e["event"] == "liquidation"]
    assert event["asset"] == "LUNA" and event["timestamp"].startswith("2021-10-18")


def test_implausible_amounts_and_options_are_named(tmp_path):
    holdings = tmp_path / "h.csv"
    holdings.write_text("symbol,amount\nBTC,1e300\nETH,2\n")
    res = _run("rebalance", "--holdings", holdings, "--assets", "BTC,ETH", "--start", "2023-01-01")
    assert res.exit_code == 2 and "amount 1e+300 of BTC is implausible" in _text(res)
    res = _run("allocate", "--value", "1000", "--assets", "BTC,ETH", "--step", "0")
    assert res.exit_code == 2 and "--step (the lot step in base units) must be positive" in _text(
        res
    )
    res = _run("optimize", "--assets", "BTC,ETH", "--risk-free-rate", "1e300")
    assert res.exit_code == 2 and "--risk-free-rate 1e+300 is implausible" in _text(res)


def test_output_paths_are_checked_before_the_work(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    cases = [
        ("backtest", "--report", afile / "r.html"),
        ("backtest", "--output-dir", afile / "out"),
        ("backtest", "--output-dir", afile),
        ("optimize", "--plot", afile / "w.png"),
    ]
    for command, option, path in cases:
        res = _run(command, "--assets", "BTC,ETH", "--start", "2023-06-01", option, path)
        assert res.exit_code == 2, (option, res.output)
        assert f"{option} {path}" in _text(res) and "Traceback" not in res.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    res = _run("optimize", "--assets", "BTC,ETH", "--plot", folder / "w.png")
    assert res.exit_code == 2 and "not writable" in _text(res)


def test_results_are_printed_before_a_failing_report(tmp_path, monkeypatch):
    import cryptofolio.report.backtest_report as report

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report, "write_backtest_report", fail)
    res = _run(
        "backtest", "--assets", "BTC,ETH", "--start", "2023-06-01", *SMALL_BACKTEST,
        "--report", tmp_path / "r.html", "--format", "json",
    )  # fmt: skip
    assert res.exit_code == 2
    assert "equal-weight" in json.loads(res.stdout)["strategies"]
    assert f"--report {tmp_path / 'r.html'}" in _text(res) and "No space left" in _text(res)


def test_an_unexpected_error_is_one_line_with_the_way_to_the_traceback(monkeypatch):
    import cryptofolio.cli.data_window as data_window

    def boom(*args, **kwargs):
        raise TypeError("unsupported operand")

    monkeypatch.setattr(data_window, "market_window", boom)
    monkeypatch.delenv("CRYPTOFOLIO_DEBUG", raising=False)
    res = _run("optimize", "--assets", "BTC,ETH")
    assert res.exit_code == 1
    assert "unexpected TypeError: unsupported operand" in _text(res)
    assert "--debug" in _text(res) and "Traceback" not in res.output
    monkeypatch.setenv("CRYPTOFOLIO_DEBUG", "0")  # restored after the test: --debug sets it
    res = _run("--debug", "optimize", "--assets", "BTC,ETH")
    assert isinstance(res.exception, TypeError)
    monkeypatch.setenv("CRYPTOFOLIO_DEBUG", "1")
    assert isinstance(_run("optimize", "--assets", "BTC,ETH").exception, TypeError)


def test_clean_standard_is_recorded_and_junk_in_the_window_is_warned():
    args = ["optimize", "--assets", "BTC,BNB", "--start", "2017-10-25", "--end", "2018-06-01"]
    raw = json.loads(_run(*args, "--format", "json").stdout)
    assert any("pre-listing junk" in w and "BNB" in w for w in raw["warnings"]), raw
    cleaned = json.loads(_run(*args, "--clean", "standard", "--format", "json").stdout)
    assert any(
        w.startswith("--clean standard: drop_listing_junk: BNB") for w in cleaned["warnings"]
    )
    assert cleaned["start"] == "2017-10-30"
