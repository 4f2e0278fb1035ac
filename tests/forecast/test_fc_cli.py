"""`cryptofolio forecast train/predict/evaluate` on a small price file."""

from __future__ import annotations

import json

import pytest
from fc_frames import make_panels
from typer.testing import CliRunner

pytest.importorskip("torch")

from cryptofolio.cli import app


def _flat(text: str) -> str:
    return " ".join(text.split())  # rich wraps long error lines


TINY = ["--lookback", "6", "--epochs", "2", "--hidden", "6", "--threads", "1"]


@pytest.fixture(scope="module")
def prices_file(tmp_path_factory):
    p = make_panels(n=220, assets=("AAA", "BBB", "CCC"), seed=4)
    long = p.close.stack().rename("close").reset_index()
    long.columns = ["date", "symbol", "close"]
    vol = p.volume.stack().to_numpy()
    long["volume"] = vol
    path = tmp_path_factory.mktemp("data") / "prices.csv"
    long.to_csv(path, index=False)
    return path


def test_train_predict_evaluate(prices_file, tmp_path):
    runner = CliRunner()
    model_dir = tmp_path / "model"
    base = ["--prices", str(prices_file)]
    res = runner.invoke(
        app,
        [
            "forecast",
            "train",
            *base,
            "--assets",
            "AAA,BBB",
            "--end",
            "2020-06-01",
            *TINY,
            "--model-dir",
            str(model_dir),
        ],
    )
    assert res.exit_code == 0, res.output
    assert (model_dir / "model.pt").is_file() and (model_dir / "forecaster.json").is_file()
    res = runner.invoke(
        app,
        [
            "forecast",
            "predict",
            *base,
            "--model-dir",
            str(model_dir),
            "--asof",
            "2020-06-01",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out["forecasts"]) == {"AAA", "BBB"} and out["asof"].startswith("2020-06-01")
    row = out["forecasts"]["AAA"]
    assert row["lower"] < row["expected"] < row["upper"]
    res = runner.invoke(app, ["forecast", "predict", *base, "--model-dir", str(model_dir)])
    assert res.exit_code == 0 and "AAA" in res.stdout
    res = runner.invoke(
        app,
        [
            "forecast",
            "evaluate",
            *base,
            "--assets",
            "AAA,BBB",
            "--model-dir",
            str(model_dir),
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert rep["start"] > "2020-06-01" and set(rep["metrics"]) == {
        "lstm-attention",
        "zero",
        "historical-mean",
    }
    res = runner.invoke(
        app,
        ["forecast", "evaluate", *base, "--train-end", "2020-06-01", *TINY],
    )
    assert res.exit_code == 0, res.output
    assert "historical-mean" in res.stdout and "coverage" in res.stdout


def test_errors_are_one_line_and_exit_2(prices_file, tmp_path):
    runner = CliRunner()
    base = ["--prices", str(prices_file)]
    model_dir = tmp_path / "m"
    res = runner.invoke(
        app, ["forecast", "train", *base, "--assets", "AAA", *TINY, "--model-dir", str(model_dir)]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app, ["forecast", "predict", *base, "--model-dir", str(model_dir), "--assets", "BBB"]
    )
    assert res.exit_code == 2 and "BBB were not seen at training time" in _flat(res.output)
    res = runner.invoke(app, ["forecast", "predict", "--model-dir", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "is not a saved forecaster" in _flat(res.output)
    res = runner.invoke(app, ["forecast", "evaluate", *base])
    assert res.exit_code == 2 and "exactly one of --model-dir" in _flat(res.output)
