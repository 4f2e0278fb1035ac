"""Options of ``cryptofolio forecast ...`` (the names are a contract) and the training options
shared by ``train`` and ``evaluate``, which reach a command as one :class:`TrainingOptions`."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from cryptofolio.cli.option_group import install_option_group
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

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


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
FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        help="table, json or csv (predict: one row per asset; evaluate: the metrics per model).",
    ),
]


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
        """The :class:`ForecastSpec` these options describe.

        Raises
        ------
        ForecastError
            ``--hidden`` is not a list of sizes, or ``--features`` names an unknown feature.
        """
        sizes = _hidden_sizes(self.hidden)
        features = _features(self.features)
        return ForecastSpec(
            features=FeatureConfig(lookback=self.lookback, features=features),
            model=ModelConfig(
                hidden_sizes=sizes,
                dropout=self.dropout,
                head=self.head,
                asset_embedding_dim=self.asset_embedding,
            ),
            train=TrainConfig(
                epochs=self.epochs,
                batch_size=self.batch_size,
                learning_rate=self.learning_rate,
                validation_fraction=self.validation_fraction,
                patience=self.patience,
                seed=self.seed,
                device=self.device,
                gap_policy=GapPolicy.SKIP if self.skip_gaps else GapPolicy.RAISE,
                sample_stride=self.stride,
                threads=self.threads,
            ),
        )


def _hidden_sizes(hidden: str) -> tuple[int, ...]:
    try:
        return tuple(int(h) for h in hidden.split(",") if h.strip())
    except ValueError as exc:
        raise ForecastError(
            f"cannot parse --hidden {hidden!r}; expected sizes like 128,64"
        ) from exc


def _features(features: str | None) -> tuple[Feature, ...] | None:
    if not features:
        return None
    names = [f.strip() for f in features.split(",") if f.strip()]
    known = {f.value for f in Feature}
    bad = [n for n in names if n not in known]
    if bad:
        raise ForecastError(
            f"unknown feature(s) {', '.join(bad)}; choose from {', '.join(sorted(known))}"
        )
    return tuple(Feature(n) for n in names)


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
