"""``cryptofolio forecast ...``: train, predict and evaluate the LSTM-attention forecaster.

Needs the optional PyTorch extra (``pip install "cryptofolio[forecast]"``); without it each
command prints one clear error line. A thin shell: options
(:mod:`cryptofolio.cli.forecast_options`) -> :mod:`cryptofolio.forecast` -> tables
(:mod:`cryptofolio.cli.forecast_views`) or JSON.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer

from cryptofolio.cli.csv_output import echo_csv, keyed_records
from cryptofolio.cli.errors import handle_errors
from cryptofolio.cli.forecast_options import (
    FormatOpt,
    LevelOpt,
    ModelDirOpt,
    OutputFormat,
    TrainingOptions,
    with_training_options,
)
from cryptofolio.cli.forecast_views import (
    print_evaluation,
    print_forecast,
    print_training,
    train_with_progress,
)
from cryptofolio.cli.option_group import keyword_option, with_option_group
from cryptofolio.cli.options import (
    AssetsOpt,
    DataDirOpt,
    DataOptions,
    DatasetOpt,
    PricesOpt,
    StartOpt,
    with_data_options,
)
from cryptofolio.errors import ForecastError

forecast_app = typer.Typer(
    name="forecast",
    help=(
        "Return forecasts with an LSTM-attention network (needs the forecast extra): train, "
        "predict, evaluate out of sample."
    ),
    no_args_is_help=True,
)

__all__ = ["TrainingOptions", "forecast_app", "register", "with_training_options"]


def _panels(data: DataOptions):  # type: ignore[no-untyped-def]
    from cryptofolio.data import to_panels

    return to_panels(data.load(start=data.start))


@forecast_app.command("train")
@handle_errors
@with_data_options
@with_training_options
def train_command(
    model_dir: ModelDirOpt,
    *,
    data: DataOptions,
    training: TrainingOptions,
) -> None:
    """Train one forecaster shared across the assets and save it to --model-dir.

    The latest --validation-fraction of the dates is held out for early stopping; features
    are normalised with the training part only.

    Example:

      cryptofolio forecast train --dataset coingecko-daily --assets BTC,ETH,SOL --start 2020-06-01 --end 2022-12-31 --lookback 60 --epochs 20 --model-dir models/lstm
    """
    spec = training.spec()
    model = train_with_progress(_panels(data), spec, None)
    model.save(model_dir)
    print_training(model, model_dir)


AsofOpt = Annotated[
    str | None,
    typer.Option("--asof", help="Last period of the input window (default: latest data)."),
]

#: The data options of ``predict``: ``--asof`` (the last period read) in the place of ``--end``.
with_predict_data_options = with_option_group(
    "data",
    [
        keyword_option("dataset", DatasetOpt, None),
        keyword_option("prices", PricesOpt, None),
        keyword_option("assets", AssetsOpt, None),
        keyword_option("start", StartOpt, None),
        keyword_option("asof", AsofOpt, None),
        keyword_option("data_dir", DataDirOpt, None),
    ],
    lambda values: DataOptions(
        values["dataset"],
        values["prices"],
        values["assets"],
        values["start"],
        values["asof"],
        values["data_dir"],
    ),
    what="data",
)


@forecast_app.command("predict")
@handle_errors
@with_predict_data_options
def predict_command(
    model_dir: ModelDirOpt,
    *,
    data: DataOptions,
    level: LevelOpt = 0.9,
    output_format: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Per-asset forecast of the next-period return with its interval.

    `expected` is the expected next-period simple return; `expected_annual` is it x periods
    per year, an annualised fraction: the optimisers' expected-returns input (`optimize
    --expected-returns FILE` reads this command's JSON or CSV).

    Example:

      cryptofolio forecast predict --model-dir models/lstm --dataset coingecko-daily --asof 2023-06-30 --format json
    """
    from cryptofolio.data import parse_symbols
    from cryptofolio.forecast.forecaster import Forecaster

    model = Forecaster.load(model_dir)
    wanted = parse_symbols(data.assets) or list(model.assets)
    data = dataclasses.replace(data, assets=",".join(wanted))
    fc = model.predict(_panels(data), assets=wanted, asof=data.end, level=level)
    if output_format is OutputFormat.CSV:
        echo_csv({"asset": a, **row.to_dict()} for a, row in fc.table.iterrows())
        return
    if output_format is OutputFormat.JSON:
        payload = {
            "asof": fc.asof.isoformat(),
            "level": fc.level,
            "periods_per_year": fc.periods_per_year,
            "forecasts": {
                a: {k: float(v) for k, v in row.items()} for a, row in fc.table.iterrows()
            },
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    print_forecast(fc)


@forecast_app.command("evaluate")
@handle_errors
@with_data_options
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
    *,
    data: DataOptions,
    level: LevelOpt = 0.9,
    output_format: FormatOpt = OutputFormat.TABLE,
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
    from cryptofolio.forecast.evaluate import evaluate_forecaster, training_history
    from cryptofolio.forecast.forecaster import Forecaster

    if (model_dir is None) == (train_end is None):
        raise ForecastError("give exactly one of --model-dir (a saved model) or --train-end")
    panels = _panels(data)
    if model_dir is not None:
        model = Forecaster.load(model_dir)
    else:
        spec = training.spec()
        model = train_with_progress(training_history(panels, train_end), spec, None)
        if save_model is not None:
            model.save(save_model)
    report = evaluate_forecaster(model, panels, start=eval_start, level=level)
    if output_format is OutputFormat.CSV:
        echo_csv(keyed_records(report.to_dict()["metrics"], "model"))
        return
    if output_format is OutputFormat.JSON:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    print_evaluation(report, model)


def register(app: typer.Typer) -> None:
    """Add ``cryptofolio forecast`` to ``app``."""
    app.add_typer(forecast_app)
