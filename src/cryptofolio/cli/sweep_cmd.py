"""``cryptofolio sweep``: a grid (or random sample) of strategy parameters, every configuration
a walk-forward backtest after costs, judged out of sample (deflated Sharpe, PBO, the
out-of-sample rank of the in-sample winner), on local processes or a Dask cluster."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.options import (
    AssetsOpt,
    DataDirOpt,
    DatasetOpt,
    EndOpt,
    PricesOpt,
    StartOpt,
    load_from_options,
)
from cryptofolio.cli.portfolio_options import with_portfolio_options
from cryptofolio.cli.report_options import PlotlyOpt
from cryptofolio.costs import CostModel, parse_slippage
from cryptofolio.errors import BacktestError
from cryptofolio.optimize import PortfolioConfig
from cryptofolio.report.html_page import PlotlyJs

console = Console()
err_console = Console(stderr=True)


class SweepFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def grid_from_options(
    params: list[str] | None, grid_file: Path | None
) -> tuple[list[tuple[str, Any]], dict[str, Any], dict[str, Any]]:
    """The grid (``--grid`` file first, then each ``--param`` replacing or adding a parameter),
    and the file's sampling and validation tables."""
    from cryptofolio.backtest.sweep import load_grid, parse_param

    grid: dict[str, Any] = {}
    sampling: dict[str, Any] = {}
    validation: dict[str, Any] = {}
    if grid_file is not None:
        loaded = load_grid(grid_file)
        grid.update(dict(loaded.grid))
        sampling, validation = dict(loaded.sampling), dict(loaded.validation)
    for text in params or []:
        name, values = parse_param(text)
        grid[name] = values
    return list(grid.items()), sampling, validation


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
@with_portfolio_options()
def sweep(
    dataset: DatasetOpt = None,
    prices: PricesOpt = None,
    assets: AssetsOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    data_dir: DataDirOpt = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            help="NAME=V1,V2,... repeatable: objective, risk_model, expected_returns, l2, "
            "risk_aversion, lookback, window, rebalance, max_weight, fee_bps, slippage, "
            "impact_coefficient.",
        ),
    ] = None,
    grid: Annotated[
        Path | None, typer.Option("--grid", help="TOML file with [grid] (see examples/sweep.toml).")
    ] = None,
    sample: Annotated[
        int | None, typer.Option("--sample", min=1, help="Run a random sample of N configurations.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of --sample.")] = 0,
    folds: Annotated[
        int | None,
        typer.Option(
            "--folds", min=2, help="Walk-forward test blocks, or CPCV groups (default 5)."
        ),
    ] = None,
    cpcv: Annotated[
        bool,
        typer.Option(
            "--cpcv/--walk-forward", help="Combinatorial purged CV instead of walk-forward."
        ),
    ] = False,
    test_groups: Annotated[
        int | None, typer.Option("--test-groups", min=1, help="CPCV: groups per test set (2).")
    ] = None,
    embargo: Annotated[
        int | None,
        typer.Option(
            "--embargo", min=0, help="Rows dropped from training around test blocks (1%)."
        ),
    ] = None,
    cscv_blocks: Annotated[
        int | None, typer.Option("--cscv-blocks", min=2, help="Even number of PBO blocks (16).")
    ] = None,
    *,
    config: PortfolioConfig,
    rebalance: Annotated[str, typer.Option("--rebalance", help="Base schedule.")] = "weekly",
    lookback: Annotated[int, typer.Option("--lookback", min=2, help="Base lookback.")] = 365,
    fee_bps: Annotated[float, typer.Option("--fee-bps", min=0, help="Base commission.")] = 10.0,
    slippage: Annotated[
        str, typer.Option("--slippage", help="Base slippage: none, fixed:BPS, sqrt.")
    ] = "none",
    on_failure: Annotated[
        str,
        typer.Option("--on-failure", help="A strategy failing on a date: hold, cash or raise."),
    ] = "hold",
    initial_capital: Annotated[
        float, typer.Option("--initial-capital", min=0, help="Starting cash.")
    ] = 10_000.0,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Local processes (joblib/loky).")
    ] = 1,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            envvar="CRYPTOFOLIO_DASK_SCHEDULER",
            help="Dask scheduler address, e.g. tcp://scheduler:8786.",
        ),
    ] = None,
    dask_timeout: Annotated[
        float, typer.Option("--dask-timeout", min=0.1, help="Seconds to reach the scheduler.")
    ] = 10.0,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir", help="Keep results here (resumable); writes the JSON and CSV."
        ),
    ] = None,
    resume: Annotated[
        Path | None, typer.Option("--resume", help="Resume the sweep kept in this folder.")
    ] = None,
    output_format: Annotated[
        SweepFormat, typer.Option("--format", help="table (readable) or json.")
    ] = SweepFormat.TABLE,
    heatmap: Annotated[
        tuple[Path, str, str] | None,
        typer.Option("--heatmap", help="PATH PARAM1 PARAM2: PNG of OOS Sharpe over two params."),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the sweep's HTML report.")
    ] = None,
    plotly: PlotlyOpt = PlotlyJs.INLINE,
    max_minutes: Annotated[
        float, typer.Option("--max-minutes", min=0, help="Ask for --yes above this estimate.")
    ] = 10.0,
    yes: Annotated[
        bool, typer.Option("--yes", help="Run even a sweep estimated to be long.")
    ] = False,
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
    from cryptofolio.backtest import BacktestConfig
    from cryptofolio.backtest.sweep import SweepSpec, ValidationSpec
    from cryptofolio.data import to_panels

    if output_dir is not None and resume is not None:
        raise BacktestError("give --output-dir or --resume, not both")
    if resume is not None and not (resume / "sweep.json").exists():
        raise BacktestError(
            f"--resume {resume}: no sweep kept there (no sweep.json); start it with --output-dir"
        )
    store_dir = resume or output_dir
    pairs, sampling, validation_table = grid_from_options(param, grid)
    validation = dict(validation_table)
    for key, value in (
        ("folds", folds),
        ("test_groups", test_groups),
        ("embargo", embargo),
        ("cscv_blocks", cscv_blocks),
    ):
        if value is not None:
            validation[key] = value
    if cpcv:
        validation["method"] = "cpcv"
    kind, slip_bps = parse_slippage(slippage)
    try:
        base = BacktestConfig(
            rebalance=rebalance,
            lookback=lookback,
            initial_capital=initial_capital,
            costs=CostModel(fee_bps=fee_bps, slippage=kind, slippage_bps=slip_bps),
            start=start,
            end=end,
            on_failure=on_failure,
            periods_per_year=config.periods_per_year,
        )
    except ValueError as exc:
        raise BacktestError(f"{exc}; --on-failure is hold|cash|raise") from exc
    samples = sample if sample is not None else sampling.get("samples")
    spec = SweepSpec(
        pairs,
        backtest=base,
        portfolio=config,
        sampling="random" if samples is not None else sampling.get("method", "grid"),
        samples=samples,
        seed=seed if sample is not None else sampling.get("seed", seed),
        validation=ValidationSpec(**validation),
    )
    swept = [name for name, _ in spec.grid]
    if heatmap is not None:
        for name in heatmap[1:]:
            if name.replace("-", "_") not in swept:
                raise BacktestError(
                    f"--heatmap parameter {name!r} is not swept; choose two of: {', '.join(swept)}"
                )
    long = load_from_options(dataset, prices, assets, None, end, data_dir)
    panels = to_panels(long)
    result = _run_with_bar(
        spec,
        panels,
        workers=workers,
        dask=dask,
        output_dir=store_dir,
        dask_timeout=dask_timeout,
        budget=None if yes else max_minutes * 60,
    )
    _write_outputs(result, store_dir, heatmap, (report, plotly))
    if output_format is SweepFormat.JSON:
        typer.echo(json.dumps(result.to_json_dict(), indent=2))
        return
    console.print(sweep_rich_table(result))
    for _, row in result.failed.iterrows():
        console.print(f"[red]failed[/] {row['key']}: {row['error']}", highlight=False)
    console.print(result.verdict, highlight=False)


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
        (store_dir / "sweep_result.json").write_text(
            json.dumps(result.to_json_dict(), indent=2), encoding="utf-8"
        )
        result.configurations.to_csv(store_dir / "configurations.csv")
        err_console.print(f"results: {store_dir}")
    if heatmap is not None:
        from cryptofolio.report.sweep_report import plot_sweep_heatmap

        path, x, y = heatmap
        plot_sweep_heatmap(result, x.replace("-", "_"), y.replace("-", "_"), path)
        err_console.print(f"heatmap: {path}")
    if report[0] is not None:
        from cryptofolio.report.sweep_report import write_sweep_report

        err_console.print(f"report: {write_sweep_report(result, report[0], plotly=report[1])}")


def register(app: typer.Typer) -> None:
    """Add ``cryptofolio sweep`` to ``app``."""
    app.command("sweep")(sweep)
