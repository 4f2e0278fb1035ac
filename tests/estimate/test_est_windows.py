"""Common window of a ragged panel and window checks."""

import numpy as np
import pandas as pd
import pytest

from cryptofolio.data import load_dataset, to_panels
from cryptofolio.errors import DataError, EstimationError, UnknownSymbolError
from cryptofolio.estimate import check_returns_window, common_window


@pytest.fixture(scope="module")
def close() -> pd.DataFrame:
    long = load_dataset("coingecko-daily", symbols=["BTC", "ETH", "SOL", "USDT", "AAVE", "DYDX"])
    return to_panels(long).close


def test_window_is_the_common_period_and_never_fills(close):
    w = common_window(close, ["BTC", "SOL"], start="2021-01-01", end="2021-03-31")
    assert w.start == pd.Timestamp("2021-01-01", tz="UTC")
    assert w.end == pd.Timestamp("2021-03-31", tz="UTC")
    assert w.n_observations == 89
    assert not w.prices.isna().any().any()
    # values are the raw prices
    pd.testing.assert_frame_equal(w.prices, close.loc[w.prices.index, ["BTC", "SOL"]])


def test_window_starts_at_latest_listing(close):
    w = common_window(close, ["BTC", "AAVE"])
    assert w.start == close["AAVE"].first_valid_index()
    assert w.end == close["AAVE"].last_valid_index()  # AAVE stops 2021-10-17, BTC goes on


def test_empty_window_names_limiting_assets(close):
    with pytest.raises(DataError) as info:
        common_window(close, ["SOL", "USDT", "DYDX"], start="2022-01-01")
    msg = str(info.value)
    assert "DYDX" in msg and "2021-10-17" in msg


def test_too_short_window_names_limiting_asset(close):
    with pytest.raises(DataError) as info:
        common_window(close, ["BTC", "DYDX"], min_observations=60)
    msg = str(info.value)
    assert "DYDX starts 2021-09-08" in msg and "DYDX ends 2021-10-17" in msg and "60" in msg


def test_gap_inside_window_is_reported_not_filled(close):
    with pytest.raises(DataError) as info:
        common_window(close, ["BTC", "USDT"], start="2019-01-01")
    msg = str(info.value)
    assert "USDT has no price on 2019-05-29" in msg and "--start 2019-05-30" in msg


def test_unknown_asset(close):
    with pytest.raises(UnknownSymbolError, match="NOPE"):
        common_window(close, ["BTC", "NOPE"])


def test_check_returns_window_messages():
    idx = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    r = pd.DataFrame({"BTC": [0.01, np.nan, 0.02, 0.0], "ETH": [0.0] * 4}, index=idx)
    with pytest.raises(EstimationError, match=r"BTC on 2024-01-02"):
        check_returns_window(r)
    with pytest.raises(EstimationError, match="only 4 return"):
        check_returns_window(r.fillna(0.0), min_observations=10)


@pytest.mark.parametrize("order", ["C", "F"])
def test_column_means_are_numpys_means_to_the_bit(order):
    """The estimators' means (one reduction without numpy's wrapper) equal ``ndarray.mean``
    exactly, in either memory layout, with a NaN where a column has one."""
    from cryptofolio.estimate.windows import column_means

    rng = np.random.default_rng(11)
    values = np.asarray(rng.standard_t(3, size=(1501, 37)) * 0.04 + 0.001, order=order)
    np.testing.assert_array_equal(column_means(values), values.mean(axis=0))
    values[5, 3] = np.nan
    got = column_means(values)
    assert np.isnan(got[3]) and np.isfinite(np.delete(got, 3)).all()


def test_market_window_is_the_common_window_of_the_long_frames_closes(close):
    from cryptofolio.estimate import market_window

    long = load_dataset("coingecko-daily", symbols=["BTC", "SOL"])
    w = market_window(long, ["BTC", "SOL"], start="2021-01-01", end="2021-03-31")
    expected = common_window(close, ["BTC", "SOL"], start="2021-01-01", end="2021-03-31")
    pd.testing.assert_frame_equal(w.prices, expected.prices)
