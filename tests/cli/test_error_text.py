"""What an error prints: the message as written (rich markup escaped: ``[bybit]`` survives), the
CLI flags rather than the library's argument names, the objective that failed."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from cryptofolio.cli import app
from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.portfolio_options import PortfolioOption, cli_names
from cryptofolio.errors import DataError

runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_square_brackets_in_an_error_are_printed_as_written():
    tiny = typer.Typer()

    @tiny.command()
    @handle_errors
    def fail() -> None:
        raise DataError("add a [bybit] section; [bold]not bold[/] [/] stays")

    result = runner.invoke(tiny, [])
    assert result.exit_code == 2
    assert "error: add a [bybit] section; [bold]not bold[/] [/] stays" in _flat(result.output)


def test_the_missing_keys_error_keeps_its_section_name(monkeypatch, tmp_path):
    for name in ("CRYPTOFOLIO_BYBIT_API_KEY", "CRYPTOFOLIO_BYBIT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    keys = tmp_path / "keys.toml"
    keys.write_text("", encoding="utf-8")
    args = ["rebalance", "--exchange", "bybit", "--keys-file", str(keys), "--assets", "BTC"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "add a [bybit] section to the keys file" in _flat(result.output)


def test_a_constraint_error_names_the_flags():
    args = "optimize --assets BTC,ETH,SOL --start 2023-01-01 --min-weight 0.5 --max-weight 0.3"
    result = runner.invoke(app, args.split())
    assert result.exit_code == 2
    text = _flat(result.output)
    assert "--min-weight 0.5 > --max-weight 0.3" in text
    assert "max_weight" not in text and "min_weight" not in text


def test_a_missing_target_names_its_flag():
    args = "optimize --assets BTC,ETH --start 2023-01-01 --objective efficient-return"
    result = runner.invoke(app, args.split())
    assert result.exit_code == 2 and "needs --target-return" in _flat(result.output)


def test_a_max_sortino_failure_says_max_sortino():
    # 2022: both assets lost money, so no portfolio beats a zero risk-free rate
    args = "optimize --assets BTC,ETH --start 2022-03-01 --end 2022-12-31 --objective max-sortino"
    result = runner.invoke(app, args.split())
    assert result.exit_code == 2
    text = _flat(result.output)
    assert "max-sortino needs a portfolio" in text and "max-sharpe" not in text


def test_cli_names_rewrites_whole_names_only():
    options = list(PortfolioOption)
    assert cli_names("raise max_weight or gross_exposure", options) == (
        "raise --max-weight or --gross-exposure"
    )
    kept = "'max_weight' is a grid name; max_weights and --max-weight stay; l2 too"
    assert cli_names(kept, options) == kept
    assert cli_names("max_weight", [PortfolioOption.MIN_WEIGHT]) == "max_weight"
