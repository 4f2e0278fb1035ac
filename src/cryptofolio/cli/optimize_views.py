"""How ``optimize`` and ``frontier`` show their results: JSON records (the field names are a
contract), rich tables, the frontier picture, and library warnings as one line each."""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cryptofolio.estimate import BlackLittermanPosterior
from cryptofolio.optimize import EstimationInputs, Frontier, FrontierRun, PortfolioResult
from cryptofolio.optimize.resampled import ResampledFrontier

err_console = Console(stderr=True)


@contextmanager
def reported_warnings() -> Iterator[list[str]]:
    """Print library warnings (data quality, moved windows, cleaning, ill-conditioning) as one
    ``warning:`` line each on stderr; the list yielded holds the same texts once the block
    has ended, for the JSON output (``warnings``)."""
    texts: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield texts
        finally:
            for w in caught:
                if issubclass(w.category, DeprecationWarning):
                    continue
                text = str(w.message)
                if text not in texts:
                    texts.append(text)
                    err_console.print(f"[yellow]warning:[/] {escape(text)}", highlight=False)


def timestamp_text(ts: pd.Timestamp, index: pd.DatetimeIndex | None = None) -> str:
    """A date (``2024-01-31``) for daily data, an ISO timestamp for intraday data."""
    ts = pd.Timestamp(ts)
    daily = (index == index.normalize()).all() if index is not None else ts == ts.normalize()
    return str(ts.date()) if daily else ts.isoformat()


def spinner(text: str):
    return err_console.status(text, spinner="dots")


def portfolio_record(result: PortfolioResult, inputs: EstimationInputs) -> dict[str, Any]:
    """The JSON record of one portfolio (annualised figures as fractions; ``risk_contributions``,
    shares of the variance, for the objectives that report them: risk parity, hrp, herc)."""
    record: dict[str, Any] = {
        "objective": str(result.objective),
        "weights": {str(k): float(v) for k, v in result.weights.items()},
        "expected_return": float(result.expected_return),
        "volatility": float(result.volatility),
        "sharpe": float(result.sharpe),
        "start": timestamp_text(inputs.window.start, inputs.window.prices.index),
        "end": timestamp_text(inputs.window.end, inputs.window.prices.index),
        "n_observations": int(inputs.window.n_observations),
        "periods_per_year": float(inputs.periods_per_year),
    }
    if result.risk_contributions is not None:
        record["risk_contributions"] = {
            str(k): float(v) for k, v in result.risk_contributions.items()
        }
    return record


def weights_csv(weights: pd.Series) -> str:
    """``symbol,weight`` lines (header first), weights as exact float reprs."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["symbol", "weight"])
    for sym, w in weights.items():
        writer.writerow([sym, repr(float(w))])
    return buf.getvalue()


def _weights_table(weights: pd.Series, risk_contributions: pd.Series | None = None) -> Table:
    table = Table()
    table.add_column("asset")
    table.add_column("weight", justify="right")
    if risk_contributions is not None:
        table.add_column("risk contribution", justify="right")
    for sym, w in weights.sort_values(ascending=False).items():
        cells = [str(sym), f"{w:.2%}"]
        if risk_contributions is not None:
            cells.append(f"{risk_contributions[sym]:.2%}")
        table.add_row(*cells)
    return table


def print_portfolio(result: PortfolioResult, inputs: EstimationInputs, out: Console) -> None:
    """Readable summary of one portfolio: weights, then return/volatility/Sharpe and window."""
    out.print(f"[bold]{result.objective} portfolio[/]")
    out.print(_weights_table(result.weights, result.risk_contributions))
    out.print(
        f"expected return {result.expected_return:.2%} a year, volatility "
        f"{result.volatility:.2%} a year, Sharpe {result.sharpe:.2f} "
        f"(risk-free {result.risk_free_rate:.2%})",
        highlight=False,
    )
    out.print(
        f"window {timestamp_text(inputs.window.start)} to {timestamp_text(inputs.window.end)}, "
        f"{inputs.window.n_observations} returns, annualised with "
        f"{inputs.periods_per_year:g} periods a year",
        highlight=False,
    )


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
    from cryptofolio.report.plots import MarkedPortfolios, plot_efficient_frontier, save_figure

    window = run.inputs.window
    fig = plot_efficient_frontier(
        run.frontier,
        run.covariance,
        run.expected_returns,
        random=run.random,
        marked=MarkedPortfolios(
            run.min_variance,
            run.max_sharpe,
            run.max_sharpe.risk_free_rate if run.max_sharpe is not None else 0.0,
        ),
        title=title
        or f"Efficient frontier, {timestamp_text(window.start)} to {timestamp_text(window.end)} "
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
        f"window {timestamp_text(w.start)} to {timestamp_text(w.end)}, {w.n_observations} returns, "
        f"annualised with {run.inputs.periods_per_year:g} periods a year",
        highlight=False,
    )
    for note in run.notes:
        out.print(f"note: {note}", highlight=False, markup=False)


@contextmanager
def resampling_progress(total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr for ``total`` resamples; yields the ``progress`` callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "resampling", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err_console
    ) as bar:
        task = bar.add_task("", total=total)
        yield lambda done: bar.update(task, completed=done)


def _point_records(points: pd.DataFrame, weights: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "return": float(points["return"].iloc[i]),
            "volatility": float(points["volatility"].iloc[i]),
            "sharpe": float(points["sharpe"].iloc[i]),
            "weights": {str(k): float(v) for k, v in weights.iloc[i].items()},
        }
        for i in range(len(points))
    ]


def resampled_document(resampled: ResampledFrontier) -> dict[str, Any]:
    """``frontier --resample N --format json``: the classic points of the sample moments, the
    resampled (rank-averaged) points evaluated under them, and N."""
    return {
        "classic": _point_records(resampled.classic.points, resampled.classic.weights),
        "resampled": _point_records(resampled.points, resampled.weights),
        "resamples": int(resampled.resamples),
    }


def print_resampled(resampled: ResampledFrontier, out: Console) -> None:
    """The resampled frontier's points (annualised, under the window's sample moments)."""
    table = Table(title=f"Resampled frontier ({resampled.resamples} samples, averaged by rank)")
    for col in ("#", "return", "volatility", "sharpe", "largest weights"):
        table.add_column(col, justify="left" if col == "largest weights" else "right")
    for i in range(len(resampled.points)):
        row = resampled.points.iloc[i]
        top = resampled.weights.iloc[i].sort_values(ascending=False)
        top = top[top.abs() > 5e-4].head(4)
        table.add_row(
            str(i + 1),
            f"{row['return']:.2%}",
            f"{row['volatility']:.2%}",
            f"{row['sharpe']:.2f}",
            ", ".join(f"{k} {v:.0%}" for k, v in top.items()),
        )
    out.print(table)


def print_posterior(post: BlackLittermanPosterior, out: Console) -> None:
    """Black-Litterman: market weights, prior and posterior expected returns per asset."""
    table = Table(title=f"Black-Litterman (market risk aversion δ = {post.risk_aversion:.3g})")
    for col in ("asset", "market weight", "prior", "posterior"):
        table.add_column(col, justify="left" if col == "asset" else "right")
    for asset in post.mean.index:
        table.add_row(
            str(asset),
            f"{post.market_weights[asset]:.2%}",
            f"{post.prior[asset]:.2%}",
            f"{post.mean[asset]:.2%}",
        )
    out.print(table)
