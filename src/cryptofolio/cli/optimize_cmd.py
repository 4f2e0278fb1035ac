"""`cryptofolio optimize` and `cryptofolio frontier`: one optimised portfolio, or the efficient
frontier with a random-portfolio cloud, on a dataset or a price file.

The commands are a thin shell: load -> common window of the requested assets (ragged data:
the period where every asset has data) -> estimate -> optimise -> print (table/json/csv) and
optionally draw a PNG.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cryptofolio.cli.allocator_options import AllocatorOptions, with_allocator_options
from cryptofolio.cli.csv_output import echo_csv
from cryptofolio.cli.data_window import load_window
from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.optimize_views import (
    draw_frontier,
    frontier_records,
    portfolio_record,
    print_frontier,
    print_portfolio,
    print_posterior,
    print_resampled,
    reported_warnings,
    resampled_document,
    resampling_progress,
    spinner,
    timestamp_text,
    weights_csv,
)
from cryptofolio.cli.option_group import keyword_option, with_option_group
from cryptofolio.cli.options import DataOptions, with_data_options
from cryptofolio.cli.portfolio_options import PortfolioOption, with_portfolio_options
from cryptofolio.cli.security_cmd import ExcludePowRiskOpt
from cryptofolio.cli.solver_options import SolverChoice, with_solver_options
from cryptofolio.cli.solver_views import gradient_portfolio, print_convergence
from cryptofolio.cli.views_options import (
    ViewsOptions,
    posterior_record,
    views_posterior,
    with_views_options,
)
from cryptofolio.errors import DataError
from cryptofolio.estimate import RiskModel
from cryptofolio.optimize import (
    EstimationInputs,
    FrontierRun,
    PortfolioConfig,
    PortfolioResult,
    build_portfolio,
    cluster_tree,
    compute_frontier,
    estimate_moments,
    estimation_inputs,
)
from cryptofolio.optimize.resampled import Resampling, ResamplingMethod, resampled_frontier
from cryptofolio.output_paths import check_output_file

console = Console()
err_console = Console(stderr=True)

__all__: list[str] = [
    "DEMO_ASSETS",
    "EstimationInputs",
    "FrontierRun",
    "compute_frontier",
    "draw_frontier",
    "estimate_moments",
    "estimation_inputs",
    "frontier_records",
    "load_window",
    "portfolio_record",
    "register",
    "run_optimize_demo",
]

#: The large caps of the demo: long, gap-free history in the bundled coingecko-daily data up to
#: its last date (BNB's bogus pre-2017-10-30 prices and every missing day lie before the window).
DEMO_ASSETS: tuple[str, ...] = (
    "BTC",
    "ETH",
    "BNB",
    "XRP",
    "ADA",
    "SOL",
    "LTC",
    "LINK",
    "TRX",
    "BCH",
)
DEMO_START = "2020-06-01"
DEMO_END = "2023-11-30"


class OutputFormat(StrEnum):
    """Output formats of ``optimize``."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class FrontierFormat(StrEnum):
    """Output formats of ``frontier``."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", help="Output: table (readable), json, or csv (symbol,weight)."),
]
FrontierFormatOpt = Annotated[
    FrontierFormat,
    typer.Option(
        "--format",
        help="Output: table (readable), json (a list of points) or csv (one row per point: "
        "return, volatility, sharpe, weights.SYMBOL).",
    ),
]
PlotOpt = Annotated[Path | None, typer.Option("--plot", help="Write a PNG picture to this file.")]
DendrogramOpt = Annotated[
    Path | None,
    typer.Option(
        "--dendrogram",
        help="hrp/herc: write the cluster tree (dendrogram, distances, weights) as a PNG.",
    ),
]
PointsOpt = Annotated[
    int,
    typer.Option(
        "--points",
        min=2,
        max=10_000,
        help="Number of frontier points (min-variance to max-return).",
    ),
]
ResampleOpt = Annotated[
    int,
    typer.Option(
        "--resample",
        min=0,
        help="Michaud's resampled frontier from N samples of the window's sample moments, "
        "beside the classic one (0: none; 500 is usual).",
    ),
]
ResampleMethodOpt = Annotated[
    ResamplingMethod,
    typer.Option("--resample-method", help="Resampling: parametric (normal) or bootstrap."),
]
RandomOpt = Annotated[
    int,
    typer.Option(
        "--random", min=0, max=1_000_000, help="Random portfolios for the cloud (0: none)."
    ),
]


@dataclass(frozen=True)
class OptimizeOutputs:
    """Where ``optimize`` writes: stdout as a table, JSON or CSV, and the optional PNG pictures
    (the weights, the cluster tree of hrp/herc)."""

    output_format: OutputFormat = OutputFormat.TABLE
    plot: Path | None = None
    dendrogram: Path | None = None


with_optimize_outputs = with_option_group(
    "outputs",
    [
        keyword_option("output_format", FormatOpt, OutputFormat.TABLE),
        keyword_option("plot", PlotOpt, None),
        keyword_option("dendrogram", DendrogramOpt, None),
    ],
    lambda values: OptimizeOutputs(**values),
    what="output",
)


@handle_errors
@with_data_options
@with_portfolio_options()
@with_allocator_options
@with_solver_options()
@with_optimize_outputs
@with_views_options
def optimize(
    *,
    data: DataOptions,
    config: PortfolioConfig,
    allocator: AllocatorOptions,
    solver: SolverChoice,
    outputs: OptimizeOutputs,
    exclude_pow_risk: ExcludePowRiskOpt = False,
    black_litterman: ViewsOptions,
) -> None:
    """Optimise one portfolio on historical prices and print its weights and figures.

    The window is the period where every requested asset has data (within --start/--end);
    figures are annualised fractions (365 periods a year for daily data, 8760 for hourly).

    Examples:

      cryptofolio optimize --assets BTC,ETH,SOL,BNB --start 2022-01-01 --objective max-sharpe

      cryptofolio optimize --assets BTC,ETH,XRP,ADA --risk-model ledoit-wolf --max-weight 0.4 --format json

      cryptofolio optimize --assets BTC,ETH,LTC --start 2021-01-01 --min-weight -0.2 --gross-exposure 1.5 --bounds BTC=0.1:0.6 --plot weights.png

      cryptofolio optimize --prices my_prices.csv --objective efficient-return --target-return 0.3

      cryptofolio optimize --assets BTC,ETH,SOL --start 2023-01-01 --objective max-sharpe --expected-returns black-litterman --views examples/views.toml

      cryptofolio optimize --assets BTC,ETH,SOL,BNB,XRP --objective hrp --format json

      cryptofolio optimize --assets BTC,ETH,SOL,BNB --max-weight 0.4 --solver gradient --lr 0.05 --iterations 2000
    """
    fmt, plot, dendrogram = OutputFormat(outputs.output_format), outputs.plot, outputs.dendrogram
    if plot is not None:
        check_output_file(plot, "--plot")
    if dendrogram is not None:
        _check_dendrogram(dendrogram, config)
    config = allocator.apply(black_litterman.apply(config), [str(config.objective)])
    with reported_warnings() as warned:
        window = load_window(data)
        pow_risk = None
        if exclude_pow_risk:
            from cryptofolio.cli.security_cmd import optimize_pow_exclusions

            pow_risk = optimize_pow_exclusions(window.assets, window.end)
            if pow_risk:
                kept = ",".join(a for a in window.assets if a not in pow_risk)
                window = load_window(dataclasses.replace(data, assets=kept))
        inputs = estimation_inputs(window, config)
        if config.periods_per_year is None:
            config = _with_periods(config, inputs.periods_per_year)
        posterior = views_posterior(data, window, inputs, config)
        mu = None if posterior is None else posterior.mean
        convergence = None
        if solver.gradient is not None:
            result, convergence = gradient_portfolio(inputs, config, solver.gradient, mu)
        else:
            with spinner(f"optimising {len(window.assets)} assets ({config.objective})"):
                result = build_portfolio(window.prices, config, expected_returns=mu)
    if fmt is OutputFormat.JSON:
        record = portfolio_record(result, inputs)
        if posterior is not None:
            record["black_litterman"] = posterior_record(posterior)
        if convergence is not None:
            record["convergence"] = convergence
        record["warnings"] = list(warned)
        if pow_risk is not None:
            record["pow_risk"] = pow_risk.to_json_dict()
        typer.echo(json.dumps(record, indent=2))
    elif fmt is OutputFormat.CSV:
        typer.echo(weights_csv(result.weights), nl=False)
    else:
        print_portfolio(result, inputs, console)
        if posterior is not None:
            print_posterior(posterior, console)
        if convergence is not None:
            print_convergence(convergence, console)
    if pow_risk is not None and fmt is not OutputFormat.JSON:
        from cryptofolio.cli.security_cmd import print_pow_exclusions

        print_pow_exclusions(pow_risk, console if fmt is OutputFormat.TABLE else err_console)
    _write_pictures(result, inputs, config, plot, dendrogram)


def _check_dendrogram(path: Path, config: PortfolioConfig) -> None:
    if str(config.objective) not in ("hrp", "herc"):
        raise DataError(
            f"--dendrogram draws the cluster tree of hrp or herc, not of {config.objective}; "
            "add --objective hrp (or herc)"
        )
    check_output_file(path, "--dendrogram")


def _write_pictures(
    result: PortfolioResult,
    inputs: EstimationInputs,
    config: PortfolioConfig,
    plot: Path | None,
    dendrogram: Path | None,
) -> None:
    """The --plot weights picture and the --dendrogram cluster tree (paths on stderr)."""
    window = inputs.window
    when = f"{timestamp_text(window.start)} to {timestamp_text(window.end)}"
    if plot is not None:
        from cryptofolio.report.plots import plot_weights

        plot_weights(result.weights, title=f"{result.objective} weights, {when}", path=plot)
        err_console.print(f"picture written to {plot}", highlight=False, markup=False)
    if dendrogram is not None:
        from cryptofolio.report.dendrogram import plot_dendrogram

        tree = cluster_tree(inputs, config)
        title = f"{result.objective} cluster tree, {when}"
        plot_dendrogram(tree, weights=result.weights, title=title, path=dendrogram)
        err_console.print(f"dendrogram written to {dendrogram}", highlight=False, markup=False)


def _with_periods(config: PortfolioConfig, ppy: float) -> PortfolioConfig:
    return replace(config, periods_per_year=ppy)


@handle_errors
@with_data_options
@with_portfolio_options(
    exclude={
        PortfolioOption.OBJECTIVE,
        PortfolioOption.RISK_AVERSION,
        PortfolioOption.RISK_TOLERANCE,
        PortfolioOption.TARGET_RETURN,
        PortfolioOption.TARGET_VOLATILITY,
        PortfolioOption.CVAR_ALPHA,
    }
)
def frontier(
    *,
    data: DataOptions,
    config: PortfolioConfig,
    points: PointsOpt = 50,
    n_random: RandomOpt = 0,
    resample: ResampleOpt = 0,
    resample_method: ResampleMethodOpt = ResamplingMethod.PARAMETRIC,
    output_format: FrontierFormatOpt = FrontierFormat.TABLE,
    plot: PlotOpt = None,
) -> None:
    """Efficient frontier from the minimum-variance to the maximum-return portfolio.

    Prints return, volatility and Sharpe ratio of each point (annualised fractions) and, with
    --plot, draws the frontier, each asset, the min-variance and max-Sharpe portfolios and
    (with --random N) a cloud of N random portfolios coloured by Sharpe ratio.

    Examples:

      cryptofolio frontier --assets BTC,ETH,BNB,XRP,ADA --start 2021-01-01 --points 30 --random 5000 --plot frontier.png

      cryptofolio frontier --assets BTC,ETH,SOL --risk-model ledoit-wolf --max-weight 0.5 --format json

    JSON: {"classic": [points], "warnings": [...], "notes": [...]}.

    With --resample N: Michaud's resampled frontier (N draws of the window's sample mean and
    covariance, each frontier re-solved, the portfolios averaged by rank), printed after the
    classic one; JSON adds "resampled": [points] and "resamples": N; --plot
    draws both frontiers and the resampled weights by rank (seeded: the same run repeats).

      cryptofolio frontier --assets BTC,ETH,BNB,XRP,ADA --start 2021-01-01 --resample 500 --plot resampled.png
    """
    fmt = FrontierFormat(output_format)
    resampled = None
    if plot is not None:
        check_output_file(plot, "--plot")
    with reported_warnings() as warned:
        window = load_window(data)
        with spinner(f"computing a {points}-point frontier of {len(window.assets)} assets"):
            run = compute_frontier(window, config, points=points, n_random=n_random)
        if resample:
            with resampling_progress(resample) as advance:
                resampled = resampled_frontier(
                    run.inputs.returns,
                    Resampling(resample, points, resample_method, seed=0),
                    constraints=config.constraints,
                    periods_per_year=run.inputs.periods_per_year,
                    risk_free_rate=config.risk_free_rate,
                    progress=advance,
                )
    if fmt is FrontierFormat.CSV:
        if resampled is None:
            echo_csv(frontier_records(run.frontier))
        else:  # both frontiers, told apart by the first column
            doc = resampled_document(resampled)
            echo_csv(
                {"frontier": name, **point}
                for name in ("classic", "resampled")
                for point in doc[name]
            )
    elif fmt is FrontierFormat.JSON:
        if resampled is None:
            doc: dict = {"classic": frontier_records(run.frontier)}
        else:
            doc = resampled_document(resampled)
        doc["warnings"] = list(warned)  # what stderr said, and the table's notes
        doc["notes"] = list(run.notes)
        typer.echo(json.dumps(doc, indent=2))
    else:
        print_frontier(run, console)
        if resampled is not None:
            print_resampled(resampled, console)
    if plot is not None:
        if resampled is not None:
            from cryptofolio.report.resampled_frontier import plot_resampled_frontier

            plot_resampled_frontier(resampled, path=plot)
            written = plot
        else:
            written = draw_frontier(run, plot)
        err_console.print(f"picture written to {written}", highlight=False, markup=False)


def run_optimize_demo(
    out_dir: Path | str,
    *,
    out: Console | None = None,
    points: int = 40,
    n_random: int = 3000,
) -> Path:
    """Demo of the estimate/optimize stages on the bundled ``coingecko-daily`` data.

    Prints the long-only minimum-variance and maximum-Sharpe portfolios of the large caps
    (:data:`DEMO_ASSETS`, window :data:`DEMO_START` to :data:`DEMO_END`, Ledoit-Wolf covariance,
    mean returns, 365 days a year) and writes ``efficient_frontier.png`` into ``out_dir``.

    Returns
    -------
    pathlib.Path
        The PNG written.
    """
    out = out or console
    config = PortfolioConfig(risk_model=RiskModel.LEDOIT_WOLF)
    with reported_warnings():
        demo_data = DataOptions(
            "coingecko-daily", None, ",".join(DEMO_ASSETS), DEMO_START, DEMO_END
        )
        window = load_window(demo_data)
        run = compute_frontier(window, config, points=points, n_random=n_random)
    for result in (run.min_variance, run.max_sharpe):
        if result is not None:
            print_portfolio(result, run.inputs, out)
    for note in run.notes:
        out.print(f"note: {note}", highlight=False, markup=False)
    path = draw_frontier(
        run,
        Path(out_dir) / "efficient_frontier.png",
        title=f"Large caps, {DEMO_START} to {DEMO_END} (Ledoit-Wolf, long-only)",
    )
    out.print(f"frontier picture: {path}", highlight=False, markup=False)
    return path


def register(app: typer.Typer) -> None:
    """Add ``optimize`` and ``frontier`` to ``app``."""
    app.command("optimize")(optimize)
    app.command("frontier")(frontier)
