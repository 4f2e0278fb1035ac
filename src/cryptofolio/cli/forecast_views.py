"""How ``cryptofolio forecast ...`` shows its work: the training progress bar and summary, the
forecast table, the evaluation table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cryptofolio.forecast.config import ForecastSpec

console = Console()
err_console = Console(stderr=True)


def train_with_progress(panels: Any, spec: ForecastSpec, assets: list[str] | None) -> Any:
    from cryptofolio.forecast import supported_features
    from cryptofolio.forecast.training import train_forecaster

    _, reasons = supported_features(panels)
    for feat, why in reasons.items():
        err_console.print(f"[dim]feature {feat} not used: {escape(str(why))}[/]", highlight=False)
    columns = (
        TextColumn("[bold]training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task("train", total=spec.train.epochs, info="")

        def on_epoch(log: Any) -> None:
            mark = " *" if log.improved else ""
            progress.update(
                task,
                advance=1,
                info=f"epoch {log.epoch}: train {log.train_loss:.4f} val {log.val_loss:.4f}{mark}",
            )

        model = train_forecaster(panels, spec, assets=assets, on_epoch=on_epoch)
        progress.update(task, total=len(model.report.epochs))
    return model


def print_training(model: Any, model_dir: Path) -> None:
    """What was trained, on which windows, the best epoch, and where it was saved."""
    rep = model.report
    console.print(
        f"trained on {', '.join(model.assets)} with features "
        f"{', '.join(map(str, model.features))} (lookback {model.lookback}) on {rep.device}: "
        f"{rep.n_train} training / {rep.n_val} validation windows, best epoch "
        f"{rep.best_epoch} of {len(rep.epochs)} (validation loss {rep.best_val_loss:.4f})",
        highlight=False,
    )
    if rep.skipped_gap_periods:
        gaps = ", ".join(f"{a}: {n}" for a, n in rep.skipped_gap_periods.items())
        console.print(f"windows touching missing periods were left out ({gaps})")
    console.print(
        f"saved to {model_dir} (validation data ends {rep.val_end})", highlight=False, markup=False
    )


def print_forecast(fc: Any) -> None:
    """The next-period forecast of each asset with its interval and annualised mean."""
    t = fc.table
    table = Table(title=f"next-period forecast after {fc.asof} ({fc.level:.0%} interval)")
    for col in ("asset", "mean", f"{fc.level:.0%} low", f"{fc.level:.0%} high", "annualised"):
        table.add_column(col, justify="right" if col != "asset" else "left")
    for asset, row in t.iterrows():
        table.add_row(
            str(asset),
            f"{row['expected']:+.3%}",
            f"{row['lower']:+.2%}",
            f"{row['upper']:+.2%}",
            f"{row['expected_annual']:+.1%}",
        )
    console.print(table)


def _cell(value: float, fmt: str) -> str:
    return "-" if value != value else format(value, fmt)


def print_evaluation(report: Any, model: Any) -> None:
    """Out-of-sample scores of the model and the naive forecasts, interval coverage."""
    console.print(
        f"out of sample: {report.n_forecasts} forecasts of {len(report.assets)} assets, "
        f"decisions {report.start} to {report.end} (model validated up to "
        f"{model.report.val_end}); log returns per period",
        highlight=False,
    )
    table = Table(title="forecast accuracy")
    for col in ("forecast", "RMSE", "MAE", "directional acc.", "rank IC", "rank IC t"):
        table.add_column(col, justify="left" if col == "forecast" else "right")
    for name, row in report.metrics.iterrows():
        table.add_row(
            str(name),
            f"{row['rmse']:.5f}",
            f"{row['mae']:.5f}",
            _cell(row["directional_accuracy"], ".1%"),
            _cell(row["rank_ic"], "+.4f"),
            _cell(row["rank_ic_t"], "+.2f"),
        )
    console.print(table)
    console.print(
        f"{report.level:.0%} interval coverage: {report.coverage:.1%} (mean width "
        f"{report.mean_interval_width:.4f} in log return); rank IC over {report.n_ic_dates} "
        "dates",
        highlight=False,
    )
    if report.incomplete_windows:
        console.print(f"{report.incomplete_windows} windows with missing data were not scored")
