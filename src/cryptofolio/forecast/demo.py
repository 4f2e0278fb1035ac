"""A quick forecast demonstration on the bundled data, for ``cryptofolio demo``."""

from __future__ import annotations

from cryptofolio.errors import ForecastError

DEMO_ASSETS = ("BTC", "ETH", "BNB", "XRP", "ADA", "LTC")


def demo_lines(
    *,
    assets: tuple[str, ...] = DEMO_ASSETS,
    train_start: str = "2020-01-01",
    train_end: str = "2022-12-31",
    end: str = "2023-11-30",
) -> list[str]:
    """Train a small LSTM-attention model on the bundled daily data and score it out of sample.

    Returns printable lines (a one-line note when PyTorch is not installed). Takes well under a
    minute on a CPU: lookback 30, LSTM 32 -> 16, at most 5 epochs.
    """
    try:
        from cryptofolio.forecast.training import train_forecaster
    except ForecastError as exc:
        return [f"forecast: skipped ({exc})"]
    from cryptofolio.data import Panels, load_dataset, to_panels
    from cryptofolio.forecast.config import FeatureConfig, ForecastSpec, ModelConfig, TrainConfig
    from cryptofolio.forecast.evaluate import evaluate_forecaster

    panels = to_panels(
        load_dataset("coingecko-daily", symbols=list(assets), start=train_start, end=end)
    )
    keys = ("close", "volume", "market_cap", "open", "high", "low")
    train = Panels(**{k: getattr(panels, k).loc[:train_end] for k in keys})
    spec = ForecastSpec(
        features=FeatureConfig(lookback=30),
        model=ModelConfig(hidden_sizes=(32, 16)),
        train=TrainConfig(epochs=5, patience=2),
    )
    model = train_forecaster(train, spec)
    report = evaluate_forecaster(model, panels)
    m = report.metrics
    lines = [
        f"forecast: LSTM-attention on {', '.join(model.assets)} (features "
        f"{', '.join(map(str, model.features))}), trained {train_start} to {train_end}, "
        f"scored on {report.n_forecasts} daily forecasts {report.start:%Y-%m-%d} to "
        f"{report.end:%Y-%m-%d}",
    ]
    for name, row in m.iterrows():
        da = row["directional_accuracy"]
        lines.append(
            f"  {name:<16} RMSE {row['rmse']:.5f}  MAE {row['mae']:.5f}"
            + (f"  direction {da:.1%}" if da == da else "")
        )
    lines.append(
        f"  rank IC {m.loc['lstm-attention', 'rank_ic']:+.4f}; {report.level:.0%} interval "
        f"covers {report.coverage:.1%}"
    )
    return lines
