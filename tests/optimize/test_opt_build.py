"""build_portfolio: estimation -> optimisation on the bundled real data."""

from __future__ import annotations

import numpy as np
import pytest

from cryptofolio.data import load_dataset, to_panels
from cryptofolio.errors import DataError
from cryptofolio.estimate import ExpectedReturnsMethod, RiskModel
from cryptofolio.optimize import (
    Constraints,
    Objective,
    PortfolioConfig,
    build_portfolio,
    optimize_portfolio,
)


@pytest.fixture(scope="module")
def prices():
    long = load_dataset(
        "coingecko-daily",
        symbols=["BTC", "ETH", "SOL", "ADA", "XRP"],
        start="2022-01-01",
        end="2023-12-31",
    )
    return to_panels(long).close.dropna()


def test_build_min_variance_matches_hand_pipeline(prices):
    res = build_portfolio(prices, PortfolioConfig())
    rets = prices.pct_change().iloc[1:]
    cov = rets.cov() * 365
    ref = optimize_portfolio(cov)
    np.testing.assert_allclose(res.weights.to_numpy(), ref.weights.to_numpy(), atol=1e-10)
    assert res.weights.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("objective", [o for o in Objective])
def test_build_every_objective_on_real_data(prices, objective):
    cfg = PortfolioConfig(
        objective=objective,
        risk_model=RiskModel.LEDOIT_WOLF,
        expected_returns=ExpectedReturnsMethod.MEAN,
        constraints=Constraints(max_weight=0.6),
        target_return=0.0,
        target_volatility=0.7,
    )
    try:
        res = build_portfolio(prices, cfg)
    except ValueError as exc:  # 2022-2023: max-sharpe may have no asset above rf; stated clearly
        assert "risk-free" in str(exc)
        return
    w = res.weights
    assert w.sum() == pytest.approx(1.0, abs=1e-8)
    assert w.max() <= 0.6 + 1e-8 and w.min() >= -1e-8


def test_build_rejects_nan_window(prices):
    p = prices.copy()
    p.loc[p.index[5], "SOL"] = np.nan
    with pytest.raises(DataError, match=r"missing values for SOL \(first at 2022"):
        build_portfolio(p)


@pytest.mark.parametrize("method", [ExpectedReturnsMethod.COMPOUNDED, ExpectedReturnsMethod.EMA])
def test_build_with_log_returns_uses_their_kind(prices, method):
    """Regression: build_portfolio estimated compounded/ema returns from log returns as if they
    were simple returns. Reference: growth rates computed here from the prices directly."""
    from cryptofolio.estimate import ReturnsKind

    config = PortfolioConfig(
        objective=Objective.MAX_UTILITY, returns_kind=ReturnsKind.LOG, expected_returns=method
    )
    res = build_portfolio(prices, config)
    p = prices.to_numpy(dtype=float)
    n = p.shape[0] - 1
    if method is ExpectedReturnsMethod.COMPOUNDED:
        mu = (p[-1] / p[0]) ** (365.0 / n) - 1.0
    else:  # exponentially weighted mean of the log returns (pandas, span 500), compounded
        log_r = np.log(prices).diff().iloc[1:]
        mu = np.expm1(log_r.ewm(span=500).mean().iloc[-1].to_numpy() * 365.0)
    w = res.weights.to_numpy()
    assert res.expected_return == pytest.approx(float(w @ mu), rel=1e-9)
