"""The shortcuts of the price checks and of the frequency inference: a clean window skips the
element-wise checks, and every bad price is still caught and named as before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cryptofolio.errors import DataError, EstimationError
from cryptofolio.estimate import (
    ExpectedReturnsMethod,
    expected_returns,
    infer_periods_per_year,
    returns_from_prices,
)
from cryptofolio.optimize import PortfolioConfig, build_portfolio


def _prices(rows: int = 30, assets: int = 3, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2023-01-01", periods=rows, freq="D", tz="UTC", name="timestamp")
    values = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.03, size=(rows, assets)), axis=0))
    return pd.DataFrame(values, index=idx, columns=[f"C{j}" for j in range(assets)])


def test_clean_prices_give_the_ratio_returns_exactly():
    prices = _prices()
    p = prices.to_numpy()
    simple = returns_from_prices(prices)
    np.testing.assert_array_equal(simple.to_numpy(), p[1:] / p[:-1] - 1.0)
    log = returns_from_prices(prices, "log")
    np.testing.assert_array_equal(log.to_numpy(), np.log(p[1:] / p[:-1]))
    assert simple.index.equals(prices.index[1:])
    assert simple.columns.equals(prices.columns)


@pytest.mark.parametrize(
    ("row", "value", "match"),
    [
        (0, 0.0, r"C1 is .*0\.0 on 2023-01-01"),
        (7, 0.0, r"C1 is .*0\.0 on 2023-01-08"),
        (7, -3.0, r"C1 is .*-3\.0 on 2023-01-08"),
        (29, -1e-300, r"C1 is .*on 2023-01-30"),
        (12, np.inf, r"C1 is infinite on 2023-01-13"),
        (0, -np.inf, r"C1 is infinite on 2023-01-01"),
        (29, np.inf, r"C1 is infinite on 2023-01-30"),  # the last price: no ratio after it
        (slice(10, 13), np.inf, r"C1 is infinite on 2023-01-11"),  # inf / inf is NaN
    ],
)
def test_each_bad_price_is_named(row, value, match):
    prices = _prices()
    prices.iloc[row, 1] = value
    with pytest.raises(EstimationError, match=match):
        returns_from_prices(prices)


def test_two_negative_prices_in_a_row_are_caught():
    """Their ratio is positive: the check must not rely on the ratio alone."""
    prices = _prices()
    prices.iloc[5:8, 2] = [-2.0, -2.0, -4.0]
    with pytest.raises(EstimationError, match=r"C2 is .*-2\.0 on 2023-01-06 .*3 non-positive"):
        returns_from_prices(prices)
    with pytest.raises(EstimationError, match=r"C2 is .*-2\.0 on 2023-01-06"):
        build_portfolio(prices)


def test_missing_prices_still_give_nan_returns():
    prices = _prices()
    prices.iloc[4, 0] = np.nan
    r = returns_from_prices(prices)
    assert r["C0"].isna().sum() == 2
    assert r["C0"].iloc[[3, 4]].isna().all()
    assert r[["C1", "C2"]].notna().all().all()


def test_ratio_overflow_between_valid_prices_is_not_an_error():
    prices = _prices(rows=6, assets=1)
    prices.iloc[:, 0] = [1e-300, 1e-300, 1e300, 1e300, 1e-300, 1e-300]
    with pytest.warns(RuntimeWarning, match="overflow"):
        r = returns_from_prices(prices)
    assert np.isinf(r.iloc[1, 0])
    assert r.iloc[3, 0] == -1.0  # the ratio underflows to zero: a return of -100 %


def test_build_portfolio_names_missing_and_bad_prices():
    prices = _prices()
    prices.iloc[9, 2] = np.nan
    with pytest.raises(DataError, match=r"missing values for C2 \(first at 2023-01-10"):
        build_portfolio(prices)
    prices = _prices()
    prices.iloc[3, 0] = np.inf
    with pytest.raises(DataError, match=r"missing values for C0 \(first at 2023-01-04"):
        build_portfolio(prices)
    prices = _prices()
    prices.iloc[3, 0] = 0.0
    with pytest.raises(EstimationError, match=r"C0 is .*0\.0 on 2023-01-04"):
        build_portfolio(prices)


def test_build_portfolio_reports_the_mean_return_of_the_window():
    prices = _prices(rows=60, assets=4)
    res = build_portfolio(prices, PortfolioConfig())
    p = prices.to_numpy()
    mu = (p[1:] / p[:-1] - 1.0).mean(axis=0) * 365.0
    assert res.expected_return == pytest.approx(float(mu @ res.weights.to_numpy()), rel=1e-12)
    assert res.weights.index.equals(prices.columns)


def test_mean_return_checks_the_window():
    r = returns_from_prices(_prices())
    np.testing.assert_allclose(
        expected_returns(r, ExpectedReturnsMethod.MEAN, periods_per_year=365.0).to_numpy(),
        r.to_numpy().mean(axis=0) * 365.0,
        rtol=1e-14,
    )
    r.iloc[2, 1] = np.inf
    with pytest.raises(EstimationError, match=r"C1 on 2023-01-04"):
        expected_returns(r)
    with pytest.raises(EstimationError, match="only 0 return"):
        expected_returns(r.iloc[:0])


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(86_400, 365.0), (3_600, 8_760.0), (7 * 86_400, 365 / 7), (1_000, 365 * 86.4)],
)
def test_regular_index_in_every_unit(unit, seconds, expected):
    idx = pd.date_range("2024-01-01", periods=20, freq=pd.Timedelta(seconds=seconds), tz="UTC")
    assert infer_periods_per_year(idx.as_unit(unit)) == pytest.approx(expected, rel=1e-12)
    assert infer_periods_per_year(idx[:2].as_unit(unit)) == pytest.approx(expected, rel=1e-12)


def test_irregular_and_bad_indexes_take_the_general_path():
    idx = pd.date_range("2024-01-01", periods=20, freq="D", tz="UTC")
    assert infer_periods_per_year(idx.delete([4, 5, 11])) == 365.0  # median step: a day
    with pytest.raises(EstimationError, match="not strictly increasing"):
        infer_periods_per_year(idx[::-1])
    with pytest.raises(EstimationError, match="not strictly increasing"):
        infer_periods_per_year(idx[[0, 1, 1, 2]])
    with_nat = pd.DatetimeIndex([idx[0], pd.NaT, idx[2], idx[3], idx[4]])
    assert infer_periods_per_year(with_nat) == 365.0  # pairs with a NaT are left out
