"""``cryptofolio sweep``: a grid (or random sample) of strategy parameters, every configuration
a walk-forward backtest after costs, judged out of sample (deflated Sharpe, PBO, the
out-of-sample rank of the in-sample winner), on local processes or a Dask cluster."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from cryptofolio.atomic_files import atomic_write_text
from cryptofolio.cli.csv_output import echo_csv
from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.portfolio_options import refuse_given_returns, with_portfolio_options
from cryptofolio.cli.sweep_options import (
    SweepBase,
    SweepBudget,
    SweepData,
    SweepFormat,
    SweepGrid,
    SweepOutputs,
    SweepRunner,
    SweepValidation,
    with_base_options,
    with_budget_options,
    with_grid_options,
    with_runner_options,
    with_sweep_data_options,
    with_sweep_output_options,
    with_validation_options,
)
from cryptofolio.errors import BacktestError
from cryptofolio.optimize import PortfolioConfig
from cryptofolio.report.html_page import PlotlyJs

if TYPE_CHECKING:
    from cryptofolio.backtest import BacktestConfig
    from cryptofolio.backtest.sweep import SweepSpec

console = Console()
err_console = Console(stderr=True)


def sweep_rich_table(result: Any) -> Table:
    """Every configuration (best Sharpe first) as a rich table."""
    table = Table(
        title=f"Sweep: {len(result.configurations)} configurations, "
        f"{result.index[0]:%Y-%m-%d} → {result.index[-1]:%Y-%m-%d}",
        title_style="bold",
        header_style="bold",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("#", justify="right")
    for name in result.swept:
        table.add_column(name.replace("_", " "), style="cyan", no_wrap=True)
    for col in ("Sharpe", "IS", "OOS", "rank", "DSR", "sel."):
        table.add_column(col, justify="right", no_wrap=True)
    for k, (_, row) in enumerate(result.configurations.iterrows(), start=1):
        table.add_row(
            str(k),
            *[str(row[p]) for p in result.swept],
            _num(row["sharpe"]),
            _num(row["is_sharpe"]),
            _num(row["oos_sharpe"]),
            str(int(row["oos_rank"])),
            _num(row["dsr"]),
            str(int(row["times_selected"])),
        )
    table.caption = (
        "Sharpe annualised after costs over the common period; IS/OOS: mean over the splits of "
        "the training/test Sharpe; rank: by OOS; DSR: deflated Sharpe ratio given the number of "
        "configurations; sel.: splits where it had the best training Sharpe (turnover and "
        "costs: --format json or --output-dir)"
    )
    return table


def _num(value: object, digits: int = 2) -> str:
    v = float(value)  # type: ignore[arg-type]
    return "–" if v != v or v in (float("inf"), float("-inf")) else f"{v:,.{digits}f}"


@handle_errors
@with_sweep_data_options
@with_grid_options
@with_validation_options
@with_portfolio_options(name_flags=False)  # the grid file uses the library names
@with_base_options
@with_runner_options
@with_sweep_output_options
@with_budget_options
def sweep(
    *,
    data: SweepData,
    sweep_grid: SweepGrid,
    validation: SweepValidation,
    config: PortfolioConfig,
    base: SweepBase,
    runner: SweepRunner,
    outputs: SweepOutputs,
    budget: SweepBudget,
) -> None:
    """Sweep strategy parameters and judge the best out of sample.

    Every configuration is a walk-forward backtest after costs. The output gives, for each, its
    Sharpe over the whole period, in-sample and out-of-sample Sharpe over purged folds, the
    deflated Sharpe ratio given how many configurations were tried, and for the sweep the
    probability of backtest overfitting (CSCV) and a verdict on whether the winner is more than
    luck.

    Examples:

      cryptofolio sweep --assets BTC,ETH,BNB,XRP,ADA --start 2021-01-01 --param lookback=90,180,365 --param objective=min-variance,max-sharpe

      cryptofolio sweep --grid examples/sweep.toml --assets BTC,ETH,BNB,XRP,ADA --start 2021-01-01 --workers 2 --output-dir sweep-out --heatmap oos.png lookback l2

      cryptofolio sweep --grid examples/sweep.toml --cpcv --folds 6 --dask tcp://scheduler:8786 --format json
    """
    refuse_given_returns(config, "sweep")
    from cryptofolio.data import to_panels

    store_dir = runner.store_dir()
    spec = _sweep_spec(sweep_grid, validation, base.config, data, config)
    outputs.check_heatmap([name for name, _ in spec.grid])
    panels = to_panels(data.load())
    result = _run_with_bar(
        spec,
        panels,
        workers=runner.workers,
        dask=runner.dask,
        output_dir=store_dir,
        dask_timeout=runner.dask_timeout,
        budget=budget.seconds,
    )
    _write_outputs(result, store_dir, outputs.heatmap, (outputs.report, outputs.plotly))
    if outputs.output_format is SweepFormat.JSON:
        typer.echo(json.dumps(result.to_json_dict(), indent=2))
        return
    if outputs.output_format is SweepFormat.CSV:  # the verdict is in the JSON and the table
        echo_csv(result.to_json_dict()["configurations"])
        return
    console.print(sweep_rich_table(result))
    for _, row in result.failed.iterrows():
        console.print(
            f"[red]failed[/] {escape(str(row['key']))}: {escape(str(row['error']))}",
            highlight=False,
        )
    console.print(result.verdict, highlight=False, markup=False)


def _sweep_spec(
    grid: SweepGrid,
    validation: SweepValidation,
    base: Callable[[str | None, str | None, float | None], BacktestConfig],
    data: SweepData,
    config: PortfolioConfig,
) -> SweepSpec:
    """The sweep the options describe (``base``: the base backtest's config between two dates,
    :meth:`SweepBase.config`): the options given on the command line over the grid file's
    sampling and validation tables."""
    from cryptofolio.backtest.sweep import SweepSpec, ValidationSpec

    pairs, sampling, validation_table = grid.pairs()
    backtest = base(data.start, data.end, config.periods_per_year)
    samples = grid.sample if grid.sample is not None else sampling.get("samples")
    return SweepSpec(
        pairs,
        backtest=backtest,
        portfolio=config,
        sampling="random" if samples is not None else sampling.get("method", "grid"),
        samples=samples,
        seed=grid.seed if grid.sample is not None else sampling.get("seed", grid.seed),
        validation=ValidationSpec(**validation.over(validation_table)),
    )


def _run_with_bar(spec: Any, panels: Any, *, budget: float | None, **options: Any) -> Any:
    from cryptofolio.backtest.sweep import run_sweep

    def check(estimate: Any) -> None:
        if budget is not None and estimate.seconds > budget:
            raise BacktestError(
                f"the sweep has {spec.size} configurations; the first took "
                f"{estimate.first_seconds:.1f} s, so the other {estimate.remaining} would take "
                f"about {estimate.seconds / 60:.1f} min with {estimate.workers} worker(s) (an "
                f"estimate), more than --max-minutes {budget / 60:g}; pass --yes to run it, or "
                "shrink the grid (--sample N, fewer values)"
            )

    with Progress(
        TextColumn("[bold]sweep[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=spec.size)

        def on_progress(p: Any) -> None:
            bar.update(task, completed=p.done, total=p.total)

        return run_sweep(spec, panels, progress=on_progress, on_estimate=check, **options)


def _write_outputs(
    result: Any,
    store_dir: Path | None,
    heatmap: tuple[Path, str, str] | None,
    report: tuple[Path | None, PlotlyJs],
) -> None:
    """The results folder, the heatmap PNG and the HTML report (``(path, plotly.js source)``)."""
    if store_dir is not None:
        atomic_write_text(
            store_dir / "sweep_result.json", json.dumps(result.to_json_dict(), indent=2)
        )
        atomic_write_text(store_dir / "configurations.csv", result.configurations.to_csv())
        err_console.print(f"results: {store_dir}", markup=False)
    if heatmap is not None:
        from cryptofolio.report.sweep_report import plot_sweep_heatmap

        path, x, y = heatmap
        plot_sweep_heatmap(result, x.replace("-", "_"), y.replace("-", "_"), path)
        err_console.print(f"heatmap: {path}", markup=False)
    if report[0] is not None:
        from cryptofolio.report.sweep_report import write_sweep_report

        err_console.print(
            f"report: {write_sweep_report(result, report[0], plotly=report[1])}", markup=False
        )


def register(app: typer.Typer) -> None:
    """Add ``cryptofolio sweep`` to ``app``."""
    app.command("sweep")(sweep)
