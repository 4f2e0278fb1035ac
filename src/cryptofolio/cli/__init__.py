"""The ``cryptofolio`` command line: a thin shell over the library.

Each command lives in its own module with a ``register(app)`` function; this module only
assembles them.
"""

from __future__ import annotations

import os

import typer

from cryptofolio import __version__
from cryptofolio.cli import (
    backtest_cmd,
    data_cmd,
    demo_cmd,
    forecast_cmd,
    optimize_cmd,
    security_cmd,
    sweep_cmd,
    trade_cmd,
)
from cryptofolio.cli.errors import DEBUG_ENV

app = typer.Typer(
    name="cryptofolio",
    help=(
        "Build, backtest and rebalance cryptocurrency portfolios.\n\n"
        "Examples:\n\n"
        "  cryptofolio demo\n\n"
        "  cryptofolio data list\n\n"
        "  cryptofolio data quality coingecko-daily"
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cryptofolio {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    debug: bool = typer.Option(
        False,
        "--debug",
        help="Show the traceback of unexpected errors (also CRYPTOFOLIO_DEBUG=1).",
    ),
) -> None:
    """Build, backtest and rebalance cryptocurrency portfolios."""
    if debug:  # the command's process reads it (cli.errors.debug_requested)
        os.environ[DEBUG_ENV] = "1"


for _module in (data_cmd, optimize_cmd, backtest_cmd, forecast_cmd, trade_cmd, demo_cmd, sweep_cmd):
    _module.register(app)
security_cmd.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
