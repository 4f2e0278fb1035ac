"""The training options of `cryptofolio forecast train/evaluate` (declared once): names, order
and defaults are the CLI contract, and what is typed reaches the training spec unchanged."""

from __future__ import annotations

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from cryptofolio.cli import app, forecast_cmd
from cryptofolio.data import Panels
from cryptofolio.errors import ForecastError
from cryptofolio.forecast import (
    Feature,
    FeatureConfig,
    ForecastSpec,
    GapPolicy,
    HeadKind,
    ModelConfig,
    TrainConfig,
)

#: flag -> default, in --help order (the contract; written out, not read from the code)
TRAINING_OPTIONS = {
    "--lookback": 60,
    "--epochs": 30,
    "--hidden": "128,64",
    "--dropout": 0.2,
    "--head": "gaussian",
    "--asset-embedding": 0,
    "--features": None,
    "--batch-size": 128,
    "--learning-rate": 1e-3,
    "--validation-fraction": 0.2,
    "--patience": 5,
    "--seed": 0,
    "--device": "auto",
    "--skip-gaps": False,
    "--stride": 1,
    "--threads": 1,
}
DATA_OPTIONS = [
    "--dataset",
    "--prices",
    "--assets",
    "--start",
    "--end",
    "--data-dir",
    "--encoding",
    "--clean",
]
EXPECTED_ORDER = {
    "train": ["--model-dir", *DATA_OPTIONS, *TRAINING_OPTIONS, "--config"],
    "evaluate": [
        "--model-dir",
        "--train-end",
        "--eval-start",
        *DATA_OPTIONS,
        "--level",
        "--format",
        *TRAINING_OPTIONS,
        "--save-model",
        "--config",
    ],
}


def _options(command: str) -> dict[str, object]:
    root = typer.main.get_command(app)
    group = root.get_command(typer.Context(root), "forecast")  # type: ignore[attr-defined]
    params = group.commands[command].params
    return {p.opts[0]: p.default for p in params}


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_training_options_keep_their_names_order_and_defaults(command):
    options = _options(command)
    assert list(options) == EXPECTED_ORDER[command]
    for flag, default in TRAINING_OPTIONS.items():
        assert options[flag] == default, flag


class _Captured(Exception):
    """Stops a command once it has built its training spec."""


@pytest.fixture
def captured(monkeypatch):
    seen: dict[str, ForecastSpec] = {}

    def fake_train(panels, spec, assets):
        seen["spec"] = spec
        raise _Captured

    index = pd.date_range("2020-05-30", periods=5, freq="D", tz="UTC", name="timestamp")
    frame = pd.DataFrame({"AAA": [1.0, 2.0, 3.0, 4.0, 5.0]}, index=index)
    panels = Panels(*(frame for _ in range(6)))
    monkeypatch.setattr(forecast_cmd, "_panels", lambda *args: panels)
    monkeypatch.setattr(forecast_cmd, "train_with_progress", fake_train)
    # the catch-all would turn the stop into "unexpected _Captured"; in debug it propagates
    monkeypatch.setenv("CRYPTOFOLIO_DEBUG", "1")
    return seen


TYPED = [
    "--lookback", "7", "--epochs", "3", "--hidden", "5,3", "--dropout", "0.1",
    "--head", "quantile", "--asset-embedding", "2", "--features", "log-return",
    "--batch-size", "16", "--learning-rate", "0.01", "--validation-fraction", "0.3",
    "--patience", "2", "--seed", "9", "--device", "cpu", "--skip-gaps", "--stride", "2",
    "--threads", "1",
]  # fmt: skip
TYPED_SPEC = ForecastSpec(
    features=FeatureConfig(lookback=7, features=(Feature.LOG_RETURN,)),
    model=ModelConfig(
        hidden_sizes=(5, 3), dropout=0.1, head=HeadKind.QUANTILE, asset_embedding_dim=2
    ),
    train=TrainConfig(
        epochs=3,
        batch_size=16,
        learning_rate=0.01,
        validation_fraction=0.3,
        patience=2,
        seed=9,
        device="cpu",
        gap_policy=GapPolicy.SKIP,
        sample_stride=2,
        threads=1,
    ),
)


@pytest.mark.parametrize(
    "command",
    [["train", "--model-dir", "unused"], ["evaluate", "--train-end", "2020-06-01"]],
)
@pytest.mark.parametrize(("typed", "spec"), [([], ForecastSpec()), (TYPED, TYPED_SPEC)])
def test_typed_options_reach_the_training_spec(captured, command, typed, spec):
    result = CliRunner().invoke(app, ["forecast", *command, *typed])
    assert isinstance(result.exception, _Captured), result.output
    assert captured["spec"] == spec


def test_evaluating_a_saved_model_ignores_the_training_options(captured, tmp_path):
    # --hidden is never parsed without --train-end: the missing model is the error
    result = CliRunner().invoke(
        app, ["forecast", "evaluate", "--model-dir", str(tmp_path / "none"), "--hidden", "x"]
    )
    assert result.exit_code == 2
    assert "is not a saved forecaster" in " ".join(result.output.split())
    assert "spec" not in captured


def test_a_bad_training_option_is_a_one_line_error(captured):
    result = CliRunner().invoke(app, ["forecast", "train", "--model-dir", "m", "--hidden", "x"])
    assert result.exit_code == 2 and "cannot parse --hidden 'x'" in result.output
    assert "spec" not in captured
    with pytest.raises(ForecastError, match="unknown feature"):
        forecast_cmd.TrainingOptions(features="bogus").spec()
