"""`cryptofolio optimize` and `cryptofolio frontier`: one optimised portfolio, or the efficient
frontier with a random-portfolio cloud, on a dataset or a price file.

The commands are a thin shell: load -> common window of the requested assets (ragged data:
the period where every asset has data) -> estimate -> optimise -> print (table/json/csv) and
optionally draw a PNG.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
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
from cryptofolio.cli.portfolio_options import PortfolioOption, with_portfolio_options
from cryptofolio.cli.security_cmd import ExcludePowRiskOpt
from cryptofolio.data import parse_symbols, to_panels
from cryptofolio.errors import CryptofolioError, DataError
from cryptofolio.estimate import (
    RiskModel,
    Window,
    common_window,
    expected_returns,
    infer_periods_per_year,
    returns_from_prices,
    risk_matrix,
)
from cryptofolio.optimize import (
    Constraints,
    Frontier,
    Objective,
    PortfolioConfig,
    PortfolioResult,
    build_portfolio,
    efficient_frontier,
    optimize_portfolio,
    random_portfolios,
)

console = Console()
err_console = Console(stderr=True)

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


FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", help="Output: table (readable), json, or csv (symbol,weight)."),
]
FrontierFormatOpt = Annotated[
    FrontierFormat,
    typer.Option("--format", help="Output: table (readable) or json (a list of points)."),
]
PlotOpt = Annotated[Path | None, typer.Option("--plot", help="Write a PNG picture to this file.")]
PointsOpt = Annotated[
    int,
    typer.Option("--points", min=2, help="Number of frontier points (min-variance to max-return)."),
]
RandomOpt = Annotated[
    int,
    typer.Option("--random", min=0, help="Random portfolios for the cloud (0: none)."),
]


# ----------------------------------------------------------------------------------------
# shared plumbing
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EstimationInputs:
    """What the commands estimate from: the window, its periodic returns and the
    annualisation factor actually used."""

    window: Window
    returns: pd.DataFrame
    periods_per_year: float


def load_window(
    dataset: str | None,
    prices: Path | None,
    assets: str | None,
    start: str | None,
    end: str | None,
    data_dir: Path | None = None,
) -> Window:
    """Load the data the options describe and cut the common window of the requested assets
    (default: every asset in the data). Nothing is filled."""
    long = load_from_options(dataset, prices, assets, start, end, data_dir)
    close = to_panels(long).close
    return common_window(close, parse_symbols(assets), start, end)


def estimation_inputs(window: Window, config: PortfolioConfig) -> EstimationInputs:
    """Periodic returns of ``window`` and the annualisation factor (given or inferred)."""
    ppy = config.periods_per_year or infer_periods_per_year(window.prices.index)
    if ppy <= 0:
        raise DataError(f"--periods-per-year must be positive, got {ppy}")
    returns = returns_from_prices(window.prices, config.returns_kind)
    return EstimationInputs(window=window, returns=returns, periods_per_year=float(ppy))


def estimate_moments(
    inputs: EstimationInputs, config: PortfolioConfig
) -> tuple[pd.DataFrame, pd.Series]:
    """Annualised covariance and expected returns with the configured estimators."""
    cov = risk_matrix(inputs.returns, config.risk_model, periods_per_year=inputs.periods_per_year)
    mu = expected_returns(
        inputs.returns,
        config.expected_returns,
        periods_per_year=inputs.periods_per_year,
        kind=config.returns_kind,
    )
    return cov, mu


@contextmanager
def reported_warnings() -> Iterator[None]:
    """Print library warnings (ill-conditioning, repairs) as one ``warning:`` line each on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen: set[str] = set()
            for w in caught:
                if issubclass(w.category, DeprecationWarning):
                    continue
                text = str(w.message)
                if text not in seen:
                    seen.add(text)
                    err_console.print(f"[yellow]warning:[/] {text}", highlight=False)


def _timestamp(ts: pd.Timestamp, index: pd.DatetimeIndex | None = None) -> str:
    """A date (``2024-01-31``) for daily data, an ISO timestamp for intraday data."""
    ts = pd.Timestamp(ts)
    daily = (index == index.normalize()).all() if index is not None else ts == ts.normalize()
    return str(ts.date()) if daily else ts.isoformat()


def _spinner(text: str):
    return err_console.status(text, spinner="dots")


# ----------------------------------------------------------------------------------------
# optimize
# ----------------------------------------------------------------------------------------


def portfolio_record(result: PortfolioResult, inputs: EstimationInputs) -> dict[str, Any]:
    """The JSON record of one portfolio (annualised figures as fractions)."""
    return {
        "objective": str(result.objective),
        "weights": {str(k): float(v) for k, v in result.weights.items()},
        "expected_return": float(result.expected_return),
        "volatility": float(result.volatility),
        "sharpe": float(result.sharpe),
        "start": _timestamp(inputs.window.start, inputs.window.prices.index),
        "end": _timestamp(inputs.window.end, inputs.window.prices.index),
        "n_observations": int(inputs.window.n_observations),
        "periods_per_year": float(inputs.periods_per_year),
    }


def _weights_table(weights: pd.Series) -> Table:
    table = Table()
    table.add_column("asset")
    table.add_column("weight", justify="right")
    for sym, w in weights.sort_values(ascending=False).items():
        table.add_row(str(sym), f"{w:.2%}")
    return table


def print_portfolio(result: PortfolioResult, inputs: EstimationInputs, out: Console) -> None:
    """Readable summary of one portfolio: weights, then return/volatility/Sharpe and window."""
    out.print(f"[bold]{result.objective} portfolio[/]")
    out.print(_weights_table(result.weights))
    out.print(
        f"expected return {result.expected_return:.2%} a year, volatility "
        f"{result.volatility:.2%} a year, Sharpe {result.sharpe:.2f} "
        f"(risk-free {result.risk_free_rate:.2%})",
        highlight=False,
    )
    out.print(
        f"window {_timestamp(inputs.window.start)} to {_timestamp(inputs.window.end)}, "
        f"{inputs.window.n_observations} returns, annualised with "
        f"{inputs.periods_per_year:g} periods a year",
        highlight=False,
    )


@handle_errors
@with_portfolio_options()
def optimize(
    dataset: DatasetOpt = None,
    prices: PricesOpt = None,
    assets: AssetsOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    data_dir: DataDirOpt = None,
    *,
    config: PortfolioConfig,
    output_format: FormatOpt = OutputFormat.TABLE,
    plot: PlotOpt = None,
    exclude_pow_risk: ExcludePowRiskOpt = False,
) -> None:
    """Optimise one portfolio on historical prices and print its weights and figures.

    The window is the period where every requested asset has data (within --start/--end);
    figures are annualised fractions (365 periods a year for daily data, 8760 for hourly).

    Examples:

      cryptofolio optimize --assets BTC,ETH,SOL,BNB --start 2022-01-01 --objective max-sharpe

      cryptofolio optimize --assets BTC,ETH,XRP,ADA --risk-model ledoit-wolf --max-weight 0.4 --format json

      cryptofolio optimize --assets BTC,ETH,LTC --min-weight -0.2 --gross-exposure 1.5 --bounds BTC=0.1:0.6 --plot weights.png

      cryptofolio optimize --prices my_prices.csv --objective efficient-return --target-return 0.3
    """
    fmt = OutputFormat(output_format)
    with reported_warnings():
        window = load_window(dataset, prices, assets, start, end, data_dir)
        pow_risk = None
        if exclude_pow_risk:
            from cryptofolio.cli.security_cmd import optimize_pow_exclusions

            pow_risk = optimize_pow_exclusions(window.assets, window.end)
            kept = ",".join(a for a in window.assets if a not in pow_risk)
            window = (
                load_window(dataset, prices, kept, start, end, data_dir) if pow_risk else window
            )
        inputs = estimation_inputs(window, config)
        if config.periods_per_year is None:
            config = _with_periods(config, inputs.periods_per_year)
        with _spinner(f"optimising {len(window.assets)} assets ({config.objective})"):
            result = build_portfolio(window.prices, config)
    if fmt is OutputFormat.JSON:
        record = portfolio_record(result, inputs)
        if pow_risk is not None:
            record["pow_risk"] = pow_risk.to_json_dict()
        typer.echo(json.dumps(record, indent=2))
    elif fmt is OutputFormat.CSV:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["symbol", "weight"])
        for sym, w in result.weights.items():
            writer.writerow([sym, repr(float(w))])
        typer.echo(buf.getvalue(), nl=False)
    else:
        print_portfolio(result, inputs, console)
    if pow_risk is not None and fmt is not OutputFormat.JSON:
        from cryptofolio.cli.security_cmd import print_pow_exclusions

        print_pow_exclusions(pow_risk, console if fmt is OutputFormat.TABLE else err_console)
    if plot is not None:
        from cryptofolio.report.plots import plot_weights

        plot_weights(
            result.weights,
            title=f"{result.objective} weights, {_timestamp(window.start)} to {_timestamp(window.end)}",
            path=plot,
        )
        err_console.print(f"picture written to {plot}", highlight=False)


def _with_periods(config: PortfolioConfig, ppy: float) -> PortfolioConfig:
    return replace(config, periods_per_year=ppy)


# ----------------------------------------------------------------------------------------
# frontier
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrontierRun:
    """Everything the frontier command computes (annualised fractions)."""

    inputs: EstimationInputs
    covariance: pd.DataFrame
    expected_returns: pd.Series
    frontier: Frontier
    random: pd.DataFrame | None
    min_variance: PortfolioResult | None
    max_sharpe: PortfolioResult | None
    notes: tuple[str, ...] = ()


def compute_frontier(
    window: Window,
    config: PortfolioConfig,
    *,
    points: int = 50,
    n_random: int = 0,
    seed: int | None = 0,
) -> FrontierRun:
    """Estimate on ``window`` and compute the frontier, the min-variance and max-Sharpe
    portfolios (under ``config.constraints``) and ``n_random`` random portfolios."""
    inputs = estimation_inputs(window, config)
    cov, mu = estimate_moments(inputs, config)
    constraints: Constraints = config.constraints
    frontier = efficient_frontier(
        cov, mu, points=points, constraints=constraints, risk_free_rate=config.risk_free_rate
    )
    common = dict(
        constraints=constraints,
        risk_free_rate=config.risk_free_rate,
        periods_per_year=inputs.periods_per_year,
    )
    notes: list[str] = []
    min_var = optimize_portfolio(cov, mu, objective=Objective.MIN_VARIANCE, **common)
    try:
        max_sharpe = optimize_portfolio(cov, mu, objective=Objective.MAX_SHARPE, **common)
    except CryptofolioError as exc:  # e.g. no asset above the risk-free rate: say so, go on
        max_sharpe = None
        notes.append(f"no max-Sharpe portfolio: {exc}")
    cloud = None
    if n_random > 0:
        cloud = random_portfolios(
            cov,
            mu,
            n_random,
            allow_shorts=_allows_shorts(constraints),
            risk_free_rate=config.risk_free_rate,
            seed=seed,
        )
    return FrontierRun(inputs, cov, mu, frontier, cloud, min_var, max_sharpe, tuple(notes))


def _allows_shorts(constraints: Constraints) -> bool:
    lows = [constraints.min_weight] + [lo for lo, _ in constraints.bounds.values() if lo == lo]
    return min(lows) < 0


def frontier_records(frontier: Frontier) -> list[dict[str, Any]]:
    """The JSON list of frontier points: return, volatility, sharpe, weights per point."""
    out = []
    for i in range(len(frontier.points)):
        row = frontier.points.iloc[i]
        weights = frontier.weights.iloc[i]
        out.append(
            {
                "return": float(row["return"]),
                "volatility": float(row["volatility"]),
                "sharpe": float(row["sharpe"]),
                "weights": {str(k): float(v) for k, v in weights.items()},
            }
        )
    return out


def draw_frontier(run: FrontierRun, path: Path | str, title: str | None = None) -> Path:
    """Write the frontier picture of ``run`` (assets, cloud, marked portfolios) to ``path``."""
    from cryptofolio.report.plots import plot_efficient_frontier, save_figure

    window = run.inputs.window
    fig = plot_efficient_frontier(
        run.frontier,
        run.covariance,
        run.expected_returns,
        random=run.random,
        min_variance=run.min_variance,
        max_sharpe=run.max_sharpe,
        risk_free_rate=run.max_sharpe.risk_free_rate if run.max_sharpe is not None else 0.0,
        title=title
        or f"Efficient frontier, {_timestamp(window.start)} to {_timestamp(window.end)} "
        f"({window.n_observations} returns)",
    )
    return save_figure(fig, path)


def print_frontier(run: FrontierRun, out: Console) -> None:
    table = Table(title=f"Efficient frontier ({len(run.frontier.points)} points)")
    for col in ("#", "return", "volatility", "sharpe", "largest weights"):
        table.add_column(col, justify="left" if col == "largest weights" else "right")
    for i in range(len(run.frontier.points)):
        row = run.frontier.points.iloc[i]
        top = run.frontier.weights.iloc[i].sort_values(ascending=False)
        top = top[top.abs() > 5e-4].head(4)
        table.add_row(
            str(i + 1),
            f"{row['return']:.2%}",
            f"{row['volatility']:.2%}",
            f"{row['sharpe']:.2f}",
            ", ".join(f"{k} {v:.0%}" for k, v in top.items()),
        )
    out.print(table)
    w = run.inputs.window
    out.print(
        f"window {_timestamp(w.start)} to {_timestamp(w.end)}, {w.n_observations} returns, "
        f"annualised with {run.inputs.periods_per_year:g} periods a year",
        highlight=False,
    )
    for note in run.notes:
        out.print(f"note: {note}", highlight=False)


@handle_errors
@with_portfolio_options(
    exclude={
        PortfolioOption.OBJECTIVE,
        PortfolioOption.RISK_AVERSION,
        PortfolioOption.TARGET_RETURN,
        PortfolioOption.TARGET_VOLATILITY,
        PortfolioOption.CVAR_ALPHA,
    }
)
def frontier(
    dataset: DatasetOpt = None,
    prices: PricesOpt = None,
    assets: AssetsOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    data_dir: DataDirOpt = None,
    *,
    config: PortfolioConfig,
    points: PointsOpt = 50,
    n_random: RandomOpt = 0,
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
    """
    fmt = FrontierFormat(output_format)
    with reported_warnings():
        window = load_window(dataset, prices, assets, start, end, data_dir)
        with _spinner(f"computing a {points}-point frontier of {len(window.assets)} assets"):
            run = compute_frontier(window, config, points=points, n_random=n_random)
    if fmt is FrontierFormat.JSON:
        typer.echo(json.dumps(frontier_records(run.frontier), indent=2))
    else:
        print_frontier(run, console)
    if plot is not None:
        written = draw_frontier(run, plot)
        err_console.print(f"picture written to {written}", highlight=False)


# ----------------------------------------------------------------------------------------
# demo
# ----------------------------------------------------------------------------------------


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
        window = load_window(
            "coingecko-daily", None, ",".join(DEMO_ASSETS), DEMO_START, DEMO_END, None
        )
        run = compute_frontier(window, config, points=points, n_random=n_random)
    for result in (run.min_variance, run.max_sharpe):
        if result is not None:
            print_portfolio(result, run.inputs, out)
    for note in run.notes:
        out.print(f"note: {note}", highlight=False)
    path = draw_frontier(
        run,
        Path(out_dir) / "efficient_frontier.png",
        title=f"Large caps, {DEMO_START} to {DEMO_END} (Ledoit-Wolf, long-only)",
    )
    out.print(f"frontier picture: {path}", highlight=False)
    return path


def register(app: typer.Typer) -> None:
    """Add ``optimize`` and ``frontier`` to ``app``."""
    app.command("optimize")(optimize)
    app.command("frontier")(frontier)


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
