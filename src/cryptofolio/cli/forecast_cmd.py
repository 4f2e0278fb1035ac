"""``cryptofolio forecast ...``: train, predict and evaluate the LSTM-attention forecaster.

Needs the optional PyTorch extra (``pip install "cryptofolio[forecast]"``); without it each
command prints one clear error line.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.option_group import install_option_group
from cryptofolio.cli.options import (
    AssetsOpt,
    DataDirOpt,
    DatasetOpt,
    EndOpt,
    PricesOpt,
    StartOpt,
    load_from_options,
)
from cryptofolio.errors import ForecastError
from cryptofolio.forecast.config import (
    Feature,
    FeatureConfig,
    ForecastSpec,
    GapPolicy,
    HeadKind,
    ModelConfig,
    TrainConfig,
)

forecast_app = typer.Typer(
    name="forecast",
    help=(
        "Return forecasts with an LSTM-attention network (needs the forecast extra): train, "
        "predict, evaluate out of sample."
    ),
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


ModelDirOpt = Annotated[
    Path, typer.Option("--model-dir", help="Folder of the saved model (weights + config).")
]
LookbackOpt = Annotated[int, typer.Option("--lookback", help="Window length in periods.")]
EpochsOpt = Annotated[int, typer.Option("--epochs", help="Maximum training epochs.")]
HiddenOpt = Annotated[
    str, typer.Option("--hidden", help="LSTM layer sizes, first to last, e.g. 128,64.")
]
DropoutOpt = Annotated[float, typer.Option("--dropout", help="Dropout rate.")]
HeadOpt = Annotated[
    HeadKind, typer.Option("--head", help="gaussian (mean + variance) or quantile heads.")
]
EmbeddingOpt = Annotated[
    int, typer.Option("--asset-embedding", help="Size of a per-asset embedding (0 = none).")
]
FeaturesOpt = Annotated[
    str | None,
    typer.Option(
        "--features",
        help="Comma-separated features (log-return,high-low-range,volume-change); "
        "default every one the data supports.",
    ),
]
BatchOpt = Annotated[int, typer.Option("--batch-size", help="Training batch size.")]
LrOpt = Annotated[float, typer.Option("--learning-rate", help="Adam learning rate.")]
ValOpt = Annotated[
    float,
    typer.Option("--validation-fraction", help="Latest share of dates held out for early stop."),
]
PatienceOpt = Annotated[int, typer.Option("--patience", help="Early-stopping patience (epochs).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (reproducible training).")]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto (CUDA if available), cpu, cuda.")]
SkipGapsOpt = Annotated[
    bool,
    typer.Option(
        "--skip-gaps",
        help="Leave out windows that touch missing data inside an asset's history "
        "(default: stop with an error naming them).",
    ),
]
StrideOpt = Annotated[int, typer.Option("--stride", help="Train on every k-th window.")]
ThreadsOpt = Annotated[int, typer.Option("--threads", help="PyTorch CPU threads.")]
LevelOpt = Annotated[
    float, typer.Option("--level", help="Confidence level of the interval (0.9 = 90%).")
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table or json.")]


def _spec(
    *,
    lookback: int,
    epochs: int,
    hidden: str,
    dropout: float,
    head: HeadKind,
    asset_embedding: int,
    features: str | None,
    batch_size: int,
    learning_rate: float,
    validation_fraction: float,
    patience: int,
    seed: int,
    device: str,
    skip_gaps: bool,
    stride: int,
    threads: int,
) -> ForecastSpec:
    try:
        sizes = tuple(int(h) for h in hidden.split(",") if h.strip())
    except ValueError as exc:
        raise ForecastError(
            f"cannot parse --hidden {hidden!r}; expected sizes like 128,64"
        ) from exc
    feats = None
    if features:
        names = [f.strip() for f in features.split(",") if f.strip()]
        known = {f.value for f in Feature}
        bad = [n for n in names if n not in known]
        if bad:
            raise ForecastError(
                f"unknown feature(s) {', '.join(bad)}; choose from {', '.join(sorted(known))}"
            )
        feats = tuple(Feature(n) for n in names)
    return ForecastSpec(
        features=FeatureConfig(lookback=lookback, features=feats),
        model=ModelConfig(
            hidden_sizes=sizes, dropout=dropout, head=head, asset_embedding_dim=asset_embedding
        ),
        train=TrainConfig(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            validation_fraction=validation_fraction,
            patience=patience,
            seed=seed,
            device=device,
            gap_policy=GapPolicy.SKIP if skip_gaps else GapPolicy.RAISE,
            sample_stride=stride,
            threads=threads,
        ),
    )


@dataclass(frozen=True)
class TrainingOptions:
    """The training options shared by ``forecast train`` and ``forecast evaluate``, as given on
    the command line: a field is the parameter name of one option, its default the option's
    default (see :data:`_TRAINING_OPTION_TYPES` for the flags and help texts)."""

    lookback: int = 60
    epochs: int = 30
    hidden: str = "128,64"
    dropout: float = 0.2
    head: HeadKind = HeadKind.GAUSSIAN
    asset_embedding: int = 0
    features: str | None = None
    batch_size: int = 128
    learning_rate: float = 1e-3
    validation_fraction: float = 0.2
    patience: int = 5
    seed: int = 0
    device: str = "auto"
    skip_gaps: bool = False
    stride: int = 1
    threads: int = 1

    def spec(self) -> ForecastSpec:
        """The :class:`ForecastSpec` these options describe (see :func:`_spec`)."""
        return _spec(**dataclasses.asdict(self))


#: The typer alias (flag and help text) of each field of :class:`TrainingOptions`.
_TRAINING_OPTION_TYPES: dict[str, Any] = {
    "lookback": LookbackOpt,
    "epochs": EpochsOpt,
    "hidden": HiddenOpt,
    "dropout": DropoutOpt,
    "head": HeadOpt,
    "asset_embedding": EmbeddingOpt,
    "features": FeaturesOpt,
    "batch_size": BatchOpt,
    "learning_rate": LrOpt,
    "validation_fraction": ValOpt,
    "patience": PatienceOpt,
    "seed": SeedOpt,
    "device": DeviceOpt,
    "skip_gaps": SkipGapsOpt,
    "stride": StrideOpt,
    "threads": ThreadsOpt,
}


def with_training_options(func: F) -> F:
    """Give a typer command the training options and pass it the :class:`TrainingOptions`.

    The command declares a keyword-only parameter ``training: TrainingOptions`` (no default)
    where the options belong in its ``--help``. The signature typer reads has the options
    there instead, in field order, with the flags and help texts of
    :data:`_TRAINING_OPTION_TYPES` and the defaults of :class:`TrainingOptions`; on a call
    (by keyword, as typer calls) their values reach the command as one ``training`` argument,
    an option not passed keeping its default. Put
    :func:`~cryptofolio.cli.errors.handle_errors` above this decorator.

    Raises
    ------
    TypeError
        At decoration: the command has no keyword-only ``training`` parameter.
    """
    options = [
        inspect.Parameter(
            field.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=field.default,
            annotation=_TRAINING_OPTION_TYPES[field.name],
        )
        for field in dataclasses.fields(TrainingOptions)
    ]
    return install_option_group(
        func,
        name="training",
        options=options,
        build=lambda values: TrainingOptions(**values),
        declare="*, training: TrainingOptions",
        what="training",
    )


def _train_with_progress(panels: Any, spec: ForecastSpec, assets: list[str] | None) -> Any:
    from cryptofolio.forecast import supported_features
    from cryptofolio.forecast.training import train_forecaster

    _, reasons = supported_features(panels)
    for feat, why in reasons.items():
        err_console.print(f"[dim]feature {feat} not used: {why}[/]", highlight=False)
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


def _panels(dataset, prices, assets, start, end, data_dir):  # type: ignore[no-untyped-def]
    from cryptofolio.data import to_panels

    return to_panels(load_from_options(dataset, prices, assets, start, end, data_dir))


@forecast_app.command("train")
@handle_errors
@with_training_options
def train_command(
    model_dir: ModelDirOpt,
    dataset: DatasetOpt = None,
    prices: PricesOpt = None,
    assets: AssetsOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    data_dir: DataDirOpt = None,
    *,
    training: TrainingOptions,
) -> None:
    """Train one forecaster shared across the assets and save it to --model-dir.

    The latest --validation-fraction of the dates is held out for early stopping; features
    are normalised with the training part only.

    Example:

      cryptofolio forecast train --dataset coingecko-daily --assets BTC,ETH,SOL --start 2020-06-01 --end 2022-12-31 --lookback 60 --epochs 20 --model-dir models/lstm
    """
    spec = training.spec()
    panels = _panels(dataset, prices, assets, start, end, data_dir)
    model = _train_with_progress(panels, spec, None)
    model.save(model_dir)
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
    console.print(f"saved to {model_dir} (validation data ends {rep.val_end})", highlight=False)


@forecast_app.command("predict")
@handle_errors
def predict_command(
    model_dir: ModelDirOpt,
    dataset: DatasetOpt = None,
    prices: PricesOpt = None,
    assets: AssetsOpt = None,
    start: StartOpt = None,
    asof: Annotated[
        str | None,
        typer.Option("--asof", help="Last period of the input window (default: latest data)."),
    ] = None,
    data_dir: DataDirOpt = None,
    level: LevelOpt = 0.9,
    output_format: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Per-asset forecast of the next-period return with its interval.

    `mean` is the expected next-period simple return; `annualised` is it x periods per year
    (the optimisers' expected-returns input).

    Example:

      cryptofolio forecast predict --model-dir models/lstm --dataset coingecko-daily --asof 2023-06-30 --format json
    """
    from cryptofolio.data import parse_symbols
    from cryptofolio.forecast.forecaster import Forecaster

    model = Forecaster.load(model_dir)
    wanted = parse_symbols(assets) or list(model.assets)
    panels = _panels(dataset, prices, ",".join(wanted), start, asof, data_dir)
    fc = model.predict(panels, assets=wanted, asof=asof, level=level)
    t = fc.table
    if output_format is OutputFormat.JSON:
        payload = {
            "asof": fc.asof.isoformat(),
            "level": fc.level,
            "periods_per_year": fc.periods_per_year,
            "forecasts": {a: {k: float(v) for k, v in row.items()} for a, row in t.iterrows()},
        }
        typer.echo(json.dumps(payload, indent=2))
        return
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


@forecast_app.command("evaluate")
@handle_errors
@with_training_options
def evaluate_command(
    model_dir: Annotated[
        Path | None,
        typer.Option("--model-dir", help="Saved model to evaluate (else train one first)."),
    ] = None,
    train_end: Annotated[
        str | None,
        typer.Option(
            "--train-end",
            help="Without --model-dir: train on data up to this date, evaluate after it.",
        ),
    ] = None,
    eval_start: Annotated[
        str | None,
        typer.Option(
            "--eval-start",
            help="First decision date evaluated (default: after the model's validation data).",
        ),
    ] = None,
    dataset: DatasetOpt = None,
    prices: PricesOpt = None,
    assets: AssetsOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    data_dir: DataDirOpt = None,
    level: LevelOpt = 0.9,
    output_format: FormatOpt = OutputFormat.TABLE,
    *,
    training: TrainingOptions,
    save_model: Annotated[
        Path | None,
        typer.Option("--save-model", help="With --train-end: also save the trained model here."),
    ] = None,
) -> None:
    """Out-of-sample RMSE/MAE against zero and historical-mean forecasts, directional
    accuracy, rank IC across assets and coverage of the intervals.

    Either evaluate a saved model (--model-dir) on data after its validation period, or
    train one on data up to --train-end (training options as in `forecast train`) and
    evaluate it on the data after.

    Example:

      cryptofolio forecast evaluate --dataset coingecko-daily --assets BTC,ETH,BNB,XRP,ADA,LTC,LINK,TRX,BCH,ETC,EOS --start 2018-06-01 --train-end 2021-12-31 --end 2023-11-30 --epochs 20
    """
    from cryptofolio.forecast.evaluate import evaluate_forecaster
    from cryptofolio.forecast.forecaster import Forecaster

    if (model_dir is None) == (train_end is None):
        raise ForecastError("give exactly one of --model-dir (a saved model) or --train-end")
    panels = _panels(dataset, prices, assets, start, end, data_dir)
    if model_dir is not None:
        model = Forecaster.load(model_dir)
    else:
        import pandas as pd

        from cryptofolio.data import Panels

        cut = pd.Timestamp(train_end)
        cut = cut.tz_localize("UTC") if cut.tzinfo is None else cut
        keys = ("close", "volume", "market_cap", "open", "high", "low")
        train_panels = Panels(**{k: getattr(panels, k).loc[:cut] for k in keys})
        spec = training.spec()
        model = _train_with_progress(train_panels, spec, None)
        if save_model is not None:
            model.save(save_model)
    report = evaluate_forecaster(model, panels, start=eval_start, level=level)
    if output_format is OutputFormat.JSON:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
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
            "-"
            if row["directional_accuracy"] != row["directional_accuracy"]
            else f"{row['directional_accuracy']:.1%}",
            "-" if row["rank_ic"] != row["rank_ic"] else f"{row['rank_ic']:+.4f}",
            "-" if row["rank_ic_t"] != row["rank_ic_t"] else f"{row['rank_ic_t']:+.2f}",
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


def register(app: typer.Typer) -> None:
    """Add ``cryptofolio forecast`` to ``app``."""
    app.add_typer(forecast_app)
