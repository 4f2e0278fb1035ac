"""The ``cryptofolio`` command line: a thin shell over the library.

Each command lives in its own module with a ``register(app)`` function; this module only
names them (:data:`COMMANDS`): a command's module, and the library it uses, is imported when
that command runs, so ``cryptofolio --help`` and ``--version`` start at once.
"""

from __future__ import annotations

import os

import typer

from cryptofolio import __version__
from cryptofolio.cli.lazy_group import LazyCommand, LazyGroup

DEBUG_ENV = "CRYPTOFOLIO_DEBUG"  # also cli.errors.DEBUG_ENV

#: The commands in their ``--help`` order: name, module, first paragraph of the help.
COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand(
        "optimize",
        "optimize_cmd",
        "Optimise one portfolio on historical prices and print its weights and figures.",
    ),
    LazyCommand(
        "frontier",
        "optimize_cmd",
        "Efficient frontier from the minimum-variance to the maximum-return portfolio.",
    ),
    LazyCommand(
        "backtest",
        "backtest_cmd",
        "Walk-forward backtest of portfolio strategies after trading costs.",
    ),
    LazyCommand(
        "rebalance",
        "trade_cmd",
        "Compare an exchange account (or a holdings file) with an optimised portfolio and list\n"
        "the orders that move it there. Dry run unless --execute.",
    ),
    LazyCommand(
        "allocate",
        "trade_cmd",
        "Whole-lot amounts of each asset for investing --value in an optimised portfolio, with "
        "the\nleftover cash, priced at each asset's last close in the data.",
    ),
    LazyCommand(
        "demo",
        "demo_cmd",
        "Run the whole pipeline on the bundled real data and print a readable summary.",
    ),
    LazyCommand(
        "sweep", "sweep_cmd", "Sweep strategy parameters and judge the best out of sample."
    ),
    LazyCommand(
        "security",
        "security_cmd",
        "Screen proof-of-work coins for 51%-attack risk on one date, point in time.",
    ),
    LazyCommand(
        "data",
        "data_cmd",
        "Datasets: list what is available (and where the store is), check quality, fetch from "
        "exchanges and APIs, query them with SQL.",
    ),
    LazyCommand(
        "forecast",
        "forecast_cmd",
        "Return forecasts with an LSTM-attention network (needs the forecast extra): train, "
        "predict, evaluate out of sample.",
    ),
)


class CryptofolioGroup(LazyGroup):
    """The root group: :data:`COMMANDS`, each imported when it runs."""

    lazy = COMMANDS


app = typer.Typer(
    name="cryptofolio",
    help=(
        "Build, backtest and rebalance cryptocurrency portfolios.\n\n"
        "Examples:\n\n"
        "  cryptofolio demo\n\n"
        "  cryptofolio data list\n\n"
        "  cryptofolio data quality coingecko-daily"
    ),
    cls=CryptofolioGroup,
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


def main() -> None:
    """Console-script entry point."""
    app()
