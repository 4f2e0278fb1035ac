"""lstm-mvo inside the backtester: registration, constraints, and no look-ahead in retraining."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from fc_frames import make_panels

pytest.importorskip("torch")

from cryptofolio.backtest import BacktestConfig, make_strategy, run_backtest
from cryptofolio.data import Panels
from cryptofolio.errors import ForecastError
from cryptofolio.forecast import (
    FeatureConfig,
    ForecastSpec,
    ModelConfig,
    TrainConfig,
    forecast_expected_returns,
    train_forecaster,
)
from cryptofolio.forecast.strategy import LstmMvoStrategy
from cryptofolio.optimize import (
    Constraints,
    Objective,
    PortfolioConfig,
    build_portfolio,
)

ASSETS = ("AAA", "BBB", "CCC", "DDD")
SPEC = ForecastSpec(
    features=FeatureConfig(lookback=8),
    model=ModelConfig(hidden_sizes=(6,), attention_size=4, dropout=0.1),
    train=TrainConfig(epochs=2, max_train_periods=150),
)


def _run(panels: Panels) -> LstmMvoStrategy:
    strategy = make_strategy("lstm-mvo", spec=SPEC, retrain_every=2, min_train_windows=20)
    cfg = BacktestConfig(rebalance="monthly", lookback=40, start="2020-03-01")
    run_backtest(panels, [strategy], cfg)
    return strategy


def _perturbed(panels: Panels, after) -> Panels:
    rng = np.random.default_rng(99)
    close = panels.close.copy()
    later = close.index >= after
    close.loc[later] *= np.exp(rng.normal(0, 0.05, size=close.loc[later].shape))
    volume = panels.volume.copy()
    volume.loc[later] *= 3.0
    return Panels(close, volume, panels.market_cap, panels.open, panels.high, panels.low)


def test_retraining_never_sees_data_after_the_decision():
    panels = make_panels(n=250, assets=ASSETS, seed=5)
    cut = panels.close.index[180]
    a = _run(panels)
    b = _run(_perturbed(panels, cut))
    assert len(a.retrains) >= 3 and any(r.warm_start for r in a.retrains)
    assert all(r.data_end < r.decision_time for r in a.retrains)
    before = [t for t in a.forecasts if t <= cut]
    after = [t for t in a.forecasts if t > cut]
    assert len(before) >= 4 and after
    for t in before:  # identical, bit for bit, whatever happens after the decision
        np.testing.assert_array_equal(a.forecasts[t].to_numpy(), b.forecasts[t].to_numpy())
    # the test can fail: perturbing data before a decision does change its forecast
    assert any(not np.array_equal(a.forecasts[t], b.forecasts[t]) for t in after)


def test_default_portfolio_is_long_only_capped_mean_variance():
    s = make_strategy("lstm-mvo")
    assert isinstance(s, LstmMvoStrategy) and s.name == "lstm-mvo"
    assert s.config.objective is Objective.MAX_UTILITY
    assert s.config.constraints.max_weight == 0.3 and s.config.constraints.min_weight == 0.0
    # an objective that ignores expected returns is replaced: the forecasts must be used
    s = make_strategy("lstm-mvo", config=PortfolioConfig(objective=Objective.MIN_VARIANCE))
    assert s.config.objective is Objective.MAX_UTILITY


def test_lstm_mvo_without_torch_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # an environment without PyTorch
    with pytest.raises(ForecastError, match=r"cryptofolio\[forecast\]"):
        make_strategy("lstm-mvo")


def test_forecasts_feed_the_optimiser():
    panels = make_panels(n=200, assets=ASSETS, seed=1)
    model = train_forecaster(panels, SPEC)
    mu = forecast_expected_returns(model, panels)
    fc = model.predict(panels)
    np.testing.assert_allclose(mu.to_numpy(), 365.0 * fc.table["expected"].to_numpy())
    cfg = PortfolioConfig(objective=Objective.MAX_UTILITY, constraints=Constraints(max_weight=0.3))
    result = build_portfolio(panels.close.tail(60), cfg, expected_returns=mu)
    w = result.weights
    assert w.sum() == pytest.approx(1.0, abs=1e-6)
    assert (w <= 0.3 + 1e-6).all() and (w >= -1e-9).all()
    assert result.expected_return == pytest.approx(float(mu @ w.reindex(mu.index)), rel=1e-6)
