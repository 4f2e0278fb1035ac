"""``cryptofolio demo``: the main job on the bundled real data, end to end.

data quality -> estimation and optimisation (+ frontier picture) -> discrete allocation of the
target -> weekly walk-forward backtest after costs (+ HTML report). Everything runs offline on
the bundled ``coingecko-daily`` dataset; pictures and the report go to ``--output-dir``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.report_options import PlotlyOpt
from cryptofolio.errors import ForecastError
from cryptofolio.report.html_page import PlotlyJs

if TYPE_CHECKING:
    from cryptofolio.backtest import BacktestResult
    from cryptofolio.forecast.demo import ForecastDemo

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
    plotly: PlotlyOpt = PlotlyJs.INLINE,
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
    console.print("\n".join(forecast_section()), highlight=False, markup=False)

    if not skip_backtest:
        console.rule("[bold]Walk-forward backtest after costs")
        backtest_section(output_dir, console, plotly=plotly)
    console.rule()
    console.print(f"outputs written to {escape(str(output_dir.resolve()))}")


def forecast_section() -> list[str]:
    """The forecast section's lines (one line saying why when PyTorch is not installed)."""
    from cryptofolio.forecast.demo import forecast_demo

    try:
        demo = forecast_demo()
    except ForecastError as exc:
        return [f"forecast: skipped ({exc})"]
    return forecast_lines(demo)


def forecast_lines(demo: ForecastDemo) -> list[str]:
    """What was trained and scored, then RMSE, MAE and direction of each forecaster."""
    model, report = demo.model, demo.report
    m = report.metrics
    lines = [
        f"forecast: LSTM-attention on {', '.join(model.assets)} (features "
        f"{', '.join(map(str, model.features))}), trained {demo.train_start} to "
        f"{demo.train_end}, scored on {report.n_forecasts} daily forecasts "
        f"{report.start:%Y-%m-%d} to {report.end:%Y-%m-%d}",
    ]
    for name, row in m.iterrows():
        da = row["directional_accuracy"]
        lines.append(
            f"  {name:<16} RMSE {row['rmse']:.5f}  MAE {row['mae']:.5f}"
            + (f"  direction {da:.1%}" if da == da else "")
        )
    lines.append(
        f"  rank IC {m.loc['lstm-attention', 'rank_ic']:+.4f}; {report.level:.0%} interval "
        f"covers {report.coverage:.1%}"
    )
    return lines


def backtest_section(
    out_dir: Path | None,
    out: Console,
    report_name: str = "backtest_report.html",
    plotly: PlotlyJs = PlotlyJs.INLINE,
) -> BacktestResult:
    """Run the demo backtest under a progress bar, print its metrics and events, and write the
    HTML report into ``out_dir`` (``None``: no report)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from cryptofolio.backtest.demo import DEMO_BACKTEST_STRATEGIES, run_backtest_demo
    from cryptofolio.cli.backtest_tables import event_summary, metrics_rich_tables, warning_summary

    columns = (TextColumn("backtest {task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=out, transient=True) as bar:
        task = bar.add_task("", total=None)

        def on_progress(p) -> None:
            total = p.total * len(DEMO_BACKTEST_STRATEGIES) if p.total else None
            bar.update(task, advance=1, total=total, description=p.strategy)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run_backtest_demo(progress=on_progress)
    for line in warning_summary(caught):
        out.print(f"[yellow]warning[/] {escape(line)}", highlight=False)
    for table in metrics_rich_tables(result):
        out.print(table)
    for line in event_summary(result):
        out.print(line, markup=False)
    if out_dir is not None:
        from cryptofolio.report.backtest_report import ReportOptions, write_backtest_report

        path = write_backtest_report(
            result,
            Path(out_dir) / report_name,
            title="cryptofolio demo: weekly backtest of crypto large caps",
            options=ReportOptions(plotly=plotly),
        )
        out.print(f"backtest report: {escape(str(path))}")
    return result


def register(app: typer.Typer) -> None:
    """Add ``cryptofolio demo`` to ``app``."""
    app.command("demo")(demo)
