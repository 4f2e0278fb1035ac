"""The frontier study of one window (what ``cryptofolio frontier`` prints): its reference
portfolios are the plain optimiser's on the same moments, recomputed independently."""

import numpy as np
import pandas as pd

from cryptofolio.data import load_dataset
from cryptofolio.estimate import market_window, returns_from_prices, sample_covariance
from cryptofolio.optimize import (
    Objective,
    PortfolioConfig,
    compute_frontier,
    optimize_portfolio,
)


def test_frontier_run_moments_and_reference_portfolios():
    long = load_dataset("coingecko-daily", symbols=["BTC", "ETH", "LTC"])
    window = market_window(long, ["BTC", "ETH", "LTC"], start="2021-01-01", end="2021-12-31")
    run = compute_frontier(window, PortfolioConfig(), points=5, n_random=20)
    returns = returns_from_prices(window.prices)
    assert run.inputs.periods_per_year == 365
    pd.testing.assert_frame_equal(
        run.covariance, sample_covariance(returns, periods_per_year=365), check_exact=False
    )
    mu = returns.mean() * 365
    np.testing.assert_allclose(run.expected_returns.to_numpy(), mu.to_numpy(), rtol=1e-12)
    direct = optimize_portfolio(
        run.covariance, run.expected_returns, objective=Objective.MIN_VARIANCE
    )
    np.testing.assert_allclose(run.min_variance.weights, direct.weights, atol=1e-10)
    assert len(run.random) == 20
