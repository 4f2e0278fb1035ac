"""``--config FILE``: a TOML portfolio spec supplying the options' defaults, the command line
overriding it (cli/config_file.py). The expected values are written out from the example
file's text, not computed by the code under test."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from typer.testing import CliRunner

import cryptofolio.cli.backtest_cmd as backtest_cmd
import cryptofolio.cli.optimize_cmd as optimize_cmd
from cryptofolio.cli import app
from cryptofolio.cli.backtest_options import Simulation
from cryptofolio.cli.config_file import COMMAND_TABLES, SPEC_KEYS
from cryptofolio.cli.portfolio_options import PortfolioOption
from cryptofolio.errors import CryptofolioError
from cryptofolio.estimate import RiskModel
from cryptofolio.optimize import Objective

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "portfolio.toml"
runner = CliRunner()


class Stop(CryptofolioError):
    pass


def _optimize_inputs(monkeypatch, args: list[str]) -> tuple:
    """(data options, portfolio config) that ``optimize ARGS`` works on."""
    seen: dict = {}

    def load_window(data):
        seen["data"] = data
        return SimpleNamespace(assets=())

    def stop(window, config):
        seen["config"] = config
        raise Stop("captured")

    monkeypatch.setattr(optimize_cmd, "load_window", load_window)
    monkeypatch.setattr(optimize_cmd, "estimation_inputs", stop)
    result = runner.invoke(app, ["optimize", *args])
    assert "captured" in result.output, result.output
    return seen["data"], seen["config"]


def test_the_example_file_gives_optimize_its_spec(monkeypatch):
    data, config = _optimize_inputs(monkeypatch, ["--config", str(EXAMPLE)])
    assert (data.assets, data.start, data.end) == (
        "BTC,ETH,BNB,XRP,ADA",
        "2021-01-01",
        "2023-11-30",
    )
    assert config.objective == Objective.MIN_VARIANCE
    assert config.risk_model == RiskModel.LEDOIT_WOLF
    assert config.constraints.max_weight == 0.4
    assert config.constraints.bounds == {"BTC": (0.1, 0.4)}


def test_command_line_options_override_the_file(monkeypatch):
    args = ["--config", str(EXAMPLE), "--max-weight", "0.5", "--assets", "BTC,ETH"]
    data, config = _optimize_inputs(monkeypatch, args)
    assert data.assets == "BTC,ETH"
    assert config.constraints.max_weight == 0.5
    assert config.risk_model == RiskModel.LEDOIT_WOLF  # still from the file
    # the option's place on the line does not matter
    data, config = _optimize_inputs(monkeypatch, ["--max-weight", "0.5", "--config", str(EXAMPLE)])
    assert config.constraints.max_weight == 0.5


def test_the_example_file_gives_backtest_its_strategies_and_schedule(monkeypatch):
    seen: dict = {}
    original = Simulation.config

    def config_spy(self, start, end, periods_per_year):
        seen["simulation"] = self
        return original(self, start, end, periods_per_year)

    def stop(names, config, *, given, options):
        seen["names"], seen["given"] = names, given
        raise Stop("captured")

    monkeypatch.setattr(Simulation, "config", config_spy)
    monkeypatch.setattr(backtest_cmd, "build_strategies", stop)
    result = runner.invoke(app, ["backtest", "--config", str(EXAMPLE), "--lookback", "180"])
    assert "captured" in result.output, result.output
    assert seen["names"] == ["min-variance", "equal-weight", "btc-hold"]
    simulation = seen["simulation"]
    assert (simulation.rebalance, simulation.on_failure) == ("monthly", "hold")
    assert simulation.lookback == 180  # the flag
    assert simulation.costs.fee_bps == 10.0
    # values from the file are the user's choices (lstm-mvo keeps its defaults elsewhere)
    assert PortfolioOption.MAX_WEIGHT in seen["given"]
    assert PortfolioOption.L2 not in seen["given"]


def test_a_file_run_equals_the_same_options_typed(tmp_path):
    """The file and the equivalent flags give the same portfolio on the bundled data."""
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'assets = ["BTC", "ETH", "XRP"]\nstart = 2022-01-01\nend = 2022-12-31\n'
        'max-weight = 0.5\nbounds = { XRP = "0.1:0.3" }\n[optimize]\nformat = "json"\n',
        encoding="utf-8",
    )
    from_file = runner.invoke(app, ["optimize", "--config", str(spec)])
    typed = runner.invoke(
        app,
        "optimize --assets BTC,ETH,XRP --start 2022-01-01 --end 2022-12-31 --max-weight 0.5 "
        "--bounds XRP=0.1:0.3 --format json".split(),
    )
    assert from_file.exit_code == 0, from_file.output
    weights = json.loads(from_file.output)["weights"]
    assert weights == json.loads(typed.output)["weights"]
    assert max(weights.values()) <= 0.5 + 1e-9 and 0.1 - 1e-9 <= weights["XRP"] <= 0.3 + 1e-9
    assert math.isclose(sum(weights.values()), 1.0)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("max_weight = 0.3\n", ["'max_weight'", "did you mean 'max-weight'", "max-weight"]),
        ("[optimize]\nstrategies = ['hrp']\n", ["'strategies'", "[optimize] table", "--config"]),
        ("[bogus]\nx = 1\n", ["'bogus'", "[backtest]"]),
        ("max-weight = \n", ["not valid TOML"]),
    ],
)
def test_a_bad_file_is_refused_naming_the_key_and_the_valid_ones(tmp_path, text, named):
    spec = tmp_path / "spec.toml"
    spec.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["optimize", "--config", str(spec)])
    assert result.exit_code == 2
    message = " ".join(result.output.replace("│", " ").split())
    for part in named:
        assert part in message, message
    if "valid keys" in message:
        assert "max-weight" in message and "risk-model" in message


def test_a_bad_value_in_the_file_names_the_option(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('objective = "max-sortinoo"\n', encoding="utf-8")
    result = runner.invoke(app, ["optimize", "--config", str(spec)])
    assert result.exit_code == 2
    assert "--objective" in result.output


def _commands() -> dict[str, object]:
    """Every command below the root by table name (``forecast.train``)."""
    root = typer.main.get_command(app)
    out: dict[str, object] = {}
    ctx = typer.Context(root)
    for name in root.list_commands(ctx):
        command = root.get_command(ctx, name)
        subs = getattr(command, "list_commands", None)
        if subs is None:
            out[name] = command
        else:
            for sub in subs(ctx):
                out[f"{name}.{sub}"] = command.get_command(ctx, sub)
    return out


def test_the_spec_keys_and_tables_match_the_commands():
    commands = _commands()
    with_config = {name for name, c in commands.items() if "--config" in _flags(c)}
    assert with_config == set(COMMAND_TABLES)
    offered = {flag[2:] for name in COMMAND_TABLES for flag in _flags(commands[name])}
    assert SPEC_KEYS <= offered, sorted(SPEC_KEYS - offered)


def _flags(command) -> list[str]:
    return [opt for p in command.params for opt in p.opts if opt.startswith("--")]
