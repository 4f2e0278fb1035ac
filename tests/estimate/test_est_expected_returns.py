"""Expected returns against closed forms and PyPortfolioOpt with frequency=365."""

import numpy as np
import pandas as pd
import pytest
from pypfopt import expected_returns as ppo

from cryptofolio.errors import EstimationError
from cryptofolio.estimate import ExpectedReturnsMethod, expected_returns, returns_from_prices


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    idx = pd.date_range("2023-01-01", periods=400, freq="D", tz="UTC")
    steps = rng.normal([0.001, 0.002, -0.0005], [0.03, 0.05, 0.04], (400, 3))
    return pd.DataFrame(
        100 * np.exp(np.cumsum(steps, axis=0)), index=idx, columns=["BTC", "ETH", "SOL"]
    )


def test_mean_is_arithmetic_times_365(prices):
    r = returns_from_prices(prices)
    np.testing.assert_allclose(expected_returns(r, "mean"), r.to_numpy().mean(axis=0) * 365)
    ref = ppo.mean_historical_return(prices, compounding=False, frequency=365)
    np.testing.assert_allclose(expected_returns(r, "mean"), ref, rtol=1e-12)


def test_compounded_is_cagr(prices):
    r = returns_from_prices(prices)
    growth = (prices.iloc[-1] / prices.iloc[0]).to_numpy()
    cagr = growth ** (365 / len(r)) - 1
    np.testing.assert_allclose(
        expected_returns(r, ExpectedReturnsMethod.COMPOUNDED), cagr, rtol=1e-10
    )
    ref = ppo.mean_historical_return(prices, compounding=True, frequency=365)
    np.testing.assert_allclose(expected_returns(r, "compounded"), ref, rtol=1e-10)
    lr = returns_from_prices(prices, "log")
    np.testing.assert_allclose(expected_returns(lr, "compounded", kind="log"), cagr, rtol=1e-10)


@pytest.mark.parametrize("span", [50, 500])
def test_ema_matches_pypfopt(prices, span):
    r = returns_from_prices(prices)
    ref = ppo.ema_historical_return(prices, span=span, frequency=365)
    np.testing.assert_allclose(expected_returns(r, "ema", span=span), ref, rtol=1e-10)
    ref_a = ppo.ema_historical_return(prices, span=span, frequency=365, compounding=False)
    from cryptofolio.estimate import ema_return

    np.testing.assert_allclose(ema_return(r, span=span, compounding=False), ref_a, rtol=1e-10)


def test_views_are_validated_and_ordered(prices):
    r = returns_from_prices(prices)
    views = pd.Series({"SOL": 0.3, "BTC": 0.1, "ETH": 0.2})
    out = expected_returns(r, views=views)
    assert list(out.index) == ["BTC", "ETH", "SOL"] and out["SOL"] == 0.3
    with pytest.raises(EstimationError, match=r"no view for SOL.*not in the portfolio: DOGE"):
        expected_returns(r, views=pd.Series({"BTC": 0.1, "ETH": 0.2, "DOGE": 1.0}))
    with pytest.raises(EstimationError, match="fractions"):
        expected_returns(r, views=pd.Series({"BTC": 10.0, "ETH": -150.0, "SOL": 0.0}))


def test_too_few_observations_and_nan(prices):
    r = returns_from_prices(prices)
    with pytest.raises(EstimationError, match="only 0 return"):
        expected_returns(r.iloc[:0])
    bad = r.copy()
    bad.iloc[3, 1] = np.nan
    with pytest.raises(EstimationError, match="ETH on 2023-01-05"):
        expected_returns(bad, "ema")
