"""Returns from prices, excess/cumulative/average returns, frequency inference."""

import numpy as np
import pandas as pd
import pytest

from cryptofolio.errors import EstimationError
from cryptofolio.estimate import (
    ReturnsKind,
    average_returns,
    cumulative_returns,
    demeaned_returns,
    excess_returns,
    geometric_average_returns,
    infer_periods_per_year,
    periodic_rate,
    returns_from_prices,
)


@pytest.fixture
def prices() -> pd.DataFrame:
    idx = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
    return pd.DataFrame(
        {"BTC": [100.0, 110.0, 99.0, 99.0, 120.0], "ETH": [10.0, 9.0, np.nan, 12.0, 12.6]},
        index=idx,
    )


def test_simple_and_log_returns_by_hand(prices):
    r = returns_from_prices(prices)
    assert list(r.index) == list(prices.index[1:])
    np.testing.assert_allclose(r["BTC"], [0.1, -0.1, 0.0, 120 / 99 - 1])
    # NaN price -> both neighbouring returns NaN, nothing filled
    assert r["ETH"].isna().tolist() == [False, True, True, False]
    np.testing.assert_allclose(r["ETH"].iloc[[0, 3]], [-0.1, 0.05])
    lr = returns_from_prices(prices, ReturnsKind.LOG)
    np.testing.assert_allclose(lr["BTC"], np.log([1.1, 0.9, 1.0, 120 / 99]))


def test_non_positive_price_is_named(prices):
    prices.loc[prices.index[2], "BTC"] = 0.0
    with pytest.raises(EstimationError, match=r"BTC.*2024-01-03"):
        returns_from_prices(prices)


def test_cumulative_and_average(prices):
    r = returns_from_prices(prices[["BTC"]])
    cum = cumulative_returns(r)
    np.testing.assert_allclose(cum["BTC"].iloc[-1], 120 / 100 - 1)
    cum_log = cumulative_returns(returns_from_prices(prices[["BTC"]], "log"), "log")
    np.testing.assert_allclose(cum_log["BTC"], cum["BTC"])
    np.testing.assert_allclose(average_returns(r)["BTC"], np.mean([0.1, -0.1, 0.0, 120 / 99 - 1]))
    np.testing.assert_allclose(geometric_average_returns(r)["BTC"], 1.2 ** (1 / 4) - 1)


def test_excess_returns_over_mean_rate_and_series(prices):
    r = returns_from_prices(prices[["BTC"]])
    np.testing.assert_allclose(demeaned_returns(r).mean(), 0.0, atol=1e-15)
    daily = 1.04 ** (1 / 365) - 1
    assert periodic_rate(0.04, 365) == pytest.approx(daily)
    np.testing.assert_allclose(
        excess_returns(r, 0.04, periods_per_year=365)["BTC"], r["BTC"] - daily
    )
    np.testing.assert_allclose(excess_returns(r, daily, annual=False)["BTC"], r["BTC"] - daily)
    usdt = pd.Series([0.001, -0.001, 0.0, 0.0], index=r.index, name="USDT")
    np.testing.assert_allclose(excess_returns(r, usdt)["BTC"], r["BTC"] - usdt)
    with pytest.raises(EstimationError, match="periods_per_year"):
        excess_returns(r, 0.04)
    with pytest.raises(EstimationError, match=r"USDT.*no value"):
        excess_returns(r, usdt.iloc[:2])


@pytest.mark.parametrize(("freq", "expected"), [("D", 365.0), ("h", 24 * 365.0), ("7D", 365 / 7)])
def test_infer_periods_per_year(freq, expected):
    idx = pd.date_range("2024-01-01", periods=50, freq=freq, tz="UTC")
    # a few missing rows do not change the median spacing
    idx = idx.delete([3, 17])
    assert infer_periods_per_year(idx) == pytest.approx(expected)


def test_infer_periods_per_year_errors():
    with pytest.raises(EstimationError, match="at least 2"):
        infer_periods_per_year(pd.DatetimeIndex(["2024-01-01"], tz="UTC"))
    with pytest.raises(EstimationError, match="DatetimeIndex"):
        infer_periods_per_year(pd.RangeIndex(5))
