"""Metrics against independent formulas on known series."""

from __future__ import annotations

import math
import statistics

import pandas as pd
import pytest

from cryptofolio.backtest.metrics import (
    annual_return,
    annual_volatility,
    drawdown_series,
    max_drawdown,
    sharpe_ratio,
    sortino_ratio,
    strategy_metrics,
    win_rate,
)

IDX = pd.date_range("2022-01-01", periods=6, freq="D", tz="UTC")
EQUITY = pd.Series([120.0, 90.0, 60.0, 80.0, 130.0, 125.0], index=IDX)
INITIAL = 100.0


def test_known_max_drawdown_and_dates():
    dd = max_drawdown(EQUITY, INITIAL)
    assert dd.max_drawdown == pytest.approx(60 / 120 - 1)  # -50 %
    assert dd.peak == IDX[0]
    assert dd.trough == IDX[2]
    assert dd.recovery == IDX[4]  # 130 >= 120


def test_drawdown_from_the_initial_capital():
    eq = pd.Series([80.0, 90.0, 95.0], index=IDX[:3])
    assert max_drawdown(eq, 100.0).max_drawdown == pytest.approx(-0.2)
    assert max_drawdown(eq, 100.0).recovery is None
    assert drawdown_series(eq, 100.0).tolist() == pytest.approx([-0.2, -0.1, -0.05])


def test_no_drawdown():
    eq = pd.Series([101.0, 102.0], index=IDX[:2])
    assert max_drawdown(eq, 100.0).max_drawdown == 0.0


def test_annual_return_of_a_doubling_year():
    idx = pd.date_range("2021-01-01", periods=365, freq="D", tz="UTC")
    eq = pd.Series(100 * 2 ** ((pd.RangeIndex(1, 366)) / 365), index=idx)
    assert annual_return(eq, 100.0, 365) == pytest.approx(1.0)
    # half a year that grows 21 %: (1.21)^2 - 1 = 46.41 %
    half = pd.Series(121.0, index=idx[:182])  # n = 182 periods, P = 364: two such halves
    assert annual_return(half, 100.0, 364) == pytest.approx(0.4641)


def test_ratios_against_statistics_module():
    r = pd.Series([0.01, -0.02, 0.03, 0.0, -0.01, 0.02])
    ppy = 365
    mean = statistics.mean(r)
    sd = statistics.stdev(r)
    assert annual_volatility(r, ppy) == pytest.approx(sd * math.sqrt(ppy))
    assert sharpe_ratio(r, ppy) == pytest.approx(mean * ppy / (sd * math.sqrt(ppy)))
    assert sharpe_ratio(r, ppy, 0.05) == pytest.approx((mean * ppy - 0.05) / (sd * math.sqrt(ppy)))
    down = math.sqrt(sum(min(x, 0) ** 2 for x in r) / len(r) * ppy)
    assert sortino_ratio(r, ppy) == pytest.approx(mean * ppy / down)
    assert win_rate(r) == pytest.approx(3 / 6)


def test_strategy_metrics_calmar_and_total():
    rets = EQUITY / pd.Series([INITIAL, *EQUITY.iloc[:-1]], index=IDX) - 1
    m = strategy_metrics(EQUITY, rets, INITIAL, 365)
    assert m["total_return"] == pytest.approx(0.25)
    expected_annual = 1.25 ** (365 / 6) - 1
    assert m["annual_return"] == pytest.approx(expected_annual)
    assert m["calmar"] == pytest.approx(expected_annual / 0.5)
    assert m["max_drawdown_trough"] == IDX[2]
