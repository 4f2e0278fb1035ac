"""The forecast stage: an LSTM-attention network forecasting next-period returns with an
interval, used as the expected-returns input of the optimisers and judged out of sample.

PyTorch is an optional extra (``pip install "cryptofolio[forecast]"``): this package imports
without it, and only training, loading or predicting needs it (a clear
:class:`~cryptofolio.errors.ForecastError` says so otherwise).

Main entry points::

    from cryptofolio.forecast import ForecastSpec, train_forecaster, Forecaster
    model = train_forecaster(panels, ForecastSpec(), assets=["BTC", "ETH"])
    fc = model.predict(panels)                 # per-asset mean, interval, expected return
    mu = fc.expected_returns()                 # annualised, for build_portfolio(...)
    model.save("models/lstm"); Forecaster.load("models/lstm")
    evaluate_forecaster(model, panels, start="2023-01-01")   # out-of-sample report
"""

from __future__ import annotations

from importlib import import_module
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
from cryptofolio.forecast.features import supported_features

_LAZY = {
    "Forecast": "cryptofolio.forecast.forecaster",
    "Forecaster": "cryptofolio.forecast.forecaster",
    "TrainingReport": "cryptofolio.forecast.forecaster",
    "EpochLog": "cryptofolio.forecast.forecaster",
    "train_forecaster": "cryptofolio.forecast.training",
    "load_forecaster": "cryptofolio.forecast.predict",
    "forecast_expected_returns": "cryptofolio.forecast.predict",
    "EvaluationReport": "cryptofolio.forecast.evaluate",
    "evaluate_forecaster": "cryptofolio.forecast.evaluate",
    "evaluate_forecasts": "cryptofolio.forecast.evaluate",
    "LstmMvoStrategy": "cryptofolio.forecast.strategy",
}


def __getattr__(name: str) -> Any:
    """Import the torch-backed parts only when they are used."""
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
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
    "TrainConfig",
    "TrainingReport",
    "evaluate_forecaster",
    "evaluate_forecasts",
    "forecast_expected_returns",
    "load_forecaster",
    "supported_features",
    "train_forecaster",
]
