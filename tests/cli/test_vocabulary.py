"""One vocabulary across commands: ``--assets/--start/--end`` (``data fetch`` and ``data quality``
keep their former names hidden), one ``--slippage`` syntax, typed choices that the parser lists
and checks, pandas offset aliases as schedules, every objective in the help."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import typer
import typer.rich_utils
from typer.testing import CliRunner

import cryptofolio.cli.fetch_cmd as fetch_cmd
import cryptofolio.cli.trade_cmd as trade_cmd
from cryptofolio.backtest import parse_schedule
from cryptofolio.backtest.schedule import calendar_mask
from cryptofolio.cli import app
from cryptofolio.costs import Slippage
from cryptofolio.errors import CryptofolioError

runner = CliRunner()

#: every objective of the optimiser registry, written out (max-sortino among them)
OBJECTIVES = [
    "min-variance",
    "max-sharpe",
    "max-utility",
    "efficient-return",
    "efficient-risk",
    "min-semivariance",
    "max-sortino",
    "min-cvar",
    "risk-parity",
    "hrp",
    "herc",
]


def _flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def _help(monkeypatch, *command: str) -> str:
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 400)
    return runner.invoke(app, [*command, "--help"]).output


class Stop(CryptofolioError):
    pass


def _fetch_args(monkeypatch, args: list[str]) -> tuple:
    seen: dict = {}

    def stop(text):
        seen["assets"] = text
        raise Stop("captured")

    monkeypatch.setattr(fetch_cmd, "split_symbols", stop)
    result = runner.invoke(app, ["data", "fetch", "binance", *args])
    return seen.get("assets"), result


@pytest.mark.parametrize(
    "args",
    [["--assets", "BTC,ETH", "--start", "2021-01-01"], ["--symbols", "BTC,ETH", "--since", "2021"]],
)
def test_data_fetch_reads_assets_and_start_and_its_former_names(monkeypatch, args):
    assets, result = _fetch_args(monkeypatch, args)
    assert assets == "BTC,ETH", result.output


def test_data_fetch_names_the_new_flags_and_hides_the_old(monkeypatch):
    _, result = _fetch_args(monkeypatch, ["--start", "2021-01-01"])
    assert result.exit_code == 2 and "needs --assets and --start" in result.output
    _, both = _fetch_args(monkeypatch, ["--assets", "BTC", "--symbols", "ETH", "--start", "2021"])
    assert both.exit_code == 2 and "give --assets only" in both.output
    text = _help(monkeypatch, "data", "fetch")
    assert "--assets" in text and "--start" in text and "--end" in text
    assert not re.search(r"--symbols|--since|--until", text.split("Options")[-1])


def test_data_quality_takes_assets_and_still_symbols(monkeypatch):
    for flag in ("--assets", "--symbols"):
        result = runner.invoke(app, ["data", "quality", "--start", "2024-01-01", flag, "BTC,NOPE"])
        assert result.exit_code == 2 and "NOPE" in result.output
    assert "--symbols" not in _help(monkeypatch, "data", "quality")


def _sizing(monkeypatch, args: list[str]):
    seen: dict = {}

    def stop(request, account, fmt):
        seen["request"] = request
        raise Stop("captured")

    monkeypatch.setattr(trade_cmd, "_run_rebalance", stop)
    result = runner.invoke(app, ["rebalance", *args])
    return seen.get("request"), result


@pytest.mark.parametrize(
    ("args", "model", "bps"),
    [
        (["--slippage", "fixed:7.5"], Slippage.FIXED, 7.5),
        (["--slippage", "fixed", "--slippage-bps", "3"], Slippage.FIXED, 3.0),  # former form
        (["--slippage", "sqrt"], Slippage.SQRT, 0.0),
        ([], Slippage.NONE, 0.0),
    ],
)
def test_rebalance_reads_the_backtest_slippage_syntax(monkeypatch, args, model, bps):
    request, result = _sizing(monkeypatch, args)
    assert request is not None, result.output
    assert (request.slippage, request.slippage_bps) == (model, bps)


@pytest.mark.parametrize("command", ["backtest", "rebalance", "sweep"])
def test_a_bad_slippage_is_refused_by_the_parser_in_every_command(command):
    result = runner.invoke(app, [command, "--slippage", "quadratic"])
    assert result.exit_code == 2
    assert "fixed:BPS" in _flat(result.output) and "'--slippage'" in result.output


def test_conflicting_slippage_forms_are_refused(monkeypatch):
    _, result = _sizing(monkeypatch, ["--slippage", "fixed:5", "--slippage-bps", "3"])
    assert result.exit_code == 2 and "disagree" in result.output


@pytest.mark.parametrize(
    ("command", "option", "choices"),
    [
        ("backtest", "--on-failure", "<raise|hold|cash>"),
        ("backtest", "--window", "<rolling|expanding>"),
        ("sweep", "--on-failure", "<raise|hold|cash>"),
        ("backtest", "--slippage", "<none|fixed:BPS|sqrt>"),
        ("rebalance", "--slippage", "<none|fixed:BPS|sqrt>"),
    ],
)
def test_choices_are_listed_and_checked_by_the_parser(monkeypatch, command, option, choices):
    rows = _help(monkeypatch, command).splitlines()
    row = next(ln for ln in rows if ln.startswith("│") and f" {option} " in ln)
    assert choices in row
    if option != "--slippage":
        result = runner.invoke(app, [command, option, "sometimes"])
        assert result.exit_code == 2 and "Invalid value for" in result.output


@pytest.mark.parametrize("command", ["optimize", "backtest"])
def test_every_objective_is_in_the_help(monkeypatch, command):
    text = _flat(_help(monkeypatch, command))
    for name in OBJECTIVES:
        assert name in text, name


def test_pandas_offset_aliases_are_schedules():
    idx = pd.date_range("2021-01-01", "2021-06-30", freq="D", tz="UTC")  # 2021-01-01: a Friday
    fridays = idx[calendar_mask(idx, parse_schedule("W-FRI"))]
    assert list(fridays) == [d for d in idx if d.day_of_week == 4]
    starts = idx[calendar_mask(idx, parse_schedule("MS"))]
    assert [d.strftime("%m-%d") for d in starts] == [f"{m:02d}-01" for m in range(1, 7)]
    ends = idx[calendar_mask(idx, parse_schedule("ME"))]
    assert [d.strftime("%m-%d") for d in ends[1:]] == [
        "01-31",
        "02-28",
        "03-31",
        "04-30",
        "05-31",
        "06-30",
    ]
    assert str(parse_schedule("W-FRI")) == "W-FRI"
    hourly = pd.date_range("2021-01-04", periods=24 * 14, freq="h", tz="UTC")  # a Monday
    wed = hourly[calendar_mask(hourly, parse_schedule("W-WED"))]
    assert [(d.day_of_week, d.hour) for d in wed[1:]] == [(2, 0), (2, 0)]


@pytest.mark.parametrize("text", ["5min", "ms", "W-XYZ", "sometimes"])
def test_other_schedule_texts_are_refused(text):
    with pytest.raises(CryptofolioError, match="pandas calendar offset alias"):
        parse_schedule(text)


def test_a_backtest_runs_on_an_offset_schedule():
    args = "backtest --assets BTC,ETH --start 2021-01-01 --end 2021-03-31 --lookback 30 "
    args += "--strategies equal-weight --rebalance W-FRI --format json"
    result = runner.invoke(app, args.split())
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", ["backtest", "sweep"])
def test_a_bad_schedule_is_refused_by_the_parser(command):
    result = runner.invoke(app, [command, "--rebalance", "sometimes"])
    assert result.exit_code == 2
    text = _flat(result.output)
    assert "Invalid value for '--rebalance'" in text and "W-FRI" in text
