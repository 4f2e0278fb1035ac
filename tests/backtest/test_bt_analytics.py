"""Return analytics (monthly/yearly returns, drawdown periods, rolling volatility and beta, daily
returns) against independent computations: loops over the raw numbers, and quantstats (an
optional test dependency) where it is installed."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from bt_frames import daily_index, panels_from_close

from cryptofolio.backtest import BacktestConfig, make_strategy, run_backtest
from cryptofolio.backtest.analytics import (
    MONTHS,
    daily_returns,
    drawdown_periods,
    monthly_returns,
    rolling_beta,
    rolling_volatility,
    yearly_returns,
)
from cryptofolio.errors import BacktestError


@pytest.fixture(scope="module")
def returns() -> pd.Series:
    rng = np.random.default_rng(11)
    idx = pd.date_range("2021-03-10", "2023-02-05", freq="D", tz="UTC")
    return pd.Series(rng.normal(0.001, 0.03, len(idx)), index=idx, name="s")


def _loop_compound(values) -> float:
    g = 1.0
    for v in values:
        g *= 1.0 + v
    return g - 1.0


def test_monthly_returns_compound_each_calendar_month(returns):
    table = monthly_returns(returns)
    assert list(table.columns) == [*MONTHS, "year"]
    assert list(table.index) == [2021, 2022, 2023]
    assert (table.dtypes == "float64").all()
    for (year, month), _ in returns.groupby([returns.index.year, returns.index.month]):
        picked = [v for t, v in returns.items() if t.year == year and t.month == month]
        assert table.loc[year, MONTHS[month - 1]] == pytest.approx(_loop_compound(picked))
    assert math.isnan(table.loc[2021, "Jan"])  # before the first row: not filled
    assert math.isnan(table.loc[2023, "Mar"])
    for year in (2021, 2022, 2023):
        picked = [v for t, v in returns.items() if t.year == year]
        assert table.loc[year, "year"] == pytest.approx(_loop_compound(picked))
        assert yearly_returns(returns)[year] == pytest.approx(_loop_compound(picked))


def test_drawdown_periods_by_hand():
    idx = daily_index(8)
    equity = pd.Series([90, 95, 110, 99, 88, 120, 100, 105.0], index=idx)
    table = drawdown_periods(equity, initial=100.0)
    assert list(table.index) == [1, 2, 3]
    # worst first: 110 -> 88 (-20 %), recovered at 120; 120 -> 100 open; 100 -> 90 recovered
    assert table["drawdown"].tolist() == pytest.approx([88 / 110 - 1, 100 / 120 - 1, -0.1])
    first = table.iloc[0]
    assert (first.peak, first.trough, first.recovery) == (idx[2], idx[4], idx[5])
    assert first.days == 3 and first.recovered
    second = table.iloc[1]
    assert second.peak == idx[5] and pd.isna(second.recovery) and not second.recovered
    assert second.days == 2  # peak to the last row
    third = table.iloc[2]
    assert pd.isna(third.peak)  # the initial capital was the peak
    assert third.trough == idx[0] and third.recovery == idx[2] and third.days == 2
    assert len(drawdown_periods(equity, initial=100.0, top=1)) == 1


def test_drawdown_periods_of_a_rising_curve_are_empty():
    equity = pd.Series([1.0, 2.0, 3.0], index=daily_index(3))
    assert drawdown_periods(equity).empty


def test_rolling_volatility_and_beta_by_hand(returns):
    rng = np.random.default_rng(2)
    bench = pd.Series(rng.normal(0, 0.04, len(returns)), index=returns.index)
    vol = rolling_volatility(returns, 365, 30)
    beta = rolling_beta(returns, bench, 30)
    assert vol.iloc[:29].isna().all() and beta.iloc[:29].isna().all()
    for k in (29, 100, len(returns) - 1):
        r = returns.to_numpy()[k - 29 : k + 1]
        b = bench.to_numpy()[k - 29 : k + 1]
        assert vol.iloc[k] == pytest.approx(np.std(r, ddof=1) * math.sqrt(365))
        cov = np.cov(r, b, ddof=1)
        assert beta.iloc[k] == pytest.approx(cov[0, 1] / cov[1, 1])
    with pytest.raises(BacktestError, match="at least 2"):
        rolling_volatility(returns, 365, 1)


def test_daily_returns_compound_hourly_rows():
    idx = pd.date_range("2022-01-01", periods=48, freq="h", tz="UTC")
    hourly = pd.Series(np.full(48, 0.001), index=idx)
    daily = daily_returns(hourly)
    assert list(daily.index) == list(pd.to_datetime(["2022-01-01", "2022-01-02"]))
    assert daily.index.tz is None and daily.index.name == "date"
    assert daily.to_numpy() == pytest.approx([1.001**24 - 1] * 2)


def test_missing_rows_stay_missing():
    idx = pd.date_range("2022-01-30", periods=4, freq="D", tz="UTC")
    r = pd.Series([0.01, np.nan, np.nan, 0.02], index=idx)
    assert np.isnan(daily_returns(r).iloc[1])  # not a 0 % day
    table = monthly_returns(r)
    assert table.loc[2022, "Jan"] == pytest.approx(0.01)
    assert table.loc[2022, "Feb"] == pytest.approx(0.02)


def test_analytics_need_a_datetime_index():
    with pytest.raises(BacktestError, match="DatetimeIndex"):
        monthly_returns(pd.Series([0.1, 0.2]))


# -- quantstats as the reference (optional test dependency) --------------------------------
def test_against_quantstats(returns):
    qs = pytest.importorskip("quantstats")
    r = returns.tz_localize(None)
    ours = monthly_returns(returns)
    theirs = qs.stats.monthly_returns(r, eoy=True, compounded=True)
    for year in ours.index:
        for k, month in enumerate(MONTHS):
            a, b = ours.loc[year, month], theirs.iloc[[int(y) for y in theirs.index].index(year), k]
            assert (math.isnan(a) and b == 0) or a == pytest.approx(b)  # qs writes 0 for none
        row = [int(y) for y in theirs.index].index(year)
        assert ours.loc[year, "year"] == pytest.approx(theirs["EOY"].iloc[row])
    vol = qs.stats.rolling_volatility(r, rolling_period=30, periods_per_year=365)
    np.testing.assert_allclose(
        rolling_volatility(returns, 365, 30).to_numpy(), vol.to_numpy(), rtol=1e-9
    )
    rng = np.random.default_rng(2)
    bench = pd.Series(rng.normal(0, 0.04, len(r)), index=r.index)
    greeks = qs.stats.rolling_greeks(r, bench, periods=30)
    ours_beta = rolling_beta(returns.tz_localize(None), bench, 30)
    np.testing.assert_allclose(ours_beta.to_numpy()[29:], greeks["beta"].to_numpy()[29:], rtol=1e-7)


def test_worst_drawdowns_match_quantstats(returns):
    qs = pytest.importorskip("quantstats")
    r = returns.tz_localize(None)
    equity = 100.0 * (1 + r).cumprod()
    ours = drawdown_periods(equity, initial=100.0, top=10)["drawdown"].to_numpy()
    details = qs.stats.drawdown_details(qs.stats.to_drawdown_series(r))
    theirs = np.sort(details["max drawdown"].to_numpy(dtype=float) / 100)[:10]
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)


def test_daily_returns_csv_reads_back_for_quantstats(tmp_path, random_close):
    config = BacktestConfig(rebalance="7d", lookback=20, start="2021-02-01")
    result = run_backtest(
        panels_from_close(random_close),
        [make_strategy("equal-weight"), make_strategy("btc-hold", asset="A")],
        config,
    )
    path = result.write_daily_returns(tmp_path / "out" / "returns.csv")
    back = pd.read_csv(path, index_col="date", parse_dates=True)
    assert isinstance(back.index, pd.DatetimeIndex) and back.index.tz is None
    assert list(back.columns) == ["equal-weight", "a-hold"]
    equity = result.strategies["equal-weight"].equity
    grown = 10_000.0 * float(np.prod(1.0 + back["equal-weight"].to_numpy()))
    assert grown == pytest.approx(float(equity.iloc[-1]), rel=1e-9)
    qs = pytest.importorskip("quantstats")
    total = qs.stats.comp(back["equal-weight"])
    assert total == pytest.approx(float(equity.iloc[-1]) / 10_000 - 1, rel=1e-9)
