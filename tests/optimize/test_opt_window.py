"""window_weights (the backtest's array lane) gives build_portfolio's weights to the bit, and
leaves to build_portfolio every window that needs its checks or warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cryptofolio.estimate import EstimationWarning
from cryptofolio.optimize import Constraints, PortfolioConfig, build_portfolio
from cryptofolio.optimize._window import window_weights


def _prices(rows: int = 200, n: int = 8, seed: int = 5, freq: str = "D") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    drift = rng.normal(0.001, 0.002, size=n)
    values = np.exp(np.cumsum(rng.normal(drift, 0.04, size=(rows, n)), axis=0)) * 50
    index = pd.date_range("2021-01-01", periods=rows, freq=freq, tz="UTC")
    # a copied frame: the layout the engine hands over (and build_portfolio reads)
    return pd.DataFrame(values, index=index, columns=[f"C{j}" for j in range(n)]).copy()


def _lane(prices: pd.DataFrame, config: PortfolioConfig) -> pd.Series | None:
    return window_weights(
        prices.to_numpy(dtype=float),
        prices.index.asi8,
        prices.index.unit,
        prices.columns,
        config,
    )


CONFIGS = [
    PortfolioConfig(),
    PortfolioConfig(risk_model="ledoit-wolf"),
    PortfolioConfig(objective="max-utility", risk_aversion=0.5),
    PortfolioConfig(objective="max-sharpe", constraints=Constraints(max_weight=0.3)),
    PortfolioConfig(objective="max-sharpe", risk_model="ledoit-wolf", risk_free_rate=0.02),
    PortfolioConfig(objective="efficient-return", target_return=0.3),
    PortfolioConfig(objective="efficient-risk", target_volatility=0.5, periods_per_year=365),
    PortfolioConfig(returns_kind="log", constraints=Constraints(min_weight=-0.2, l2=0.01)),
    PortfolioConfig(periods_per_year=252, constraints=Constraints(bounds={"C1": (0.1, 0.2)})),
    PortfolioConfig(constraints=Constraints(min_weight=-1, max_weight=2, gross_exposure=1.6)),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.objective}-{c.risk_model}")
@pytest.mark.parametrize("freq", ["D", "h"])
def test_lane_gives_build_portfolio_weights_bit_for_bit(config, freq):
    prices = _prices(freq=freq)
    lane = _lane(prices, config)
    assert lane is not None  # a clean window: the lane answers
    public = build_portfolio(prices, config).weights
    assert lane.index.equals(public.index)
    assert lane.name == public.name
    assert np.array_equal(lane.to_numpy(), public.to_numpy())


@pytest.mark.parametrize(
    "config",
    [
        PortfolioConfig(objective="min-cvar"),  # needs the scenarios
        PortfolioConfig(objective="max-sortino"),
        PortfolioConfig(risk_model="exponential"),
        PortfolioConfig(risk_model="oas"),
        PortfolioConfig(expected_returns="ema"),
    ],
    ids=lambda c: f"{c.objective}-{c.risk_model}-{c.expected_returns}",
)
def test_lane_leaves_other_configurations_to_build_portfolio(config):
    assert _lane(_prices(), config) is None


def test_lane_leaves_bad_windows_to_build_portfolio():
    clean = _prices()
    gap = clean.copy()
    gap.iloc[40, 2] = np.nan
    negative = clean.copy()
    negative.iloc[0, 1] = -1.0
    irregular = clean.drop(clean.index[[10, 11]])
    repeated = clean.set_axis(["C0", "C0", *clean.columns[2:]], axis=1)
    short = clean.iloc[:2]
    stable = clean.copy()
    stable["C3"] = 1.0 + 1e-7 * np.sin(np.arange(len(stable)))  # near-constant: a warning
    for prices in (gap, negative, irregular, repeated, short, stable):
        assert _lane(prices, PortfolioConfig()) is None
    # build_portfolio still warns about the near-constant asset the lane left to it
    with pytest.warns(EstimationWarning, match="near-constant asset"):
        build_portfolio(stable, PortfolioConfig())
    # an irregular index is fine with an explicit annualisation
    assert _lane(irregular, PortfolioConfig(periods_per_year=365)) is not None


def test_lane_raises_what_build_portfolio_raises():
    prices = _prices()
    config = PortfolioConfig(constraints=Constraints(max_weight=0.1))  # 8 x 0.1 < 1
    with pytest.raises(Exception) as lane_error:
        _lane(prices, config)
    with pytest.raises(Exception) as public_error:
        build_portfolio(prices, config)
    assert type(lane_error.value) is type(public_error.value)
    assert str(lane_error.value) == str(public_error.value)


def test_lane_emits_no_warning_on_a_clean_window():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _lane(_prices(), PortfolioConfig()) is not None
