"""How ``cryptofolio optimize --solver gradient`` runs and shows the gradient engine: a progress
bar (the library reports its iterations through a callback) and the convergence report as a
table (the ``convergence`` JSON record is the library's
:func:`~cryptofolio.optimize.gradient.config.convergence_report`)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cryptofolio.optimize import EstimationInputs, PortfolioConfig, PortfolioResult
from cryptofolio.optimize.gradient import GradientSpec

err_console = Console(stderr=True)


def gradient_portfolio(
    inputs: EstimationInputs,
    config: PortfolioConfig,
    spec: GradientSpec,
    expected_returns: pd.Series | None = None,
) -> tuple[PortfolioResult, dict[str, Any]]:
    """Optimise the window of ``inputs`` with ``config`` on the gradient engine under a
    progress bar (``expected_returns``: views replacing the estimate): the portfolio, and its convergence report (JSON-ready: the fields of
    :func:`~cryptofolio.optimize.gradient.config.convergence_report`). A non-converged answer
    raises :class:`~cryptofolio.errors.SolverError` in the library; it is never returned."""
    from cryptofolio.optimize.gradient.config import (  # needs torch: imported when asked for
        build_gradient_portfolio,
        convergence_report,
        portfolio_result,
    )

    columns = (
        TextColumn(
            f"[bold]optimising {len(inputs.window.assets)} assets ({config.objective}), gradient"
        ),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("iterations"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("descent", total=spec.iterations)

        def on_check(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        portfolio = build_gradient_portfolio(
            inputs, config, spec, expected_returns=expected_returns, progress=on_check
        )
    return portfolio_result(portfolio, config.objective), convergence_report(portfolio, spec)


def print_convergence(report: dict[str, Any], out: Console) -> None:
    """The gradient engine's convergence report: iterations, residual against tolerance, the
    KKT-style residuals and the gap to the exact optimiser."""
    table = Table(title="gradient solver: convergence")
    table.add_column("check")
    table.add_column("value", justify="right")
    table.add_row(
        "converged",
        f"{'yes' if report['converged'] else 'NO'}, {report['iterations']} of "
        f"{report['max_iterations']} iterations",
    )
    table.add_row("first-order residual", f"{report['residual']:.2e} (tol {report['tol']:g})")
    for name, value in report["first_order"].items():
        if name != "projected_gradient":
            table.add_row(f"  {name.replace('_', ' ')}", f"{value:.2e}")
    gap = report["exact_gap"]
    table.add_row(
        "objective gap to the exact solver",
        "n/a (no exact counterpart)" if gap is None else f"{gap:.2e}",
    )
    out.print(table)
    out.print(
        f"{report['method']} on {report['device']}, learning rate {report['lr']:g}",
        highlight=False,
    )
