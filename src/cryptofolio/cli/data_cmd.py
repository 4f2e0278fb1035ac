"""``cryptofolio data ...``: list, quality and fetch."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.fetch_cmd import fetch_command
from cryptofolio.cli.options import DataDirOpt
from cryptofolio.data import list_datasets

data_app = typer.Typer(
    name="data",
    help="Datasets: list what is available, check quality, fetch from exchanges and APIs.",
    no_args_is_help=True,
)
console = Console()


@data_app.command("list")
@handle_errors
def list_command(data_dir: DataDirOpt = None) -> None:
    """List bundled and locally stored datasets with symbols, frequency and date range.

    Example:

      cryptofolio data list
    """
    table = Table(title="Datasets")
    for col in ("name", "origin", "freq", "symbols", "first", "last", "rows"):
        table.add_column(col)
    for info in list_datasets(data_dir):
        shown = ", ".join(info.symbols[:12]) + (
            f" ... (+{len(info.symbols) - 12})" if len(info.symbols) > 12 else ""
        )
        table.add_row(
            info.name,
            info.origin,
            info.frequency,
            f"{len(info.symbols)}: {shown}",
            str(info.start),
            str(info.end),
            f"{info.rows:,}",
        )
    console.print(table)


data_app.command("fetch")(fetch_command)


def register(app: typer.Typer) -> None:
    """Add ``cryptofolio data`` to ``app``."""
    app.add_typer(data_app)
