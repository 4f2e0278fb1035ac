"""The forecast stage: an LSTM-attention network forecasting next-period returns with an
interval, used as the expected-returns input of the optimisers and judged out of sample.

PyTorch is an optional extra (``pip install "cryptofolio[forecast]"``): this package imports
without it, and only training, loading or predicting needs it (a clear
:class:`~cryptofolio.errors.ForecastError` says so otherwise). Importing it registers the
``lstm-mvo`` backtest strategy (:func:`cryptofolio.backtest.make_strategy`).

Main entry points::

    from cryptofolio.forecast import ForecastSpec, train_forecaster, Forecaster
    model = train_forecaster(panels, ForecastSpec(), assets=["BTC", "ETH"])
    fc = model.predict(panels)                 # per-asset mean, interval, expected return
    mu = fc.expected_returns()                 # annualised, for build_portfolio(...)
    model.save("models/lstm"); Forecaster.load("models/lstm")
    evaluate_forecaster(model, panels, start="2023-01-01")   # out-of-sample report
"""

from __future__ import annotations

from typing import Any

from cryptofolio.forecast.config import (
    Feature,
    FeatureConfig,
    ForecastSpec,
    GapPolicy,
    HeadKind,
    ModelConfig,
    TrainConfig,
)
from cryptofolio.forecast.evaluate import EvaluationReport, evaluate_forecaster, evaluate_forecasts
from cryptofolio.forecast.features import supported_features
from cryptofolio.forecast.forecaster import EpochLog, Forecast, Forecaster, TrainingReport
from cryptofolio.forecast.predict import forecast_expected_returns, load_forecaster
from cryptofolio.forecast.strategy import (  # registers the lstm-mvo strategy
    LstmMvoStrategy,
    Retraining,
)


def __getattr__(name: str) -> Any:
    """``train_forecaster`` imports PyTorch: it is imported when first used (a
    :class:`~cryptofolio.errors.ForecastError` names the extra when PyTorch is missing)."""
    if name == "train_forecaster":
        from cryptofolio.forecast.training import train_forecaster

        return train_forecaster
    raise AttributeError(f"module 'cryptofolio.forecast' has no attribute {name!r}")


__all__ = [
    "EpochLog",
    "EvaluationReport",
    "Feature",
    "FeatureConfig",
    "Forecast",
    "ForecastSpec",
    "Forecaster",
    "GapPolicy",
    "HeadKind",
    "LstmMvoStrategy",
    "ModelConfig",
    "Retraining",
    "TrainConfig",
    "TrainingReport",
    "evaluate_forecaster",
    "evaluate_forecasts",
    "forecast_expected_returns",
    "load_forecaster",
    "supported_features",
    "train_forecaster",
]
