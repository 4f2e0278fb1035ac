"""The forecast section of ``cryptofolio demo``: a small LSTM-attention model trained on the
bundled daily data and scored out of sample against the naive forecasts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptofolio.forecast.evaluate import EvaluationReport
    from cryptofolio.forecast.forecaster import Forecaster

DEMO_ASSETS = ("BTC", "ETH", "BNB", "XRP", "ADA", "LTC")


@dataclass(frozen=True)
class ForecastDemo:
    """The trained model, its out-of-sample report and the training period (UTC dates)."""

    model: Forecaster
    report: EvaluationReport
    train_start: str
    train_end: str


def forecast_demo(
    *,
    assets: tuple[str, ...] = DEMO_ASSETS,
    train_start: str = "2020-01-01",
    train_end: str = "2022-12-31",
    end: str = "2023-11-30",
) -> ForecastDemo:
    """Train a small LSTM-attention model (lookback 30, LSTM 32 -> 16, at most 5 epochs) on
    ``assets`` from ``train_start`` to ``train_end`` and score it up to ``end``.

    Raises
    ------
    ForecastError
        PyTorch (the ``forecast`` extra) is not installed.
    """
    from cryptofolio.data import load_dataset, to_panels
    from cryptofolio.forecast.config import FeatureConfig, ForecastSpec, ModelConfig, TrainConfig
    from cryptofolio.forecast.evaluate import evaluate_forecaster, training_history
    from cryptofolio.forecast.training import train_forecaster

    panels = to_panels(
        load_dataset("coingecko-daily", symbols=list(assets), start=train_start, end=end)
    )
    train = training_history(panels, train_end)
    spec = ForecastSpec(
        features=FeatureConfig(lookback=30),
        model=ModelConfig(hidden_sizes=(32, 16)),
        train=TrainConfig(epochs=5, patience=2),
    )
    model = train_forecaster(train, spec)
    report = evaluate_forecaster(model, panels)
    return ForecastDemo(model=model, report=report, train_start=train_start, train_end=train_end)
