"""``cryptofolio demo``: the main job on the bundled real data, end to end.

data quality -> estimation and optimisation (+ frontier picture) -> discrete allocation of the
target -> weekly walk-forward backtest after costs (+ HTML report). Everything runs offline on
the bundled ``coingecko-daily`` dataset; pictures and the report go to ``--output-dir``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cryptofolio.cli.errors import handle_errors

console = Console()


@handle_errors
def demo(
    output_dir: Annotated[
        Path,
        typer.Option("--output-dir", help="Folder for the frontier picture and the HTML report."),
    ] = Path("demo-output"),
    skip_backtest: Annotated[
        bool, typer.Option("--skip-backtest", help="Stop after the allocation section.")
    ] = False,
) -> None:
    """Run the whole pipeline on the bundled real data and print a readable summary.

    Sections: data coverage and quality; minimum-variance and maximum-Sharpe portfolios of the
    large caps (frontier picture written to the output folder); a discrete allocation of
    10,000 USD; a small LSTM-attention forecast scored out of sample (needs the forecast extra);
    a weekly-rebalanced backtest with 10 bps fees and square-root slippage (HTML
    report written to the output folder).

    Example:

      cryptofolio demo --output-dir demo-output
    """
    from cryptofolio.backtest.demo import run_backtest_demo
    from cryptofolio.cli.data_cmd import data_summary
    from cryptofolio.cli.optimize_cmd import run_optimize_demo
    from cryptofolio.cli.trade_cmd import print_allocation
    from cryptofolio.trade.demo import allocation_demo

    output_dir.mkdir(parents=True, exist_ok=True)
    data_summary(console)

    console.rule("[bold]Optimisation: large caps")
    run_optimize_demo(output_dir, out=console)

    console.rule("[bold]Discrete allocation: 10,000 USD of the min-variance portfolio")
    alloc = allocation_demo(10_000.0)
    print_allocation(alloc.best(), alloc.target, out=console)

    console.rule("[bold]Return forecasts: LSTM-attention vs naive, out of sample")
    from cryptofolio.forecast.demo import demo_lines

    console.print("\n".join(demo_lines()), highlight=False)

    if not skip_backtest:
        console.rule("[bold]Walk-forward backtest after costs")
        run_backtest_demo(output_dir, console=console)
    console.rule()
    console.print(f"outputs written to {output_dir.resolve()}")


def register(app: typer.Typer) -> None:
    """Add ``cryptofolio demo`` to ``app``."""
    app.command("demo")(demo)
